//! Refunds end to end over HTTP (SPEC §13): full, partial and over-refunds, the
//! `refund_no` rules, refusals that change nothing, a merchant balance that cannot
//! cover, many concurrent refunds of one order, and the signed refund notifications.

use std::time::Duration;

use opengate_e2e::login::signed_get;
use opengate_e2e::pay::*;
use opengate_e2e::{assert_error, send, spawn_app, Partner, Signed, TestApp};
use serde_json::{json, Value};

async fn refund(app: &TestApp, p: &Partner, trade_no: &str, body: &Value) -> (u16, Value, String) {
    opengate_e2e::login::signed_post(app, p, &format!("/open/v1/pay/orders/{trade_no}/refunds"), body).await
}

/// A paid order of `amount` PTS (settled at 0.1 OGC per PTS) and its order id.
async fn paid_order(app: &TestApp, s: &PaySetup, trade_no: &str, amount: &str) -> String {
    let o = new_order(app, &s.partner, &order(trade_no, amount)).await;
    let order_id = o["order_id"].as_str().expect("order_id").to_owned();
    let (status, r) = confirm(app, &s.h5, &order_id, PIN).await;
    assert_eq!(status, 200, "{r}");
    order_id
}

/// Every balance and journal of the platform, summed: (users, merchants, user journal,
/// merchant journal).
async fn totals(app: &TestApp) -> (i64, i64, i64, i64) {
    let q = |sql: &'static str| async move {
        let (v,): (Option<i64>,) = sqlx::query_as(sql).fetch_one(&app.state.db.pool).await.expect(sql);
        v.unwrap_or(0)
    };
    (
        q("SELECT CAST(SUM(amount) AS BIGINT) FROM balances").await,
        q("SELECT CAST(SUM(amount) AS BIGINT) FROM merchant_balances").await,
        q("SELECT CAST(SUM(delta) AS BIGINT) FROM ledger_entries").await,
        q("SELECT CAST(SUM(delta) AS BIGINT) FROM merchant_entries").await,
    )
}

async fn refund_rows(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refunds").fetch_one(&app.state.db.pool).await.expect("n");
    n
}

#[tokio::test]
async fn partial_then_full_refunds_go_back_to_the_payer_and_are_notified() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let rx = Receiver::start().await;
    opengate::admin::set_notify_url(&app.state, &s.partner.app_id, Some(&rx.url())).await.expect("notify url");
    // 12.55 PTS settle as 1.26 OGC (rounded up).
    let order_id = paid_order(&app, &s, "T-R1", "12.55").await;
    rx.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000 - 126);

    // 5.00 of 12.55: 126 × 500 / 1255 = 50.2 → 50 (rounded down).
    let r =
        refund(&app, &s.partner, "T-R1", &json!({"refund_no": "RF-1", "amount": "5.00", "reason": "one cup"})).await;
    assert_eq!(r.0, 200, "{}", r.2);
    let d = &r.1["data"];
    assert!(d["refund_id"].as_str().is_some_and(|i| i.starts_with("rf_")), "{d}");
    assert_eq!(d["refund_no"], "RF-1");
    assert_eq!(d["trade_no"], "T-R1");
    assert_eq!(d["status"], "succeeded");
    assert_eq!(d["amount"], "5.00");
    assert_eq!(d["currency"], "PTS");
    assert_eq!(d["settle_amount"], "0.50");
    assert_eq!(d["settle_currency"], "OGC");
    assert_eq!(d["reason"], "one cup");
    assert!(d["created_at"].is_i64() && d["refunded_at"].is_i64(), "{d}");
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000 - 126 + 50);
    assert_eq!(merchant_balance(&app, &s.partner.app_id, "OGC").await, 76);

    // The order stays paid and says how much was refunded.
    let q = query_order(&app, &s.partner, "T-R1").await;
    assert_eq!(q.1["data"]["status"], "paid", "{}", q.2);
    assert_eq!(q.1["data"]["refunded_amount"], "5.00");

    // More than is left: U0304, nothing changes.
    let over = refund(&app, &s.partner, "T-R1", &json!({"refund_no": "RF-2", "amount": "7.56"})).await;
    assert_error(&over, 409, "U0304");
    assert!(over.1["errorMsg"].as_str().is_some_and(|m| m.contains("7.55")), "{}", over.1);
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000 - 126 + 50);

    // The rest: the last refund takes the remainder, 126 − 50 = 76.
    let r2 = refund(&app, &s.partner, "T-R1", &json!({"refund_no": "RF-2", "amount": "7.55"})).await;
    assert_eq!(r2.0, 200, "{}", r2.2);
    assert_eq!(r2.1["data"]["settle_amount"], "0.76");
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000);
    assert_eq!(merchant_balance(&app, &s.partner.app_id, "OGC").await, 0);
    let q = query_order(&app, &s.partner, "T-R1").await;
    assert_eq!(q.1["data"]["refunded_amount"], "12.55");
    assert_eq!(q.1["data"]["status"], "paid");
    let none_left = refund(&app, &s.partner, "T-R1", &json!({"refund_no": "RF-3", "amount": "0.01"})).await;
    assert_error(&none_left, 409, "U0304");

    // Both refunds, oldest first; and one by refund_no.
    let list = signed_get(&app, &s.partner, "/open/v1/pay/orders/T-R1/refunds").await;
    assert_eq!(list.0, 200, "{}", list.2);
    let items = list.1["data"].as_array().expect("array");
    assert_eq!(items.iter().map(|r| r["refund_no"].clone()).collect::<Vec<_>>(), vec![json!("RF-1"), json!("RF-2")]);
    let one = signed_get(&app, &s.partner, "/open/v1/pay/refunds/RF-2").await;
    assert_eq!(one.0, 200, "{}", one.2);
    assert_eq!(one.1["data"], r2.1["data"]);

    // refund.succeeded twice, signed per Standard Webhooks, the refund plus the order.
    let got = rx.wait_for(3, Duration::from_secs(10)).await;
    let refunds: Vec<_> = got.iter().filter(|n| n.json()["type"] == "refund.succeeded").collect();
    assert_eq!(refunds.len(), 2, "{:?}", got.iter().map(|n| n.json()["type"].clone()).collect::<Vec<_>>());
    for n in &refunds {
        verify_with_reference_library(n, &s.partner.notify_secret);
        let ev = n.json();
        assert_eq!(ev["id"], n.header("webhook-id"));
        assert_eq!(ev["data"]["order_id"], order_id);
        assert_eq!(ev["data"]["app_id"], s.partner.app_id);
        assert!(ev["data"]["open_id"].as_str().is_some_and(|o| o.starts_with("oid_")));
        assert_eq!(ev["data"]["status"], "succeeded");
        assert_eq!(ev["data"]["currency"], "PTS");
    }
    let amounts: Vec<_> = refunds.iter().map(|n| n.json()["data"]["settle_amount"].clone()).collect();
    assert_eq!(amounts, vec![json!("0.50"), json!("0.76")]);
    // The order's delivery log has the payment's and both refunds' deliveries.
    let log = opengate::admin::order_deliveries(&app.state, &order_id).await.expect("log");
    assert_eq!(log.len(), 3);

    // A re-send is a new notification (new id) of the refund as it stands.
    let again =
        opengate_e2e::login::signed_post(&app, &s.partner, "/open/v1/pay/refunds/RF-1/notify", &json!({})).await;
    assert_eq!(again.0, 200, "{}", again.2);
    assert_eq!(again.1["data"]["type"], "refund.succeeded");
    let got = rx.wait_for(4, Duration::from_secs(10)).await;
    let last = got.last().expect("re-sent");
    verify_with_reference_library(last, &s.partner.notify_secret);
    assert_eq!(last.header("webhook-id"), again.1["data"]["notification_id"].as_str().expect("id"));
    assert_ne!(last.header("webhook-id"), refunds[0].header("webhook-id"));
    assert_eq!(last.json()["data"]["refund_no"], "RF-1");
    let unknown =
        opengate_e2e::login::signed_post(&app, &s.partner, "/open/v1/pay/refunds/RF-9/notify", &json!({})).await;
    assert_error(&unknown, 404, "U0303");
    let with_body =
        opengate_e2e::login::signed_post(&app, &s.partner, "/open/v1/pay/refunds/RF-1/notify", &json!({"x": 1})).await;
    assert_error(&with_body, 400, "U0029");
}

#[tokio::test]
async fn refund_no_is_idempotent_and_conflicts_on_other_fields() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    paid_order(&app, &s, "T-I1", "10.00").await;
    paid_order(&app, &s, "T-I2", "10.00").await;
    let body = json!({"refund_no": "RF-I", "amount": "2.50", "reason": "late"});
    let first = refund(&app, &s.partner, "T-I1", &body).await;
    assert_eq!(first.0, 200, "{}", first.2);
    let before = totals(&app).await;
    let user = balance(&app, &s.user_id, "OGC").await;
    // "2.5" is the same amount as "2.50".
    let again =
        refund(&app, &s.partner, "T-I1", &json!({"refund_no": "RF-I", "amount": "2.5", "reason": "late"})).await;
    assert_eq!(again.0, 200, "{}", again.2);
    assert_eq!(again.1["data"], first.1["data"]);
    for other in [
        ("T-I1", json!({"refund_no": "RF-I", "amount": "2.51", "reason": "late"})),
        ("T-I1", json!({"refund_no": "RF-I", "amount": "2.50"})),
        ("T-I1", json!({"refund_no": "RF-I", "amount": "2.50", "reason": "early"})),
        ("T-I2", body.clone()),
    ] {
        let got = refund(&app, &s.partner, other.0, &other.1).await;
        assert_error(&got, 409, "U0301");
        assert!(got.1["errorMsg"].as_str().is_some_and(|m| m.contains("refund_no")), "{}", got.1);
    }
    assert_eq!(balance(&app, &s.user_id, "OGC").await, user, "repeats refund once");
    assert_eq!(totals(&app).await, before);
    assert_eq!(refund_rows(&app).await, 1);
}

#[tokio::test]
async fn refunds_of_unpaid_orders_and_bad_input_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    paid_order(&app, &s, "T-B1", "10.00").await;
    new_order(&app, &s.partner, &order("T-PENDING", "10.00")).await;
    new_order(&app, &s.partner, &order("T-CLOSED", "10.00")).await;
    let closed = order_action(&app, &s.partner, "T-CLOSED", "close").await;
    assert_eq!(closed.0, 200, "{}", closed.2);
    let before = totals(&app).await;

    let ok = json!({"refund_no": "RF-X", "amount": "1.00"});
    let pending = refund(&app, &s.partner, "T-PENDING", &ok).await;
    assert_error(&pending, 409, "U0304");
    assert!(pending.1["errorMsg"].as_str().is_some_and(|m| m.contains("pending")), "{}", pending.1);
    let failed = refund(&app, &s.partner, "T-CLOSED", &ok).await;
    assert_error(&failed, 409, "U0304");
    assert!(failed.1["errorMsg"].as_str().is_some_and(|m| m.contains("closed")), "{}", failed.1);
    assert_error(&refund(&app, &s.partner, "T-NOPE", &ok).await, 404, "U0303");
    assert_error(&refund(&app, &s.partner, "bad%20no", &ok).await, 404, "U0303");

    for (body, field) in [
        (json!({"amount": "1.00"}), "refund_no"),
        (json!({"refund_no": "", "amount": "1.00"}), "refund_no"),
        (json!({"refund_no": "a b", "amount": "1.00"}), "refund_no"),
        (json!({"refund_no": "x".repeat(65), "amount": "1.00"}), "refund_no"),
        (json!({"refund_no": 7, "amount": "1.00"}), "refund_no"),
        (json!({"refund_no": "RF-B"}), "amount"),
        (json!({"refund_no": "RF-B", "amount": 1}), "amount"),
        (json!({"refund_no": "RF-B", "amount": "0"}), "amount"),
        (json!({"refund_no": "RF-B", "amount": "-1.00"}), "amount"),
        (json!({"refund_no": "RF-B", "amount": "1.001"}), "amount"),
        (json!({"refund_no": "RF-B", "amount": "01.00"}), "amount"),
        (json!({"refund_no": "RF-B", "amount": "1e2"}), "amount"),
        (json!({"refund_no": "RF-B", "amount": "1.00", "reason": ""}), "reason"),
        (json!({"refund_no": "RF-B", "amount": "1.00", "reason": "r".repeat(257)}), "reason"),
        (json!({"refund_no": "RF-B", "amount": "1.00", "reason": "a\u{7}b"}), "reason"),
        (json!({"refund_no": "RF-B", "amount": "1.00", "extra": true}), "extra"),
        (json!(["RF-B"]), "body"),
    ] {
        let got = refund(&app, &s.partner, "T-B1", &body).await;
        assert_error(&got, 400, "U0029");
        let msg = got.1["errorMsg"].as_str().unwrap_or_default().to_owned();
        assert!(msg.starts_with(field), "{body} → {msg}");
    }
    for raw in [&b""[..], b"{", b"null"] {
        let mut sg = Signed::new(&s.partner, "POST", "/open/v1/pay/orders/T-B1/refunds", raw);
        sg.timestamp = app.clock.now_secs();
        assert_error(&send(sg.request(&app)).await, 400, "U0029");
    }
    assert_error(&signed_get(&app, &s.partner, "/open/v1/pay/refunds/RF-NONE").await, 404, "U0303");
    assert_error(&signed_get(&app, &s.partner, "/open/v1/pay/orders/T-NOPE/refunds").await, 404, "U0303");
    let empty = signed_get(&app, &s.partner, "/open/v1/pay/orders/T-PENDING/refunds").await;
    assert_eq!(empty.1["data"], json!([]), "{}", empty.2);

    // Another app cannot see or refund this app's order or refunds.
    let other = opengate_e2e::create_partner(&app).await;
    enable_pay(&app, &other).await;
    assert_error(&refund(&app, &other, "T-B1", &ok).await, 404, "U0303");
    assert_eq!(refund(&app, &s.partner, "T-B1", &ok).await.0, 200);
    assert_error(&signed_get(&app, &other, "/open/v1/pay/refunds/RF-X").await, 404, "U0303");
    // Without permission pay: U0076.
    let no_pay = opengate_e2e::create_partner(&app).await;
    assert_error(&refund(&app, &no_pay, "T-B1", &ok).await, 403, "U0076");

    let after = totals(&app).await;
    assert_eq!((after.0 + after.1), (before.0 + before.1), "the one good refund moved money, it made none");
    assert_eq!(refund_rows(&app).await, 1);
}

#[tokio::test]
async fn a_merchant_balance_that_cannot_cover_the_refund_changes_nothing() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let rx = Receiver::start().await;
    opengate::admin::set_notify_url(&app.state, &s.partner.app_id, Some(&rx.url())).await.expect("notify url");
    paid_order(&app, &s, "T-M1", "10.00").await; // 1.00 OGC to the merchant
    rx.wait_for(1, Duration::from_secs(10)).await;
    // The merchant was paid out all but 0.30 OGC.
    sqlx::query("UPDATE merchant_balances SET amount = 30").execute(&app.state.db.pool).await.expect("payout");
    let before = totals(&app).await;
    let got = refund(&app, &s.partner, "T-M1", &json!({"refund_no": "RF-M", "amount": "5.00"})).await;
    assert_error(&got, 409, "U0304");
    assert!(got.1["errorMsg"].as_str().is_some_and(|m| m.contains("merchant balance (0.30 OGC)")), "{}", got.1);
    assert_eq!(totals(&app).await, before);
    assert_eq!(refund_rows(&app).await, 0);
    assert_eq!(query_order(&app, &s.partner, "T-M1").await.1["data"]["refunded_amount"], "0.00");
    assert_error(&signed_get(&app, &s.partner, "/open/v1/pay/refunds/RF-M").await, 404, "U0303");
    // What it can cover still goes through, under the same refund_no.
    let small = refund(&app, &s.partner, "T-M1", &json!({"refund_no": "RF-M", "amount": "3.00"})).await;
    assert_eq!(small.0, 200, "{}", small.2);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count(), 2, "one refund notification, none for the refused attempt");
}

#[tokio::test]
async fn fifty_concurrent_partial_refunds_never_exceed_the_payment() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    paid_order(&app, &s, "T-C1", "10.00").await; // 1.00 OGC
    let before = totals(&app).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let body = serde_json::to_vec(&json!({"refund_no": format!("RF-C{i}"), "amount": "0.30"})).expect("json");
        let mut sg = Signed::new(&s.partner, "POST", "/open/v1/pay/orders/T-C1/refunds", &body);
        sg.timestamp = app.clock.now_secs();
        let rb = sg.request(&app);
        tasks.push(tokio::spawn(async move { send(rb).await }));
    }
    let mut ok = 0;
    for t in tasks {
        let got = t.await.expect("task");
        match got.0 {
            200 => ok += 1,
            _ => assert_error(&got, 409, "U0304"),
        }
    }
    // 33 × 0.30 = 9.90 fits in 10.00; a 34th would not.
    assert_eq!(ok, 33);
    let q = query_order(&app, &s.partner, "T-C1").await;
    assert_eq!(q.1["data"]["refunded_amount"], "9.90");
    // Each took floor(100 × 30 / 1000) = 3; the last 0.10 takes the remaining 1.
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000 - 100 + 99);
    let last = refund(&app, &s.partner, "T-C1", &json!({"refund_no": "RF-LAST", "amount": "0.10"})).await;
    assert_eq!(last.1["data"]["settle_amount"], "0.01", "{}", last.2);
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000);
    assert_eq!(merchant_balance(&app, &s.partner.app_id, "OGC").await, 0);
    // Money moved, none was made or lost, and the journals agree with the balances.
    let after = totals(&app).await;
    assert_eq!(after.0 + after.1, before.0 + before.1);
    assert_eq!(after.0, after.2, "user balances = user journal");
    assert_eq!(after.1, after.3, "merchant balances = merchant journal");
}

/// The partner SDK's typed refund and statement calls, and its event verifier on a
/// real refund delivery.
#[tokio::test]
async fn the_sdk_refunds_lists_fetches_statements_and_verifies_refund_events() {
    use opengate_sdk::{Client, ErrorCode, Event, NotificationVerifier};

    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let rx = Receiver::start().await;
    opengate::admin::set_notify_url(&app.state, &s.partner.app_id, Some(&rx.url())).await.expect("notify url");
    paid_order(&app, &s, "T-SDK", "12.55").await;
    let og = Client::new(&app.base, &s.partner.access_key, &s.partner.secret_key).expect("client");

    let mut req = opengate_sdk::refund("RF-SDK-1", "5.00");
    req.reason = Some("one cup".into());
    let r = og.refund("T-SDK", &req).await.expect("refund");
    assert_eq!(
        (r.status.as_str(), r.settle_amount.as_str(), r.reason.as_deref()),
        ("succeeded", "0.50", Some("one cup"))
    );
    assert_eq!(og.refund("T-SDK", &req).await.expect("repeat"), r, "a retry answers the same refund");
    let conflict = og.refund("T-SDK", &opengate_sdk::refund("RF-SDK-1", "6.00")).await.expect_err("conflict");
    assert_eq!(conflict.code(), Some(ErrorCode::U0301));
    let over = og.refund("T-SDK", &opengate_sdk::refund("RF-SDK-2", "99.00")).await.expect_err("too much");
    assert_eq!(over.code(), Some(ErrorCode::U0304));
    assert_eq!(og.refunds_of("T-SDK").await.expect("list"), vec![r.clone()]);
    assert_eq!(og.query_refund("RF-SDK-1").await.expect("one"), r);
    assert_eq!(og.query_refund("RF-none").await.expect_err("unknown").code(), Some(ErrorCode::U0303));
    assert_eq!(og.query_order("T-SDK").await.expect("order").refunded_amount, "5.00");
    let resent = og.resend_refund_notification("RF-SDK-1").await.expect("resend");
    assert_eq!((resent.kind.as_str(), resent.status.as_str()), ("refund.succeeded", "queued"));

    let today = time::OffsetDateTime::from_unix_timestamp(app.clock.now_secs()).expect("now").date().to_string();
    let st = og.statement(&today).await.expect("statement");
    assert!(!st.is_final);
    assert!(st.csv.lines().any(|l| l.starts_with("refund,") && l.contains(",RF-SDK-1,")), "{}", st.csv);
    let bad = og.statement("2026-99-01").await.expect_err("bad date");
    assert_eq!(bad.code(), Some(ErrorCode::U0029));

    let got = rx.wait_for(3, Duration::from_secs(10)).await;
    let verifier = NotificationVerifier::new([s.partner.notify_secret.as_str()]).expect("verifier");
    let mut kinds = Vec::new();
    for n in &got {
        let mut h = reqwest::header::HeaderMap::new();
        for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
            h.insert(name, n.header(name).parse().expect("header"));
        }
        match verifier.verify_event(&h, &n.body).expect("verified") {
            Event::Payment(p) => kinds.push(format!("{} {}", p.kind, p.data.trade_no)),
            Event::Refund(e) => {
                assert_eq!(e.data.refund, r);
                kinds.push(format!("{} {}", e.kind, e.data.refund.refund_no));
            }
        }
    }
    kinds.sort();
    assert_eq!(kinds, ["payment.succeeded T-SDK", "refund.succeeded RF-SDK-1", "refund.succeeded RF-SDK-1"]);
}
