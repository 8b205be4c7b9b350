//! The user's payment history with refunds (issue 16): `GET /api/h5/account/payments`
//! and its page in real Chromium at 390 px (in the extra bundle, ADR 0017).

use std::time::Duration;

use opengate_e2e::login::{signed_post, H5, PASSWORD};
use opengate_e2e::pay::*;
use opengate_e2e::{browser, spawn_app, TestApp};
use serde_json::{json, Value};

/// A paid order of `amount` PTS (settled at 0.1 OGC per PTS) paid by `h5`.
async fn paid(app: &TestApp, s: &PaySetup, h5: &H5, trade_no: &str, amount: &str) -> String {
    let o = new_order(app, &s.partner, &order(trade_no, amount)).await;
    let order_id = o["order_id"].as_str().expect("order_id").to_owned();
    let (status, r) = confirm(app, h5, &order_id, PIN).await;
    assert_eq!(status, 200, "{r}");
    order_id
}

async fn refund(app: &TestApp, s: &PaySetup, trade_no: &str, refund_no: &str, amount: &str) {
    let path = format!("/open/v1/pay/orders/{trade_no}/refunds");
    let (status, _, raw) =
        signed_post(app, &s.partner, &path, &json!({"refund_no": refund_no, "amount": amount})).await;
    assert_eq!(status, 200, "{raw}");
}

async fn history(app: &TestApp, h5: &H5) -> (u16, Value) {
    get_json(app, h5, "/api/h5/account/payments").await
}

#[tokio::test]
async fn the_history_lists_my_payments_with_their_refunds_and_nobody_elses() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let (_, _, other) = payer(&app, "100.00").await;

    assert_eq!(history(&app, &s.h5).await.1, json!({"payments": []}));
    let first = paid(&app, &s, &s.h5, "T-H1", "12.55").await;
    let second = paid(&app, &s, &s.h5, "T-H2", "3.00").await;
    let others = paid(&app, &s, &other, "T-H3", "7.00").await;
    // Not paid: never listed.
    new_order(&app, &s.partner, &order("T-H4", "1.00")).await;
    refund(&app, &s, "T-H1", "RF-H1", "5.00").await;
    refund(&app, &s, "T-H1", "RF-H2", "7.55").await;

    let (status, h) = history(&app, &s.h5).await;
    assert_eq!(status, 200, "{h}");
    let payments = h["payments"].as_array().expect("payments");
    let ids: Vec<&str> = payments.iter().filter_map(|p| p["order_id"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{h}");
    assert!(ids.contains(&first.as_str()) && ids.contains(&second.as_str()), "{h}");
    assert!(!ids.contains(&others.as_str()), "another user's order is not listed: {h}");
    let p1 = payments.iter().find(|p| p["order_id"] == first.as_str()).expect("T-H1");
    let name: String = sqlx::query_scalar("SELECT name FROM apps WHERE id = $1")
        .bind(&s.partner.app_id)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("app name");
    assert_eq!(p1["merchant_name"], name.as_str());
    assert_eq!(p1["subject"], "Green tea");
    assert_eq!(p1["status"], "paid", "a refunded order stays paid");
    assert_eq!(p1["amount"], "12.55");
    assert_eq!(p1["currency"], "PTS");
    assert_eq!(p1["settle_amount"], "1.26");
    assert_eq!(p1["settle_currency"], "OGC");
    assert_eq!(p1["refunded_amount"], "12.55");
    assert!(p1["paid_at"].is_i64(), "{p1}");
    let refunds = p1["refunds"].as_array().expect("refunds");
    assert_eq!(refunds.len(), 2, "{p1}");
    assert_eq!(refunds[0]["refund_no"], "RF-H1");
    assert_eq!(refunds[0]["status"], "succeeded");
    assert_eq!(refunds[0]["amount"], "5.00");
    assert_eq!(refunds[0]["settle_amount"], "0.50");
    assert!(refunds[0]["refunded_at"].is_i64(), "{p1}");
    // The last refund takes the remainder: the refunds add up to the payment.
    assert_eq!(refunds[1]["refund_no"], "RF-H2");
    assert_eq!(refunds[1]["settle_amount"], "0.76");
    let p2 = payments.iter().find(|p| p["order_id"] == second.as_str()).expect("T-H2");
    assert_eq!(p2["refunds"], json!([]));
    assert_eq!(p2["refunded_amount"], "0.00");

    // The other user sees only their own payment, without the first user's refunds.
    let (_, h) = history(&app, &other).await;
    assert_eq!(h["payments"].as_array().map(Vec::len), Some(1), "{h}");
    assert_eq!(h["payments"][0]["order_id"], others.as_str());
    assert_eq!(h["payments"][0]["refunds"], json!([]));

    // Nobody logged in: login_required.
    let anonymous = H5::new(&app).await;
    let (status, body) = history(&app, &anonymous).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "login_required");
}

#[tokio::test]
async fn the_payment_history_page_shows_a_refund_in_chromium() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let order_id = paid(&app, &s, &s.h5, "T-HB1", "12.55").await;
    refund(&app, &s, "T-HB1", "RF-HB1", "5.00").await;
    let Some(b) = browser::start(390, 844).await else { return };
    let t = Duration::from_secs(20);
    // Login (first-load bundle), then the account page and the history (extra bundle).
    b.client.goto(&app.url("/h5/login?next=%2Fh5%2Faccount")).await.expect("open login");
    b.element("#account", t).await.send_keys(&s.mobile).await.expect("account");
    b.element("#password", t).await.send_keys(PASSWORD).await.expect("password");
    b.element("#login-submit", t).await.click().await.expect("log in");
    b.element("#nav-payments", t).await.click().await.expect("open the history");
    let row = format!("li.payment[data-order-id=\"{order_id}\"]");
    let text = b.wait_text(&row, |x| x.contains("RF-HB1"), t).await;
    assert!(text.contains("12.55 PTS") && text.contains("1.26 OGC"), "{text}");
    assert!(text.contains("Refunded 5.00 PTS"), "{text}");
    let refund = b.wait_text("li.refund[data-refund-no=\"RF-HB1\"]", |x| !x.is_empty(), t).await;
    assert!(refund.contains("Refunded") && refund.contains("5.00 PTS") && refund.contains("0.50 OGC"), "{refund}");
    // Fits the phone's width: nothing scrolls sideways.
    let wide = b
        .client
        .execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![])
        .await
        .expect("width");
    assert_eq!(wide, json!(true), "the page is wider than 390 px");
    b.screenshot("payment-history-en").await;
    // The same in Korean and Chinese, from the switcher.
    for (lang, refunded) in [("ko", "환불 완료"), ("zh", "已退款")] {
        b.element(&format!("button[data-lang=\"{lang}\"]"), t).await.click().await.expect("switch");
        b.wait_text("li.refund .refund-status", |x| x == refunded, t).await;
        b.screenshot(&format!("payment-history-{lang}")).await;
    }
    b.close().await;
}
