//! Paying in a partner source's own currency (SPEC §6.2, §9) against a real partner
//! site whose deduction endpoint keeps its own ledger: timeouts retried under one
//! debit id never deduct twice, refusals free the order, the worker finishes what a
//! user left unclear, and the order is paid and notified exactly as a balance payment.

use std::time::Duration;

use opengate::inbound::sources::{self, NewSource};
use opengate_e2e::demo_partner::tap_pin;
use opengate_e2e::inbound::{import_link, open};
use opengate_e2e::login::H5;
use opengate_e2e::partner_site::{DeductMode, PartnerSite};
use opengate_e2e::pay::{self, enable_pay, Receiver, PIN};
use opengate_e2e::{browser, create_partner, spawn_app_with, unique, Partner, TestApp};
use serde_json::{json, Value};

struct Setup {
    partner: Partner,
    site: PartnerSite,
    code: String,
    secret: String,
    h5: H5,
    user_id: String,
    receiver: Receiver,
}

/// A shop (pay enabled, notify URL on a real receiver), a source with a deduction
/// endpoint in HM at 10 HM per OGC, and a user who came in from that source.
async fn setup(app: &TestApp) -> Setup {
    let partner = create_partner(app).await;
    enable_pay(app, &partner).await;
    let receiver = Receiver::start().await;
    opengate::admin::set_notify_url(&app.state, &partner.app_id, Some(&receiver.url())).await.expect("notify url");
    opengate::admin::set_currency(&app.state, "HM", 2).await.expect("HM");
    let site = PartnerSite::start().await;
    let code = unique("mall");
    let n = NewSource {
        code: code.clone(),
        name: "Qiande Mall".into(),
        trust: "partner_users".into(),
        adapter: "jsonapi".into(),
        user_url: Some(site.url("/jsonapi/users/{uid}")),
        deduct_url: Some(site.url("/deduct")),
        refund_url: Some(site.url("/refund")),
        currency: Some("HM".into()),
        rate: Some("10".into()),
        ..NewSource::default()
    };
    let secret = sources::add_source(&app.state, &n).await.expect("source");
    site.set_secret(&secret);
    let n: u64 = rand::Rng::gen_range(&mut rand::thread_rng(), 10_000_000..99_999_999);
    site.add_user("u-42", "hm_user", Some(&format!("136{n}")), "Points Fan");
    let landing = open(app, &import_link(&code, &secret, "u-42", app.clock.now_secs(), None)).await;
    let cookie = landing.cookie.expect("logged in through the import link");
    let session: Value = app
        .http
        .get(app.url("/api/h5/session"))
        .header("cookie", format!("og_session={cookie}"))
        .send()
        .await
        .expect("session")
        .json()
        .await
        .expect("json");
    let h5 = H5 { cookie, csrf: session["csrf_token"].as_str().expect("csrf").to_owned() };
    let (status, body) = pay::post_json(app, &h5, "/api/h5/account/pin", &json!({"new_pin": PIN})).await;
    assert_eq!(status, 200, "{body}");
    let user_id: String = sqlx::query_scalar("SELECT user_id FROM source_users WHERE source = $1")
        .bind(&code)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("linked");
    Setup { partner, site, code, secret, h5, user_id, receiver }
}

async fn pay_source(app: &TestApp, s: &Setup, order_id: &str, pin: &str) -> (u16, Value) {
    pay::post_json(app, &s.h5, &format!("/api/h5/pay/{order_id}/source"), &json!({"source": s.code, "pin": pin})).await
}

#[tokio::test]
async fn a_debit_that_times_out_is_retried_under_one_id_and_never_deducts_twice() {
    let app = spawn_app_with(|c| {
        c.source_timeout_ms = 300;
        c.deduct_attempts = 3;
    })
    .await;
    let s = setup(&app).await;
    let order = pay::new_order(&app, &s.partner, &pay::order("HM-1", "12.50")).await;
    let order_id = order["order_id"].as_str().expect("id");

    // The pay page offers the source: 12.50 PTS → 1.25 OGC → 12.50 HM.
    let (status, view) = pay::get_json(&app, &s.h5, &format!("/api/h5/pay/{order_id}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["sources"], json!([{"code": s.code, "name": "Qiande Mall", "amount": "12.50", "currency": "HM"}]));

    // A wrong PIN never reaches the partner.
    let (status, body) = pay_source(&app, &s, order_id, "000000").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("wrong_pin")), "{body}");
    assert!(s.site.deduct_requests().is_empty());

    // The partner takes the money every time but answers too late, three times.
    let slow = DeductMode::ApplyThenHang(Duration::from_secs(2));
    s.site.deduct_script(&[slow, slow, slow]);
    let (status, body) = pay_source(&app, &s, order_id, PIN).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("source_pending")), "{body}");
    let ids: Vec<String> =
        s.site.deduct_requests().iter().map(|r| r["id"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|i| i == &ids[0] && i.starts_with("ded_")), "{ids:?}");
    assert_eq!(s.site.debits().len(), 1, "taken once for one id");

    // While the debit is unclear nothing else may pay, close or expire the order.
    let (status, body) = pay::confirm(&app, &s.h5, order_id, PIN).await;
    assert_ne!(status, 200, "{body}");
    let (status, _, _) = pay::order_action(&app, &s.partner, "HM-1", "close").await;
    assert_ne!(status, 200);
    let expired = opengate::storage::pay::expire_due(&app.state.db.pool, app.clock.now_ms() + 3_600_000, 100)
        .await
        .expect("expiry");
    assert_eq!(expired, 0);
    let (_, q, _) = pay::query_order(&app, &s.partner, "HM-1").await;
    assert_eq!(q["data"]["status"], "pending");

    // The user tries again: same id, the partner says it is done, the order is paid.
    let (status, body) = pay_source(&app, &s, order_id, PIN).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("paid")), "{body}");
    let reqs = s.site.deduct_requests();
    assert_eq!(reqs.len(), 4);
    assert!(reqs.iter().all(|r| r["id"] == ids[0].as_str()));
    let debits = s.site.debits();
    assert_eq!(debits.len(), 1);
    assert_eq!(debits.values().next().map(|d| (d.1.as_str(), d.2.as_str())), Some(("12.50", "HM")));
    assert_eq!(reqs[0]["uid"], "u-42");

    // Paid exactly as a balance payment: merchant credited once, one notification,
    // and the user's platform balance untouched.
    assert_eq!(pay::merchant_balance(&app, &s.partner.app_id, "OGC").await, 125);
    assert_eq!(pay::balance(&app, &s.user_id, "OGC").await, 0);
    let got = s.receiver.wait_for(1, Duration::from_secs(10)).await;
    let n = got[0].json();
    assert_eq!((n["type"].as_str(), n["data"]["trade_no"].as_str()), (Some("payment.succeeded"), Some("HM-1")));
    assert!(n["data"]["open_id"].as_str().is_some_and(|o| !o.is_empty()));
    let (_, q, _) = pay::query_order(&app, &s.partner, "HM-1").await;
    assert_eq!(q["data"]["status"], "paid");

    // Once paid, never again.
    let (status, body) = pay_source(&app, &s, order_id, PIN).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("already_paid")), "{body}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.receiver.count(), 1);
    assert_eq!(s.site.debits().len(), 1);
}

#[tokio::test]
async fn a_refused_debit_frees_the_order_and_the_worker_finishes_an_unclear_one() {
    let app = spawn_app_with(|c| {
        c.source_timeout_ms = 300;
        c.deduct_attempts = 2;
    })
    .await;
    let s = setup(&app).await;

    // Refused for good: the partner's words, nothing taken, the order still open.
    let order = pay::new_order(&app, &s.partner, &pay::order("HM-2", "3.00")).await;
    let order_id = order["order_id"].as_str().expect("id");
    s.site.deduct_script(&[DeductMode::Refuse]);
    let (status, body) = pay_source(&app, &s, order_id, PIN).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("source_refused")), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("not enough points"), "{body}");
    assert!(s.site.debits().is_empty());
    // A new try is a new debit (new id); this time the partner fails with 500 twice.
    s.site.deduct_script(&[DeductMode::Error500, DeductMode::Error500]);
    let (status, _) = pay_source(&app, &s, order_id, PIN).await;
    assert_eq!(status, 503);
    let reqs = s.site.deduct_requests();
    assert_eq!(reqs.len(), 3);
    assert_ne!(reqs[0]["id"], reqs[1]["id"], "a refused debit's id is never reused");
    assert_eq!(reqs[1]["id"], reqs[2]["id"]);

    // Nobody comes back: the worker asks again under the same id and the order is paid.
    app.clock.advance_secs(11);
    let got = s.receiver.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].json()["data"]["trade_no"], "HM-2");
    let reqs = s.site.deduct_requests();
    assert_eq!(reqs.last().map(|r| r["id"].clone()), Some(reqs[1]["id"].clone()));
    assert_eq!(s.site.debits().len(), 1);
    let (_, q, _) = pay::query_order(&app, &s.partner, "HM-2").await;
    assert_eq!(q["data"]["status"], "paid");
    assert_eq!(pay::merchant_balance(&app, &s.partner.app_id, "OGC").await, 30);

    // A user who did not come from the source cannot pay through it.
    let order = pay::new_order(&app, &s.partner, &pay::order("HM-3", "1.00")).await;
    let (_, _, other) = pay::payer(&app, "5.00").await;
    let (status, body) = pay::post_json(
        &app,
        &other,
        &format!("/api/h5/pay/{}/source", order["order_id"].as_str().expect("id")),
        &json!({"source": s.code, "pin": PIN}),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");
}

/// A refund of an order paid in the source's currency goes back through the source
/// (SPEC §13): pending while the source fails, finished by the worker under the same
/// id, `refund.failed` (money back to the merchant) when the source refuses for good.
#[tokio::test]
async fn a_source_paid_order_is_refunded_through_the_source() {
    let app = spawn_app_with(|c| {
        c.source_timeout_ms = 300;
        c.deduct_attempts = 2;
    })
    .await;
    let s = setup(&app).await;
    // 10.00 PTS → 1.00 OGC → 10.00 HM at the source.
    let order = pay::new_order(&app, &s.partner, &pay::order("HM-R", "10.00")).await;
    let (status, body) = pay_source(&app, &s, order["order_id"].as_str().expect("id"), PIN).await;
    assert_eq!(status, 200, "{body}");
    s.receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(pay::merchant_balance(&app, &s.partner.app_id, "OGC").await, 100);
    let debit_id = s.site.deduct_requests()[0]["id"].as_str().expect("debit id").to_owned();
    let refund = |no: &str, amount: &str| {
        let body = json!({"refund_no": no, "amount": amount});
        let p = s.partner.clone();
        let app = &app;
        async move { opengate_e2e::login::signed_post(app, &p, "/open/v1/pay/orders/HM-R/refunds", &body).await }
    };

    // The source fails twice: the refund is pending, its share already off the merchant.
    s.site.refund_script(&[DeductMode::Error500, DeductMode::Error500]);
    let r = refund("HR-1", "4.00").await;
    assert_eq!(r.0, 200, "{}", r.2);
    assert_eq!(r.1["data"]["status"], "pending");
    assert_eq!(r.1["data"]["settle_amount"], "0.40");
    assert_eq!(r.1["data"]["refunded_at"], Value::Null);
    assert_eq!(pay::merchant_balance(&app, &s.partner.app_id, "OGC").await, 60);
    let reqs = s.site.refund_requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["id"], reqs[1]["id"]);
    assert_eq!(reqs[0]["id"], r.1["data"]["refund_id"]);
    assert_eq!((reqs[0]["debit_id"].as_str(), reqs[0]["amount"].as_str()), (Some(debit_id.as_str()), Some("4.00")));
    assert!(s.site.credits().is_empty());
    // A repeat of the same refund_no answers the pending refund, asking nobody twice over.
    assert_eq!(refund("HR-1", "4.00").await.1["data"]["refund_id"], r.1["data"]["refund_id"]);

    // Nobody comes back: the worker asks again under the same id.
    app.clock.advance_secs(11);
    let got = s.receiver.wait_for(2, Duration::from_secs(20)).await;
    let ev = got[1].json();
    assert_eq!(ev["type"], "refund.succeeded", "{ev}");
    pay::verify_with_reference_library(&got[1], &s.partner.notify_secret);
    assert_eq!(ev["data"]["refund_no"], "HR-1");
    assert_eq!(s.site.credits().len(), 1);
    assert!(s.site.refund_requests().iter().all(|q| q["id"] == r.1["data"]["refund_id"]));
    let one = opengate_e2e::login::signed_get(&app, &s.partner, "/open/v1/pay/refunds/HR-1").await;
    assert_eq!(one.1["data"]["status"], "succeeded", "{}", one.2);
    assert!(one.1["data"]["refunded_at"].is_i64());

    // Refused for good: refund.failed, the share back to the merchant, the rest refundable.
    s.site.refund_script(&[DeductMode::Refuse]);
    let r2 = refund("HR-2", "6.00").await;
    assert_eq!(r2.1["data"]["status"], "failed", "{}", r2.2);
    assert!(r2.1["data"]["fail_reason"].as_str().is_some_and(|f| f.contains("member account is closed")), "{}", r2.2);
    assert_eq!(pay::merchant_balance(&app, &s.partner.app_id, "OGC").await, 60);
    let (_, q, _) = pay::query_order(&app, &s.partner, "HM-R").await;
    assert_eq!(q["data"]["refunded_amount"], "4.00");
    let got = s.receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got[2].json()["type"], "refund.failed");
    assert_eq!(got[2].json()["data"]["refund_no"], "HR-2");

    // The rest, under a new refund_no: the source is credited 10.00 HM in all.
    let r3 = refund("HR-3", "6.00").await;
    assert_eq!(r3.1["data"]["status"], "succeeded", "{}", r3.2);
    assert_eq!(r3.1["data"]["settle_amount"], "0.60");
    let credits = s.site.credits();
    let amounts: Vec<&str> = credits.values().map(|c| c.2.as_str()).collect();
    assert_eq!(credits.len(), 2);
    assert!(amounts.contains(&"4.00") && amounts.contains(&"6.00"), "{credits:?}");
    assert!(credits.values().all(|c| c.0 == debit_id && c.1 == "u-42" && c.3 == "HM"));
    assert_eq!(pay::merchant_balance(&app, &s.partner.app_id, "OGC").await, 0);
    assert_eq!(pay::balance(&app, &s.user_id, "OGC").await, 0, "the source, not the balance, pays the user back");
    assert!(s.site.calls().iter().all(|c| c.signature_ok));
}

/// The pay page in real Chromium at 390 px: the partner's currency is offered beside
/// the balance; a refusal and an unconfirmed debit each get their own words, and the
/// next try (the same debit) pays the order once.
#[tokio::test]
async fn the_pay_page_pays_in_the_partner_currency_in_chromium() {
    let app = spawn_app_with(|c| {
        c.source_timeout_ms = 300;
        c.deduct_attempts = 1;
    })
    .await;
    let s = setup(&app).await;
    let order = pay::new_order(&app, &s.partner, &pay::order("HM-B", "12.50")).await;
    let order_id = order["order_id"].as_str().expect("id");
    let Some(b) = browser::start(390, 844).await else { return };
    let t = Duration::from_secs(20);
    let click = |css: String| {
        let b = &b;
        async move { b.element(&css, t).await.click().await.expect("click") }
    };

    // The partner sends its user to the order through a signed import link.
    let target = format!("/h5/pay/{order_id}");
    let link = import_link(&s.code, &s.secret, "u-42", app.clock.now_secs(), Some(&target));
    b.client.goto(&app.url(&link)).await.expect("open import link");
    let mine = format!("#pay-method-{}", s.code);
    b.wait_text("#pay-method-balance", |x| x.contains("1.25 OGC"), t).await;
    b.wait_text(&mine, |x| x.contains("Qiande Mall") && x.contains("12.50 HM"), t).await;
    let checked = |css: String| {
        let b = &b;
        async move { b.element(&css, t).await.attr("aria-checked").await.expect("attr").unwrap_or_default() }
    };
    assert_eq!(checked("#pay-method-balance".into()).await, "true", "the balance is the default");
    click(mine.clone()).await;
    assert_eq!(checked(mine.clone()).await, "true");
    assert_eq!(checked("#pay-method-balance".into()).await, "false");
    b.screenshot("pay-source-1-choice").await;

    // 1. The partner refuses: its own words on the page, nothing taken.
    s.site.deduct_script(&[DeductMode::Refuse]);
    tap_pin(&b, PIN).await;
    click("#pay-confirm:not([disabled])".into()).await;
    b.wait_text("#pay-error", |x| x.contains("did not accept"), t).await;
    assert!(s.site.debits().is_empty());

    // 2. The partner fails: not confirmed yet, try again.
    s.site.deduct_script(&[DeductMode::Error500]);
    tap_pin(&b, PIN).await;
    click("#pay-confirm:not([disabled])".into()).await;
    b.wait_text("#pay-error", |x| x.contains("not confirmed") && x.contains("not be charged twice"), t).await;
    b.screenshot("pay-source-2-pending").await;

    // 3. Again: the same debit id goes through, the order is paid once.
    tap_pin(&b, PIN).await;
    click("#pay-confirm:not([disabled])".into()).await;
    b.element("#pay-status[data-status=\"paid\"]", t).await;
    let reqs = s.site.deduct_requests();
    assert_eq!(reqs.len(), 3, "refused, failed, paid");
    assert_eq!(reqs[1]["id"], reqs[2]["id"], "the retry reuses the unclear debit");
    assert_eq!(s.site.debits().len(), 1);
    assert_eq!(pay::balance(&app, &s.user_id, "OGC").await, 0, "the platform balance is untouched");
    let got = s.receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].json()["data"]["trade_no"], "HM-B");
    b.close().await;
}
