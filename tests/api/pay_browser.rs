//! "Pay with OpenGate" end to end in real headless Chromium at 390×844: the partner
//! creates a signed order → pay page (login first) → no PIN yet, so the account page
//! sets one and comes back → a wrong PIN is refused and the pad cleared → the right PIN
//! pays → the browser returns to a real partner server at `return_url`, while a real
//! notify receiver gets the signed notification and checks it with the independent
//! Standard Webhooks library. A second test cancels on the pay page.

use std::time::{Duration, Instant};

use axum::extract::RawQuery;
use axum::routing::get;
use fantoccini::elements::Element;
use fantoccini::Locator;
use opengate_e2e::demo_partner::{tap_pin, wait_url};
use opengate_e2e::login::{query_of, user, PASSWORD};
use opengate_e2e::pay::{
    balance, enable_pay, new_order, order, query_order, setup, verify_with_reference_library, Receiver,
};
use opengate_e2e::{browser, create_partner, spawn_app, TestApp};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// Generous, for a loaded machine; a wrong behaviour still fails.
const WAIT: Duration = Duration::from_secs(20);

/// The PIN the user sets in the browser, and one that is not it.
const NEW_PIN: &str = "135790";
const WRONG_PIN: &str = "975310";

/// The partner's return page: a real HTTP server that hands each query to the test.
async fn partner_return() -> (String, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/done",
        get(move |RawQuery(q): RawQuery| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(q.unwrap_or_default());
                axum::response::Html("<h1 id=partner-done>Partner got the payment result</h1>")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind return server");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/done"), rx)
}

async fn wait_for(b: &browser::Browser, css: &str) -> Element {
    b.element(css, WAIT).await
}

/// Waits until exactly `n` elements match `css`.
async fn wait_count(b: &browser::Browser, css: &str, n: usize) {
    let deadline = Instant::now() + WAIT;
    let mut last = usize::MAX;
    while Instant::now() < deadline {
        if let Ok(found) = b.client.find_all(Locator::Css(css)).await {
            if found.len() == n {
                return;
            }
            last = found.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: wanted {n} elements, last saw {last}");
}

async fn is_present(b: &browser::Browser, css: &str) -> bool {
    !b.client.find_all(Locator::Css(css)).await.expect("find_all").is_empty()
}

/// Logs in on the H5 login page, which must be on screen.
async fn log_in(b: &browser::Browser, mobile: &str, shot: Option<&str>) {
    wait_for(b, "#account").await.send_keys(mobile).await.expect("type account");
    wait_for(b, "#password").await.send_keys(PASSWORD).await.expect("type password");
    if let Some(name) = shot {
        b.screenshot(name).await;
    }
    wait_for(b, "#login-submit").await.click().await.expect("submit login");
}

/// The order's `data` in the partner's signed query.
async fn queried(app: &TestApp, p: &opengate_e2e::Partner, trade_no: &str) -> Value {
    let (status, v, raw) = query_order(app, p, trade_no).await;
    assert_eq!(status, 200, "{raw}");
    v["data"].clone()
}

#[tokio::test]
async fn pay_with_pin_in_chromium_redirects_and_notifies() {
    let app = spawn_app().await;
    let partner = create_partner(&app).await;
    enable_pay(&app, &partner).await;
    let rx = Receiver::start().await;
    let (return_url, mut returned) = partner_return().await;
    // A fresh, funded user without a PIN: the pay page must send them to set one.
    let (user_id, mobile) = user(&app).await;
    opengate::admin::credit(&app.state, &mobile, "OGC", "100.00", "test").await.expect("credit");

    // 1. The partner creates the order (12.55 PTS × 0.1 = 1.255 → 1.26 OGC).
    let mut body = order("T-B-1", "12.55");
    body["return_url"] = json!(return_url);
    body["notify_url"] = json!(rx.url());
    let o = new_order(&app, &partner, &body).await;
    assert_eq!(o["settle_amount"], "1.26");
    let order_id = o["order_id"].as_str().expect("order_id").to_owned();
    let pay_path = format!("/h5/pay/{order_id}");
    assert!(o["pay_url"].as_str().is_some_and(|u| u.ends_with(&pay_path)), "{o}");

    let Some(b) = browser::start(390, 844).await else { return };

    // 2. The pay link (on this server's port); not logged in → login page → back.
    b.client.goto(&app.url(&pay_path)).await.expect("open pay page");
    wait_url(&b, &app.url("/h5/login?next=")).await;
    log_in(&b, &mobile, Some("pay-1-login")).await;

    // 3. The order as the payer sees it.
    b.wait_text("#pay-merchant", |t| t == "Test App", WAIT).await;
    assert_eq!(wait_url(&b, &app.url(&pay_path)).await, app.url(&pay_path));
    b.wait_text("#pay-subject", |t| t == "Green tea", WAIT).await;
    b.wait_text("#pay-amount", |t| t == "12.55 PTS", WAIT).await;
    b.wait_text("#pay-settle", |t| t == "1.26 OGC", WAIT).await;
    b.wait_text("#pay-rate", |t| t == "1 PTS = 0.1 OGC", WAIT).await;
    b.wait_text("#pay-balance", |t| t == "100.00 OGC", WAIT).await;

    // 4. No PIN yet: no pad, a link to the account page, which comes back here.
    b.wait_text("#pay-no-pin", |t| t.contains("PIN"), WAIT).await;
    assert!(!is_present(&b, "#pin-dots").await, "no PIN pad without a PIN");
    assert!(!is_present(&b, "#pay-confirm").await, "no confirm button without a PIN");
    wait_for(&b, "#pay-set-pin").await.click().await.expect("go set a PIN");
    wait_url(&b, &app.url("/h5/account?next=")).await;
    // The account is shown masked: 139****1234.
    let masked = format!("{}****{}", &mobile[..3], &mobile[mobile.len() - 4..]);
    b.wait_text("#account-name", |t| t == masked, WAIT).await;
    b.wait_text("#account-nickname", |t| t == "Tea Lover", WAIT).await;
    b.wait_text("li.balance[data-asset=\"OGC\"] span.balance-amount", |t| t == "100.00", WAIT).await;
    assert!(!is_present(&b, "#current-pin").await, "no current PIN to give when none is set");
    assert!(!is_present(&b, "#pin-status.set").await, "the PIN is not set yet");
    wait_for(&b, "#new-pin").await.send_keys(NEW_PIN).await.expect("type new PIN");
    wait_for(&b, "#new-pin-repeat").await.send_keys(NEW_PIN).await.expect("repeat new PIN");
    b.screenshot("pay-2-set-pin").await;
    wait_for(&b, "#pin-submit").await.click().await.expect("save PIN");

    // Back on the pay page, now with the pad.
    wait_for(&b, "#pin-dots").await;
    assert_eq!(wait_url(&b, &app.url(&pay_path)).await, app.url(&pay_path));
    assert!(!is_present(&b, "#pay-no-pin").await, "the PIN is set now");
    b.wait_text("#pay-amount", |t| t == "12.55 PTS", WAIT).await;
    wait_count(&b, "#pin-dots span.dot", 6).await;
    wait_count(&b, "#pin-dots span.dot.filled", 0).await;
    let confirm = wait_for(&b, "#pay-confirm").await;
    assert!(confirm.attr("disabled").await.expect("attr").is_some(), "confirm waits for six digits");
    b.screenshot("pay-3-order").await;

    // 5. A wrong PIN: refused with the tries left, the pad starts empty again, nothing paid.
    tap_pin(&b, WRONG_PIN).await;
    wait_for(&b, "#pay-confirm:not([disabled])").await.click().await.expect("confirm wrong PIN");
    b.wait_text("#pay-error", |t| t.contains("Wrong payment PIN") && t.contains("4 tries left"), WAIT).await;
    wait_count(&b, "#pin-dots span.dot.filled", 0).await;
    assert!(wait_for(&b, "#pay-confirm").await.attr("disabled").await.expect("attr").is_some());
    b.screenshot("pay-4-wrong-pin").await;
    assert_eq!(balance(&app, &user_id, "OGC").await, 10_000, "a wrong PIN moves no money");
    assert_eq!(queried(&app, &partner, "T-B-1").await["status"], "pending");
    assert_eq!(rx.count(), 0, "nothing to notify yet");

    // The right PIN pays; the result shows, then the browser returns to the partner.
    tap_pin(&b, NEW_PIN).await;
    wait_for(&b, "#pay-confirm:not([disabled])").await.click().await.expect("confirm PIN");
    wait_for(&b, "#pay-status[data-status=\"paid\"]").await;
    let paid_seen = Instant::now();
    let back = wait_for(&b, "#pay-return").await.attr("href").await.expect("href").expect("return link");
    assert!(!is_present(&b, "#pay-reason").await, "a paid order has no failure reason");
    b.screenshot("pay-5-result").await;

    let query = tokio::time::timeout(WAIT, returned.recv()).await.expect("the return page was reached").expect("query");
    let after = paid_seen.elapsed();
    // The result stays 3 s on screen, then the browser goes back by itself.
    assert!(after >= Duration::from_secs(1), "returned after only {after:?}: the result must stay on screen");
    assert!(after <= Duration::from_secs(6), "returned only after {after:?}; the page returns after 3 s");
    let params = query_of(&format!("http://x/?{query}"));
    assert_eq!(params.get("order_id"), Some(&order_id), "{query}");
    assert_eq!(params.get("trade_no").map(String::as_str), Some("T-B-1"), "{query}");
    assert_eq!(params.get("status").map(String::as_str), Some("paid"), "{query}");
    let now_at = wait_url(&b, &return_url).await;
    assert_eq!(now_at, back, "the browser went where the return link points");
    b.wait_text("#partner-done", |t| t.contains("Partner got"), WAIT).await;
    b.screenshot("pay-6-returned").await;

    // 6. Exactly one signed notification, accepted by the independent library.
    let got = rx.wait_for(1, WAIT).await;
    assert_eq!(got.len(), 1, "one payment, one notification");
    let n = &got[0];
    verify_with_reference_library(n, &partner.notify_secret);
    let ev = n.json();
    assert_eq!(ev["id"], n.header("webhook-id"));
    assert_eq!(ev["type"], "payment.succeeded");
    let d = &ev["data"];
    assert_eq!(d["order_id"], order_id);
    assert_eq!(d["trade_no"], "T-B-1");
    assert_eq!(d["app_id"], partner.app_id);
    assert_eq!(d["amount"], "12.55");
    assert_eq!(d["currency"], "PTS");
    assert_eq!(d["settle_amount"], "1.26");
    assert_eq!(d["settle_currency"], "OGC");
    assert_eq!(d["status"], "paid");
    assert!(d["open_id"].as_str().is_some_and(|o| o.starts_with("oid_")), "{ev}");

    assert_eq!(balance(&app, &user_id, "OGC").await, 10_000 - 126);
    let q = queried(&app, &partner, "T-B-1").await;
    assert_eq!(q["status"], "paid");
    assert_eq!(q["open_id"], d["open_id"]);
    assert_eq!(rx.count(), 1, "still exactly one notification");
    b.close().await;
}

#[tokio::test]
async fn cancel_in_chromium_fails_the_order() {
    let app = spawn_app().await;
    // A user with a PIN; the browser logs in on its own (setup's session is not its).
    let s = setup(&app, "100.00").await;
    let o = new_order(&app, &s.partner, &order("T-B-2", "12.55")).await;
    let order_id = o["order_id"].as_str().expect("order_id").to_owned();
    let pay_path = format!("/h5/pay/{order_id}");

    let Some(b) = browser::start(390, 844).await else { return };
    b.client.goto(&app.url(&pay_path)).await.expect("open pay page");
    wait_url(&b, &app.url("/h5/login?next=")).await;
    log_in(&b, &s.mobile, None).await;

    b.wait_text("#pay-amount", |t| t == "12.55 PTS", WAIT).await;
    wait_for(&b, "#pin-dots").await;
    assert!(!is_present(&b, "#pay-no-pin").await, "this user has a PIN");
    wait_for(&b, "#pay-cancel:not([disabled])").await.click().await.expect("cancel");

    wait_for(&b, "#pay-status[data-status=\"failed\"]").await;
    b.wait_text("#pay-reason", |t| t == "You cancelled the payment.", WAIT).await;
    // No return_url: the page only says to go back to the app.
    wait_for(&b, "#pay-go-back").await;
    assert!(!is_present(&b, "#pay-return").await);
    b.screenshot("pay-7-cancelled").await;

    let q = queried(&app, &s.partner, "T-B-2").await;
    assert_eq!(q["status"], "failed");
    assert_eq!(q["fail_reason"], "cancelled");
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000, "a cancelled order moves no money");
    b.close().await;
}
