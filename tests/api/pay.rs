//! Payments end to end over HTTP (SPEC §6, §8, §12): orders and their trade_no rules,
//! pricing, PINs, confirmation, concurrency, expiry, close, re-send, notifications.

use std::time::Duration;

use opengate_e2e::login::H5;
use opengate_e2e::pay::*;
use opengate_e2e::{assert_error, create_partner, spawn_app, spawn_app_with};
use serde_json::{json, Value};

#[tokio::test]
async fn order_pay_and_signed_notification() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let rx = Receiver::start().await;
    opengate::admin::set_notify_url(&app.state, &s.partner.app_id, Some(&rx.url())).await.expect("notify url");

    let mut body = order("T-1001", "12.55");
    body["return_url"] = json!("http://127.0.0.1:8081/done?x=1");
    let o = new_order(&app, &s.partner, &body).await;
    assert_eq!(o["status"], "pending");
    assert_eq!(o["amount"], "12.55");
    assert_eq!(o["currency"], "PTS");
    // 12.55 × 0.1 = 1.255 → rounded up to 1.26.
    assert_eq!(o["settle_amount"], "1.26");
    assert_eq!(o["settle_currency"], "OGC");
    assert_eq!(o["rate"], "0.1");
    let order_id = o["order_id"].as_str().expect("order_id").to_owned();
    assert_eq!(o["pay_url"], format!("{}/h5/pay/{order_id}", app.state.config.public_base_url));
    let expires = o["expires_at"].as_i64().expect("expires_at");
    assert!((expires - app.clock.now_secs() - 900).abs() <= 2, "default expiry is 15 minutes");

    let (status, view) = get_json(&app, &s.h5, &format!("/api/h5/pay/{order_id}")).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["merchant_name"], "Test App");
    assert_eq!(view["balance"], "100.00");
    assert_eq!(view["pin_set"], true);
    assert_eq!(view["return_to"], Value::Null);

    let (status, r) = confirm(&app, &s.h5, &order_id, PIN).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["status"], "paid");
    let back = r["return_to"].as_str().expect("return_to");
    let q = opengate_e2e::login::query_of(back);
    assert!(back.starts_with("http://127.0.0.1:8081/done?x=1&"), "{back}");
    assert_eq!(q["order_id"], order_id);
    assert_eq!(q["trade_no"], "T-1001");
    assert_eq!(q["status"], "paid");

    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000 - 126);
    assert_eq!(merchant_balance(&app, &s.partner.app_id, "OGC").await, 126);

    let got = rx.wait_for(1, Duration::from_secs(10)).await;
    let n = &got[0];
    verify_with_reference_library(n, &s.partner.notify_secret);
    let ts: i64 = n.header("webhook-timestamp").parse().expect("timestamp");
    opengate_shared::webhook::verify(
        &s.partner.notify_secret,
        &n.header("webhook-id"),
        ts,
        &n.header("webhook-signature"),
        &n.body,
        app.clock.now_secs(),
    )
    .expect("our verifier agrees");
    let ev = n.json();
    assert_eq!(ev["id"], n.header("webhook-id"));
    assert!(ev["id"].as_str().is_some_and(|i| i.starts_with("evt_")));
    assert_eq!(ev["type"], "payment.succeeded");
    let d = &ev["data"];
    assert_eq!(d["order_id"], order_id);
    assert_eq!(d["trade_no"], "T-1001");
    assert_eq!(d["app_id"], s.partner.app_id);
    assert_eq!(d["amount"], "12.55");
    assert_eq!(d["settle_amount"], "1.26");
    assert_eq!(d["status"], "paid");
    assert_eq!(d["fail_reason"], Value::Null);
    assert!(d["open_id"].as_str().is_some_and(|o| o.starts_with("oid_")));
    assert!(d["paid_at"].is_i64());

    let (status, q, raw) = query_order(&app, &s.partner, "T-1001").await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(q["data"]["status"], "paid");
    assert_eq!(q["data"]["open_id"], d["open_id"]);

    // The delivery log has the attempt.
    let log = opengate::admin::order_deliveries(&app.state, &order_id).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, "delivered");
    assert_eq!(log[0].attempts.len(), 1);
    assert_eq!(log[0].attempts[0].http_status, Some(200));
}

#[tokio::test]
async fn trade_no_rules() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let p = &s.partner;
    let first = new_order(&app, p, &order("T-1", "12.5")).await;
    // Same parameters (12.5 and 12.50 are one amount) → the same order.
    let again = new_order(&app, p, &order("T-1", "12.50")).await;
    assert_eq!(again["order_id"], first["order_id"]);
    // Any other field differs → conflict, nothing changes.
    let mut other = order("T-1", "12.50");
    other["subject"] = json!("Black tea");
    assert_error(&create_order(&app, p, &other).await, 409, "U0301");
    let mut other = order("T-1", "12.50");
    other["expire_seconds"] = json!(600);
    assert_error(&create_order(&app, p, &other).await, 409, "U0301");
    // Failed (closed) → a new attempt, which may change the parameters.
    let (status, closed, raw) = order_action(&app, p, "T-1", "close").await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(closed["data"]["status"], "failed");
    assert_eq!(closed["data"]["fail_reason"], "closed");
    let second = new_order(&app, p, &other).await;
    assert_ne!(second["order_id"], first["order_id"]);
    assert_eq!(second["status"], "pending");
    let (_, q, _) = query_order(&app, p, "T-1").await;
    assert_eq!(q["data"]["order_id"], second["order_id"], "query answers the latest attempt");
    // Paid → already_paid, whatever the parameters.
    let (status, r) = confirm(&app, &s.h5, second["order_id"].as_str().expect("id"), PIN).await;
    assert_eq!(status, 200, "{r}");
    assert_error(&create_order(&app, p, &other).await, 409, "U0302");
    assert_error(&create_order(&app, p, &order("T-1", "1")).await, 409, "U0302");
    // The same trade_no in another app is another order.
    let p2 = create_partner(&app).await;
    enable_pay(&app, &p2).await;
    let theirs = new_order(&app, &p2, &order("T-1", "12.50")).await;
    assert_ne!(theirs["order_id"], second["order_id"]);
    // Another app's trade_no is not found, for query, close and notify.
    assert_error(&query_order(&app, &p2, "T-404").await, 404, "U0303");
    assert_error(&order_action(&app, &p2, "T-404", "close").await, 404, "U0303");
    assert_error(&order_action(&app, &p2, "T-404", "notify").await, 404, "U0303");
}

#[tokio::test]
async fn concurrent_creates_of_one_trade_no_make_one_order() {
    let app = spawn_app().await;
    let s = setup(&app, "1.00").await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let bytes = serde_json::to_vec(&order("T-race", "3.00")).expect("json");
        let mut sg = opengate_e2e::Signed::new(&s.partner, "POST", "/open/v1/pay/orders", &bytes);
        sg.timestamp = app.clock.now_secs();
        let rb = sg.request(&app);
        tasks.push(tokio::spawn(async move {
            let (_, v, raw) = opengate_e2e::send(rb).await;
            v["data"]["order_id"].as_str().map(str::to_owned).unwrap_or_else(|| panic!("{raw}"))
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        ids.insert(t.await.expect("task"));
    }
    assert_eq!(ids.len(), 1, "every concurrent identical create answers the same order");
}

#[tokio::test]
async fn bad_orders_are_refused_naming_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let s = setup(&app, "1.00").await;
    let p = &s.partner;
    let base = order("T-bad", "1.00");
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (with("amount", json!(1.5)), "amount"),
        (with("amount", json!("1e3")), "amount"),
        (with("amount", json!("-1")), "amount"),
        (with("amount", json!("01.00")), "amount"),
        (with("amount", json!("1.")), "amount"),
        (with("amount", json!("1.005")), "amount"),
        (with("amount", json!("0")), "amount"),
        (with("amount", json!("10000000000000.01")), "amount"),
        (with("currency", json!("OGC")), "currency"),
        (with("trade_no", json!("has space")), "trade_no"),
        (with("trade_no", json!("x".repeat(65))), "trade_no"),
        (with("subject", json!("")), "subject"),
        (with("subject", json!("a\u{0}b")), "subject"),
        (with("return_url", json!("https://evil.example/back")), "return_url"),
        (with("notify_url", json!("https://evil.example/n")), "notify_url"),
        (with("open_id", json!("oid_nobody")), "open_id"),
        (with("expire_seconds", json!(59)), "expire_seconds"),
        (with("expire_seconds", json!(86401)), "expire_seconds"),
        (with("expire_seconds", json!("900")), "expire_seconds"),
        (with("notifyUrl", json!("x")), "notifyUrl"),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in cases {
        let got = create_order(&app, p, &body).await;
        assert_error(&got, 400, "U0029");
        let msg = got.1["errorMsg"].as_str().unwrap_or_default().to_owned();
        assert!(msg.starts_with(field), "{field}: {msg}");
    }
    for missing in ["trade_no", "amount", "currency", "subject"] {
        let mut b = base.clone();
        b.as_object_mut().expect("object").remove(missing);
        let got = create_order(&app, p, &b).await;
        assert_error(&got, 400, "U0029");
        assert!(got.1["errorMsg"].as_str().unwrap_or_default().starts_with(missing));
    }
    assert_error(&query_order(&app, p, "T-bad").await, 404, "U0303");
    // Without permission pay: U0076 on every payment call.
    let other = create_partner(&app).await;
    assert_error(&create_order(&app, &other, &base).await, 403, "U0076");
    assert_error(&query_order(&app, &other, "T-bad").await, 403, "U0076");
}

#[tokio::test]
async fn concurrent_confirmations_of_one_order_charge_once() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let o = new_order(&app, &s.partner, &order("T-twice", "10.00")).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    let tasks: Vec<_> = (0..8).map(|_| confirm_spawned(&app, &s.h5, &id)).collect();
    let mut paid = 0;
    for t in tasks {
        let (status, v) = t.await.expect("task");
        if status == 200 {
            paid += 1;
        } else {
            assert_eq!(v["error"], "already_paid", "{v}");
        }
    }
    assert_eq!(paid, 1);
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000 - 100);
    assert_eq!(merchant_balance(&app, &s.partner.app_id, "OGC").await, 100);
}

#[tokio::test]
async fn two_hundred_orders_against_one_balance_never_overdraw() {
    let app = spawn_app().await;
    let s = setup(&app, "50.00").await;
    // Each order costs 10.00 PTS × 0.1 = 1.00 OGC: exactly 50 can be paid.
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(new_order(&app, &s.partner, &order(&format!("T-many-{i}"), "10.00")).await["order_id"].clone());
    }
    let tasks: Vec<_> = ids.iter().map(|id| confirm_spawned(&app, &s.h5, id.as_str().expect("id"))).collect();
    let (mut paid, mut short) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            (200, _) => paid += 1,
            (_, v) if v["error"] == "insufficient_balance" => short += 1,
            (status, v) => panic!("unexpected {status} {v}"),
        }
    }
    assert_eq!((paid, short), (50, 150));
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 0);
    assert_eq!(merchant_balance(&app, &s.partner.app_id, "OGC").await, 50_00);
    // Double entry: the journal explains every balance.
    let (user_sum,): (i64,) =
        sqlx::query_as("SELECT CAST(SUM(delta) AS BIGINT) FROM ledger_entries WHERE user_id = $1 AND asset = 'OGC'")
            .bind(&s.user_id)
            .fetch_one(&app.state.db.pool)
            .await
            .expect("sum");
    let (merchant_sum,): (i64,) =
        sqlx::query_as("SELECT CAST(SUM(delta) AS BIGINT) FROM merchant_entries WHERE app_id = $1 AND asset = 'OGC'")
            .bind(&s.partner.app_id)
            .fetch_one(&app.state.db.pool)
            .await
            .expect("sum");
    assert_eq!(user_sum, 0);
    assert_eq!(merchant_sum, 50_00);
    // Unpaid orders stay pending and payable later.
    let (pending,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders WHERE app_id = $1 AND status = 'pending'")
        .bind(&s.partner.app_id)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("count");
    assert_eq!(pending, 150);
}

#[tokio::test]
async fn pin_rules_lock_after_five_wrong_tries() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let o = new_order(&app, &s.partner, &order("T-pin", "1.00")).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    assert_eq!(confirm(&app, &s.h5, &id, "12345").await.1["error"], "invalid_request");
    for left in (1..=4).rev() {
        let (status, v) = confirm(&app, &s.h5, &id, "000000").await;
        assert_eq!((status, v["error"].as_str()), (400, Some("wrong_pin")), "{v}");
        assert!(v["message"].as_str().unwrap_or_default().contains(&format!("{left} tries left")), "{v}");
        assert_eq!(v["tries_left"], left, "{v}");
    }
    let resp =
        s.h5.post(&app, &format!("/api/h5/pay/{id}/confirm"), &json!({"pin": "000000"})).send().await.expect("c");
    assert_eq!(resp.status(), 429);
    let retry: i64 = resp.headers()["retry-after"].to_str().expect("ascii").parse().expect("secs");
    assert!((890..=900).contains(&retry), "{retry}");
    // Locked: even the right PIN is refused, and nothing is charged.
    let (status, v) = confirm(&app, &s.h5, &id, PIN).await;
    assert_eq!((status, v["error"].as_str()), (429, Some("pin_locked")));
    let until = app.clock.now_ms() / 1000 + 900;
    assert!((until - 10..=until).contains(&v["retry_at"].as_i64().expect("retry_at")), "{v}");
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 10_000);
    let (_, view) = get_json(&app, &s.h5, &format!("/api/h5/pay/{id}")).await;
    assert!(view["pin_locked_until"].is_i64());
    // Changing the PIN needs the current one, which is locked too.
    let (status, v) =
        post_json(&app, &s.h5, "/api/h5/account/pin", &json!({"current_pin": PIN, "new_pin": "135790"})).await;
    assert_eq!((status, v["error"].as_str()), (429, Some("pin_locked")));
    app.clock.advance_secs(15 * 60 + 1);
    let o = new_order(&app, &s.partner, &order("T-pin-2", "1.00")).await;
    let (status, v) = confirm(&app, &s.h5, o["order_id"].as_str().expect("id"), PIN).await;
    assert_eq!(status, 200, "{v}");
    // Change: without the current PIN refused; with it accepted.
    let (status, _) = post_json(&app, &s.h5, "/api/h5/account/pin", &json!({"new_pin": "135790"})).await;
    assert_eq!(status, 400);
    let (status, v) =
        post_json(&app, &s.h5, "/api/h5/account/pin", &json!({"current_pin": PIN, "new_pin": "135790"})).await;
    assert_eq!(status, 200, "{v}");
    let (_, acct) = get_json(&app, &s.h5, "/api/h5/account").await;
    assert_eq!(acct["pin_set"], true);
    assert!(acct["balances"]
        .as_array()
        .is_some_and(|b| b.iter().any(|x| x["asset"] == "OGC" && x["amount"] == "99.90")));
    // No CSRF token → refused.
    let r = app
        .http
        .post(app.url("/api/h5/account/pin"))
        .header("cookie", format!("og_session={}", s.h5.cookie))
        .json(&json!({"current_pin": "135790", "new_pin": "111111"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn user_without_pin_or_funds_or_rights_is_told_why() {
    let app = spawn_app().await;
    let s = setup(&app, "1.00").await;
    let o = new_order(&app, &s.partner, &order("T-big", "20.00")).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    let (status, v) = confirm(&app, &s.h5, &id, PIN).await;
    assert_eq!((status, v["error"].as_str()), (409, Some("insufficient_balance")));
    let (_, q, _) = query_order(&app, &s.partner, "T-big").await;
    assert_eq!(q["data"]["status"], "pending", "insufficient balance leaves the order pending");
    // Topped up, the same order can be paid.
    opengate::admin::credit(&app.state, &s.mobile, "OGC", "1.00", "top up").await.expect("credit");
    assert_eq!(confirm(&app, &s.h5, &id, PIN).await.0, 200);
    assert_eq!(balance(&app, &s.user_id, "OGC").await, 0);

    // A user without a PIN.
    let (other_id, other_mobile) = opengate_e2e::login::user(&app).await;
    let _ = other_id;
    let h5 = H5::logged_in(&app, &other_mobile).await;
    let o = new_order(&app, &s.partner, &order("T-nopin", "1.00")).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    let (_, view) = get_json(&app, &h5, &format!("/api/h5/pay/{id}")).await;
    assert_eq!(view["pin_set"], false);
    let (status, v) = confirm(&app, &h5, &id, PIN).await;
    assert_eq!((status, v["error"].as_str()), (409, Some("pin_not_set")));
    // Not logged in.
    let anon = H5::new(&app).await;
    assert_eq!(get_json(&app, &anon, &format!("/api/h5/pay/{id}")).await.1["error"], "login_required");
    // Unknown order.
    assert_eq!(get_json(&app, &s.h5, "/api/h5/pay/ord_nope").await.0, 404);
}

#[tokio::test]
async fn payer_restriction_by_open_id() {
    let app = spawn_app().await;
    let s = setup(&app, "10.00").await;
    // The user's open_id for the app exists once they paid it (or logged in to it).
    let first = new_order(&app, &s.partner, &order("T-a", "1.00")).await;
    confirm(&app, &s.h5, first["order_id"].as_str().expect("id"), PIN).await;
    let (_, q, _) = query_order(&app, &s.partner, "T-a").await;
    let open_id = q["data"]["open_id"].as_str().expect("open_id").to_owned();
    let mut body = order("T-for-one", "1.00");
    body["open_id"] = json!(open_id);
    let o = new_order(&app, &s.partner, &body).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    let (_, _, other) = payer(&app, "10.00").await;
    let (status, v) = get_json(&app, &other, &format!("/api/h5/pay/{id}")).await;
    assert_eq!((status, v["error"].as_str()), (403, Some("not_payer")));
    assert_eq!(confirm(&app, &other, &id, PIN).await.1["error"], "not_payer");
    assert_eq!(confirm(&app, &s.h5, &id, PIN).await.0, 200);
    // A paid order is nobody else's business either.
    assert_eq!(get_json(&app, &other, &format!("/api/h5/pay/{id}")).await.1["error"], "not_payer");
}

#[tokio::test]
async fn expiry_cancel_and_close() {
    let app = spawn_app().await;
    let s = setup(&app, "10.00").await;
    let p = &s.partner;
    let mut body = order("T-exp", "1.00");
    body["expire_seconds"] = json!(60);
    let o = new_order(&app, p, &body).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    app.clock.advance_secs(61);
    let (status, v) = confirm(&app, &s.h5, &id, PIN).await;
    assert_eq!((status, v["error"].as_str()), (410, Some("expired")), "{v}");
    let (_, q, _) = query_order(&app, p, "T-exp").await;
    assert_eq!((q["data"]["status"].as_str(), q["data"]["fail_reason"].as_str()), (Some("failed"), Some("expired")));
    assert_error(&order_action(&app, p, "T-exp", "close").await, 409, "U0304");
    // The same trade_no again: a new attempt.
    let again = new_order(&app, p, &body).await;
    assert_ne!(again["order_id"], o["order_id"]);
    // The user cancels.
    let again_id = again["order_id"].as_str().expect("id").to_owned();
    let (status, r) = post_json(&app, &s.h5, &format!("/api/h5/pay/{again_id}/cancel"), &json!({})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!((r["status"].as_str(), r["fail_reason"].as_str()), (Some("failed"), Some("cancelled")));
    assert_eq!(confirm(&app, &s.h5, &again_id, PIN).await.1["error"], "order_failed");
    // The expiry job marks forgotten orders without anyone asking.
    let mut short = order("T-job", "1.00");
    short["expire_seconds"] = json!(60);
    let o = new_order(&app, p, &short).await;
    app.clock.advance_secs(61);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let o = opengate::storage::pay::get_order(&app.state.db.pool, o["order_id"].as_str().expect("id"))
            .await
            .expect("get")
            .expect("order");
        if o.status == "failed" {
            assert_eq!(o.fail_reason.as_deref(), Some("expired"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the expiry job did not run");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Close: a pending order fails with `closed`, once; a paid one cannot be closed.
    new_order(&app, p, &order("T-close", "1.00")).await;
    let (status, c, raw) = order_action(&app, p, "T-close", "close").await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(c["data"]["fail_reason"], "closed");
    assert_error(&order_action(&app, p, "T-close", "close").await, 409, "U0304");
    let paid = new_order(&app, p, &order("T-paid", "1.00")).await;
    confirm(&app, &s.h5, paid["order_id"].as_str().expect("id"), PIN).await;
    assert_error(&order_action(&app, p, "T-paid", "close").await, 409, "U0304");
    // close and notify take an empty body.
    let bytes = br#"{"x":1}"#;
    let mut sg = opengate_e2e::Signed::new(p, "POST", "/open/v1/pay/orders/T-paid/close", bytes);
    sg.timestamp = app.clock.now_secs();
    assert_error(&opengate_e2e::send(sg.request(&app)).await, 400, "U0029");
}

#[tokio::test]
async fn resend_makes_a_new_notification_for_paid_and_failed_orders() {
    let app = spawn_app().await;
    let s = setup(&app, "10.00").await;
    let p = &s.partner;
    let rx = Receiver::start().await;
    let mut body = order("T-re", "1.00");
    body["notify_url"] = json!(rx.url());
    let o = new_order(&app, p, &body).await;
    // Pending: nothing to send yet.
    assert_error(&order_action(&app, p, "T-re", "notify").await, 409, "U0304");
    confirm(&app, &s.h5, o["order_id"].as_str().expect("id"), PIN).await;
    let first = rx.wait_for(1, Duration::from_secs(10)).await[0].clone();
    let (status, r, raw) = order_action(&app, p, "T-re", "notify").await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(r["data"]["type"], "payment.succeeded");
    let second = rx.wait_for(2, Duration::from_secs(10)).await[1].clone();
    assert_ne!(first.header("webhook-id"), second.header("webhook-id"), "a re-send is a new notification");
    assert_eq!(second.json()["id"], r["data"]["notification_id"]);
    verify_with_reference_library(&second, &p.notify_secret);
    // A failed order: payment.failed with its reason and no open_id.
    let mut body = order("T-fail", "1.00");
    body["notify_url"] = json!(rx.url());
    new_order(&app, p, &body).await;
    order_action(&app, p, "T-fail", "close").await;
    let (status, _, raw) = order_action(&app, p, "T-fail", "notify").await;
    assert_eq!(status, 200, "{raw}");
    let n = rx.wait_for(3, Duration::from_secs(10)).await[2].json();
    assert_eq!(n["type"], "payment.failed");
    assert_eq!(n["data"]["status"], "failed");
    assert_eq!(n["data"]["fail_reason"], "closed");
    assert_eq!(n["data"]["open_id"], Value::Null);
    assert_eq!(n["data"]["paid_at"], Value::Null);
}

#[tokio::test]
async fn failed_deliveries_are_retried_every_ten_minutes_until_delivered() {
    let app = spawn_app_with(|c| c.notify_timeout_ms = 300).await;
    let s = setup(&app, "10.00").await;
    let rx = Receiver::start().await;
    rx.script(&[Answer::Status(500), Answer::Slow(Duration::from_millis(1500)), Answer::Status(201)]);
    let mut body = order("T-retry", "1.00");
    body["notify_url"] = json!(rx.url());
    let o = new_order(&app, &s.partner, &body).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    confirm(&app, &s.h5, &id, PIN).await;
    for n in 1..=4 {
        let got = rx.wait_for(n, Duration::from_secs(10)).await;
        // Not again before ten minutes have passed.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(rx.count(), n, "attempt {n} was retried early");
        if n < 4 {
            app.clock.advance_secs(9 * 60);
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(rx.count(), n, "retried before 10 minutes");
            app.clock.advance_secs(60);
        }
        assert!(got.iter().all(|r| r.header("webhook-id") == got[0].header("webhook-id")), "retries keep the id");
    }
    let log = opengate::admin::order_deliveries(&app.state, &id).await.expect("log");
    assert_eq!(log[0].status, "delivered");
    let codes: Vec<Option<i64>> = log[0].attempts.iter().map(|a| a.http_status).collect();
    assert_eq!(codes, vec![Some(500), None, Some(201), Some(200)]);
    assert!(log[0].attempts[1].error.as_deref().is_some_and(|e| e.contains("timed out")), "{:?}", log[0].attempts);
    // Delivered: no more attempts however long we wait.
    app.clock.advance_secs(3600);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count(), 4);
}

#[tokio::test]
async fn retries_stop_thirty_six_hours_after_the_first_attempt() {
    let app = spawn_app_with(|c| c.notify_poll_ms = 10).await;
    let s = setup(&app, "10.00").await;
    let rx = Receiver::start().await;
    rx.fallback(Answer::Status(503));
    let mut body = order("T-exhaust", "1.00");
    body["notify_url"] = json!(rx.url());
    let o = new_order(&app, &s.partner, &body).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    confirm(&app, &s.h5, &id, PIN).await;
    rx.wait_for(1, Duration::from_secs(10)).await;
    // Attempts at 0, 10, 20 … 2160 minutes: 217 in all.
    for n in 2..=217 {
        app.clock.advance_secs(600);
        rx.wait_for(n, Duration::from_secs(10)).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = opengate::admin::order_deliveries(&app.state, &id).await.expect("log");
        if log[0].status == "exhausted" {
            assert_eq!(log[0].attempts.len(), 217);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not exhausted: {}", log[0].status);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.clock.advance_secs(600);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count(), 217, "no attempt after exhaustion");
}

#[tokio::test]
async fn internal_addresses_are_refused_unless_allowed() {
    let app = spawn_app_with(|c| c.outbound_allow_cidrs = Vec::new()).await;
    let s = setup(&app, "10.00").await;
    let rx = Receiver::start().await;
    let mut body = order("T-ssrf", "1.00");
    body["notify_url"] = json!(rx.url());
    let o = new_order(&app, &s.partner, &body).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    confirm(&app, &s.h5, &id, PIN).await;
    // A host name that resolves to loopback is refused as well.
    opengate::admin::add_return_host(&app.state, &s.partner.app_id, "localhost").await.expect("host");
    let mut body = order("T-ssrf-name", "1.00");
    body["notify_url"] = json!(format!("http://localhost:{}/notify", rx.addr.port()));
    let o2 = new_order(&app, &s.partner, &body).await;
    let id2 = o2["order_id"].as_str().expect("id").to_owned();
    confirm(&app, &s.h5, &id2, PIN).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    for (order_id, needle) in [(&id, "internal address"), (&id2, "internal addresses")] {
        loop {
            let log = opengate::admin::order_deliveries(&app.state, order_id).await.expect("log");
            if let Some(a) = log[0].attempts.first() {
                assert_eq!(a.http_status, None);
                assert!(a.error.as_deref().is_some_and(|e| e.contains(needle)), "{:?}", a.error);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no attempt recorded");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(rx.count(), 0, "nothing reached the internal receiver");
}

#[tokio::test]
async fn during_a_secret_rotation_both_secrets_sign_and_redirects_are_not_followed() {
    let app = spawn_app().await;
    let s = setup(&app, "10.00").await;
    let rx = Receiver::start().await;
    rx.script(&[Answer::Redirect]);
    let old = s.partner.notify_secret.clone();
    let new = opengate::admin::rotate_notify_secret(&app.state, &s.partner.app_id).await.expect("rotate");
    let mut body = order("T-rot", "1.00");
    body["notify_url"] = json!(rx.url());
    let o = new_order(&app, &s.partner, &body).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    confirm(&app, &s.h5, &id, PIN).await;
    // First answer: 302 to /moved. Not followed; a failure, retried at the next grid point.
    let first = rx.wait_for(1, Duration::from_secs(10)).await[0].clone();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.count(), 1, "the redirect was not followed");
    let log = opengate::admin::order_deliveries(&app.state, &id).await.expect("log");
    assert_eq!(log[0].attempts[0].http_status, Some(302));
    assert_eq!(log[0].status, "pending");
    // Two signatures, one per secret; each secret verifies the delivery on its own.
    assert_eq!(first.header("webhook-signature").split(' ').count(), 2, "{}", first.header("webhook-signature"));
    verify_with_reference_library(&first, &old);
    verify_with_reference_library(&first, &new);
    // 24 h later only the new secret signs.
    app.clock.advance_secs(24 * 3600 + 600);
    let second = rx.wait_for(2, Duration::from_secs(10)).await[1].clone();
    assert_eq!(second.path, "/notify");
    assert_eq!(second.header("webhook-id"), first.header("webhook-id"));
    let ts: i64 = second.header("webhook-timestamp").parse().expect("ts");
    assert_eq!(second.header("webhook-signature").split(' ').count(), 1);
    let verify = |secret: &str| {
        opengate_shared::webhook::verify(
            secret,
            &second.header("webhook-id"),
            ts,
            &second.header("webhook-signature"),
            &second.body,
            app.clock.now_secs(),
        )
    };
    verify(&new).expect("the new secret signs");
    assert!(verify(&old).is_err(), "the old secret no longer signs after 24 h");
}
