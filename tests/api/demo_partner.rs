//! The partner SDK (`opengate-sdk`) and the demo partner shop against the real
//! platform: every `/open/v1` endpoint through the SDK with typed results and typed
//! errors; the demo shop in headless Chromium at 390×844 (log in with OpenGate →
//! consent → open_id and nickname shown; Buy → pay page → PIN → "paid", proved by
//! the notification the shop verified); and demo mode handing the shop its settings.

use opengate_demo_partner::settings::{self, Parsed};
use opengate_e2e::demo_partner::{log_in, sdk, spawn_public_app, start_shop, tap_pin, wait_for, wait_url, WAIT};
use opengate_e2e::login::{query_of, request_id, user, PASSWORD, REDIRECT_URI};
use opengate_e2e::pay::{self, confirm, enable_pay, Receiver, PIN};
use opengate_e2e::{browser, create_partner, spawn_app};
use opengate_sdk::{ApiError, CallbackParams, Client, Error, ErrorCode, JointLogin, NotificationVerifier, UserFilter};
use serde_json::json;

#[track_caller]
fn assert_code<T: std::fmt::Debug>(got: Result<T, Error>, code: ErrorCode, http_status: u16) {
    match got {
        Err(Error::Api(ApiError { code: c, http_status: s, ref request_id, ref message, .. })) => {
            assert_eq!((c, s), (code, http_status), "{message}");
            assert!(request_id.starts_with("req_") || !request_id.is_empty(), "a request id to quote");
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

#[tokio::test]
async fn sdk_login_calls_work_against_the_platform() {
    let app = spawn_app().await;
    let s = pay::setup(&app, "100.00").await;
    opengate::admin::add_redirect_uri(&app.state, &s.partner.app_id, REDIRECT_URI).await.expect("redirect uri");
    let og = sdk(&app, &s.partner);

    let ping = og.ping().await.expect("signed ping");
    assert_eq!((ping.app_id.as_str(), ping.access_key.as_str()), (s.partner.app_id.as_str(), og.access_key()));
    let wrong = Client::new(&app.base, &s.partner.access_key, &"x".repeat(43)).expect("client");
    assert_code(wrong.ping().await, ErrorCode::U0105, 401);

    // The SDK's authorize URL (state + PKCE) through the real authorize endpoint and consent.
    let start = og.authorize_url(REDIRECT_URI).scope("profile mobile").device_id("sdk-device-1").build();
    let resp = app.http.get(&start.url).send().await.expect("authorize");
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let id = request_id(resp.headers()["location"].to_str().expect("location"));
    let body = json!({"approve": true, "scopes": ["openid", "profile", "mobile"], "device_id": null});
    let (status, v) = pay::post_json(&app, &s.h5, &format!("/api/h5/authorize/{id}"), &body).await;
    assert_eq!(status, 200, "{v}");
    let q = query_of(v["redirect"].as_str().expect("redirect"));
    let params: CallbackParams = serde_json::from_value(json!(q)).expect("callback params");
    assert!(params.clone().check("another state").is_err(), "a foreign state is refused");
    let cb = params.check(&start.state).expect("state matches");
    assert_eq!(cb.device_id.as_deref(), Some("sdk-device-1"));

    let t = og.exchange_code(&cb.code, REDIRECT_URI, Some(start.pkce.verifier())).await.expect("exchange");
    assert_eq!((t.token_type.as_str(), t.scope.as_str()), ("Bearer", "openid profile mobile"));
    assert!(t.id_token.as_deref().is_some_and(|j| j.split('.').count() == 3), "the SDK carries the id_token");
    assert_code(og.exchange_code(&cb.code, REDIRECT_URI, Some(start.pkce.verifier())).await, ErrorCode::U0201, 400);

    // That reuse revoked the pair; log in again (consent is remembered).
    let again = og.authorize_url(REDIRECT_URI).scope("profile mobile").device_id("sdk-device-1").build();
    let resp = app.http.get(&again.url).send().await.expect("authorize");
    let loc = resp.headers()["location"].to_str().expect("location").to_owned();
    let (status, v) = pay::post_json(&app, &s.h5, &format!("/api/h5/authorize/{}", request_id(&loc)), &body).await;
    assert_eq!(status, 200, "{v}");
    let params: CallbackParams =
        serde_json::from_value(json!(query_of(v["redirect"].as_str().expect("redirect")))).expect("callback params");
    let code = params.check(&again.state).expect("state").code;
    let t = og.exchange_code(&code, REDIRECT_URI, Some(again.pkce.verifier())).await.expect("exchange");

    let info = og.user_info(&t.access_token, "sdk-device-1", None).await.expect("user info");
    assert_eq!((info.open_id.as_str(), info.nickname.as_deref()), (t.open_id.as_str(), Some("Tea Lover")));
    let masked = format!("{}****{}", &s.mobile[..3], &s.mobile[7..]);
    assert_eq!(info.mobile.as_deref(), Some(masked.as_str()));
    assert_eq!(info.balances, None, "no wallet scope");
    assert_code(og.user_info(&t.access_token, "other-device", None).await, ErrorCode::U0203, 401);
    assert_code(og.user_info(&t.access_token, "sdk-device-1", Some("wallet")).await, ErrorCode::U0204, 403);

    let i = og.introspect(&t.access_token).await.expect("introspect");
    assert!(i.active);
    assert_eq!(
        (i.client_id.as_deref(), i.open_id.as_deref()),
        (Some(s.partner.app_id.as_str()), Some(t.open_id.as_str()))
    );
    let t2 = og.refresh_token(&t.refresh_token, Some("openid profile")).await.expect("refresh");
    assert_eq!((t2.scope.as_str(), t2.open_id.as_str()), ("openid profile", t.open_id.as_str()));
    assert!(!og.introspect(&t.access_token).await.expect("introspect").active, "refresh revokes the old access token");
    og.revoke(&t2.refresh_token).await.expect("revoke");
    assert!(
        !og.introspect(&t2.access_token).await.expect("introspect").active,
        "revoking the refresh token ends the login"
    );
    assert_code(og.user_info(&t2.access_token, "sdk-device-1", None).await, ErrorCode::U0202, 401);
    og.revoke("rt_unknown").await.expect("an unknown token revokes fine (RFC 7009)");
}

#[tokio::test]
async fn sdk_pay_calls_and_verifier_work_against_the_platform() {
    let app = spawn_app().await;
    let s = pay::setup(&app, "100.00").await;
    let og = sdk(&app, &s.partner);
    let rx = Receiver::start().await;
    let verifier = NotificationVerifier::new([&s.partner.notify_secret]).expect("verifier");

    let mut req = opengate_sdk::order("T-SDK-1", "12.50", "PTS", "Green tea");
    req.notify_url = Some(rx.url());
    let o = og.create_order(&req).await.expect("create");
    assert_eq!((o.status.as_str(), o.settle_amount.as_str(), o.settle_currency.as_str()), ("pending", "1.25", "OGC"));
    assert_eq!(og.create_order(&req).await.expect("idempotent").order_id, o.order_id);
    let mut changed = req.clone();
    changed.amount = "13.00".into();
    assert_code(og.create_order(&changed).await, ErrorCode::U0301, 409);
    let mut bad = req.clone();
    bad.amount = "12.5.0".into();
    assert_code(og.create_order(&bad).await, ErrorCode::U0029, 400);

    let (status, v) = confirm(&app, &s.h5, &o.order_id, PIN).await;
    assert_eq!(status, 200, "{v}");
    let got = rx.wait_for(1, WAIT).await;
    let n = verifier.verify(&got[0].headers, &got[0].body).expect("the SDK verifies the platform's notification");
    assert_eq!(
        (n.kind.as_str(), n.data.trade_no.as_str(), n.data.status.as_str()),
        ("payment.succeeded", "T-SDK-1", "paid")
    );
    let mut tampered = got[0].body.clone();
    tampered.push(b' ');
    assert!(verifier.verify(&got[0].headers, &tampered).is_err(), "a changed body is refused");

    let paid = og.query_order("T-SDK-1").await.expect("query");
    assert_eq!((paid.status.as_str(), paid.open_id.as_deref()), ("paid", n.data.open_id.as_deref()));
    assert_code(og.create_order(&req).await, ErrorCode::U0302, 409);
    assert_code(og.close_order("T-SDK-1").await, ErrorCode::U0304, 409);

    let resent = og.resend_notification("T-SDK-1").await.expect("resend");
    assert_eq!((resent.kind.as_str(), resent.status.as_str()), ("payment.succeeded", "queued"));
    let got = rx.wait_for(2, WAIT).await;
    let again = verifier.verify(&got[1].headers, &got[1].body).expect("verifies");
    assert_eq!(again.id, resent.notification_id);
    assert_ne!(again.id, n.id, "a re-send is a new notification");

    og.create_order(&opengate_sdk::order("T-SDK-2", "1.00", "PTS", "Cup")).await.expect("second order");
    let closed = og.close_order("T-SDK-2").await.expect("close");
    assert_eq!((closed.status.as_str(), closed.fail_reason.as_deref()), ("failed", Some("closed")));
    assert_code(og.query_order("T-unknown").await, ErrorCode::U0303, 404);
    assert_code(og.resend_notification("T-unknown").await, ErrorCode::U0303, 404);
}

#[tokio::test]
async fn sdk_inbound_calls_work_against_the_platform() {
    let app = spawn_app().await;
    let partner = create_partner(&app).await;
    let og = sdk(&app, &partner);
    let (_, mobile) = user(&app).await;
    // Without the permissions: U0076, in the envelope and in JSON:API.
    let jl = |merchant_no: &str| JointLogin {
        open_id: "partner-user-1".into(),
        merchant_no: merchant_no.into(),
        mob: mobile.clone(),
        source_mc: "MC01".into(),
        source_af: "AF01".into(),
        map: None,
    };
    assert_code(og.joint_login(&jl("nosuch")).await, ErrorCode::U0076, 403);
    assert_code(og.find_users(&UserFilter::CellPhone(mobile.clone())).await, ErrorCode::U0076, 403);

    for p in ["joint_login", "user_lookup"] {
        opengate::admin::set_permission(&app.state, &partner.app_id, p, opengate::domain::PermissionStatus::Approved)
            .await
            .expect("permission");
    }
    let code = opengate_e2e::unique("src");
    let source = opengate::inbound::sources::NewSource {
        code: code.clone(),
        name: "Partner Mall".into(),
        trust: "new_users".into(),
        app_id: Some(partner.app_id.clone()),
        adapter: "jsonapi".into(),
        adapter_config: "{}".into(),
        ..Default::default()
    };
    opengate::inbound::sources::add_source(&app.state, &source).await.expect("source");
    let url = og.joint_login(&jl(&code)).await.expect("joint login");
    assert!(url.starts_with("http://127.0.0.1:8080/h5/joint?t=jl_"), "absolute, from public_base_url: {url}");
    assert_code(og.joint_login(&jl("nosuch")).await, ErrorCode::U0029, 400);

    let found = og.find_users(&UserFilter::CellPhone(mobile.clone())).await.expect("lookup");
    assert_eq!(found.len(), 1, "{found:?}");
    let u = &found[0];
    assert_eq!((u.cell_phone.as_deref(), u.nick_name.as_str()), (Some(mobile.as_str()), "Tea Lover"));
    assert!(u.is_active() && !u.open_id.is_empty());
    assert_eq!(&og.get_user(&u.id).await.expect("get user"), u);
    assert!(og.find_users(&UserFilter::UserName("nobody-here".into())).await.expect("lookup").is_empty());
    assert_code(og.get_user("usr_missing").await, ErrorCode::U0404, 404);
    assert_code(og.find_users(&UserFilter::CellPhone("12".into())).await, ErrorCode::U0029, 400);
    let wrong = Client::new(&app.base, &partner.access_key, &"y".repeat(43)).expect("client");
    assert_code(wrong.get_user(&u.id).await, ErrorCode::U0105, 401);
}

#[tokio::test]
async fn demo_partner_logs_in_and_gets_paid_in_chromium() {
    let app = spawn_public_app().await;
    let partner = create_partner(&app).await;
    enable_pay(&app, &partner).await;
    let (user_id, mobile, _) = pay::payer(&app, "100.00").await;
    let shop = start_shop(&app, &partner).await;
    let Some(b) = browser::start(390, 844).await else { return };

    // 1. Demo home → Log in with OpenGate → platform login → consent → back at the shop.
    b.client.goto(&shop).await.expect("open the shop");
    b.screenshot("demo-partner-1-home").await;
    wait_for(&b, "#login").await.click().await.expect("log in with OpenGate");
    log_in(&b, &mobile, PASSWORD).await;
    b.wait_text("#app-name", |t| t.contains("Test App"), WAIT).await;
    b.screenshot("demo-partner-2-consent").await;
    wait_for(&b, "#approve").await.click().await.expect("agree");
    let open_id = b.wait_text("#user-open-id", |t| t.starts_with("oid_"), WAIT).await;
    b.wait_text("#user-nickname", |t| t == "Tea Lover", WAIT).await;
    let ids = opengate::storage::oauth::ids_for(&app.state.db.pool, &user_id, &partner.app_id).await.expect("ids");
    assert_eq!(ids.map(|(o, _)| o), Some(open_id.clone()), "the shop shows the platform's open_id for it");
    b.screenshot("demo-partner-3-logged-in").await;

    // 2. Buy → the pay page (already logged in) → PIN → back at the shop, paid.
    wait_for(&b, "#buy").await.click().await.expect("buy");
    wait_url(&b, &app.url("/h5/pay/ord_")).await;
    b.wait_text("#pay-amount", |t| t == "12.50 PTS", WAIT).await;
    b.wait_text("#pay-settle", |t| t == "1.25 OGC", WAIT).await;
    tap_pin(&b, PIN).await;
    wait_for(&b, "#pay-confirm:not([disabled])").await.click().await.expect("confirm");
    wait_for(&b, "#pay-status[data-status=\"paid\"]").await;
    let order_url = wait_url(&b, &format!("{shop}/orders/DEMO-")).await;
    // The page refreshes itself until the verified notification is stored.
    wait_for(&b, "#order-status[data-status=\"paid\"]").await;
    wait_for(&b, "#order-proof[data-proof=\"notification\"]").await;
    let evt = b.wait_text("#notification-id", |t| t.starts_with("evt_"), WAIT).await;
    b.screenshot("demo-partner-4-paid").await;

    let trade_no = order_url.rsplit('/').next().and_then(|t| t.split('?').next()).expect("trade no").to_owned();
    let o = sdk(&app, &partner).query_order(&trade_no).await.expect("query");
    assert_eq!((o.status.as_str(), o.open_id.as_deref()), ("paid", Some(open_id.as_str())));
    assert_eq!(pay::balance(&app, &user_id, "OGC").await, 10_000 - 125);
    let deliveries = opengate::admin::order_deliveries(&app.state, &o.order_id).await.expect("deliveries");
    assert!(deliveries.iter().any(|d| d.id == evt && d.status == "delivered"), "{deliveries:?}");

    // 3. The shop refunds the order: the page shows the verified refund notification.
    wait_for(&b, "#refund").await.click().await.expect("refund");
    wait_for(&b, "#refunds .refund[data-status=\"succeeded\"]").await;
    let refund_evt = b.wait_text(".refund-notification", |t| t.starts_with("evt_"), WAIT).await;
    b.wait_text(".refund-no", |t| t == format!("{trade_no}-R1"), WAIT).await;
    b.screenshot("demo-partner-5-refunded").await;
    assert_eq!(pay::balance(&app, &user_id, "OGC").await, 10_000, "the payer has the 1.25 OGC back");
    let r = sdk(&app, &partner).query_refund(&format!("{trade_no}-R1")).await.expect("refund");
    assert_eq!((r.status.as_str(), r.amount.as_str(), r.settle_amount.as_str()), ("succeeded", "12.50", "1.25"));
    let deliveries = opengate::admin::order_deliveries(&app.state, &o.order_id).await.expect("deliveries");
    assert!(deliveries.iter().any(|d| d.id == refund_evt && d.status == "delivered"), "{deliveries:?}");
    assert!(b.client.find(fantoccini::Locator::Css("#refund")).await.is_err(), "no second refund button");
    b.close().await;
}

#[tokio::test]
async fn demo_partner_refuses_forged_notifications_and_foreign_requests() {
    let app = spawn_app().await;
    let partner = create_partner(&app).await;
    let shop = start_shop(&app, &partner).await;
    let now = app.clock.now_secs();
    let body = json!({"id": "evt_x", "type": "payment.succeeded", "created_at": now, "data": {
        "order_id": "ord_x", "trade_no": "T-X", "app_id": partner.app_id, "open_id": null, "amount": "1.00",
        "currency": "PTS", "settle_amount": "0.10", "settle_currency": "OGC", "status": "paid",
        "fail_reason": null, "paid_at": now}})
    .to_string();
    let post = |secret: &str, ts: i64| {
        let sig = opengate_shared::webhook::sign(secret, "evt_x", ts, body.as_bytes()).expect("sign");
        app.http
            .post(format!("{shop}/notify"))
            .header("webhook-id", "evt_x")
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", sig)
            .body(body.clone())
            .send()
    };
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(post("whsec_AAAAAAAA", now).await.expect("post")), 400, "another secret");
    assert_eq!(status(post(&partner.notify_secret, now - 600).await.expect("post")), 400, "too old");
    let unsigned = app.http.post(format!("{shop}/notify")).body(body.clone()).send().await.expect("post");
    assert_eq!(status(unsigned), 400);
    assert_eq!(status(post(&partner.notify_secret, now).await.expect("post")), 200);
    assert_eq!(status(post(&partner.notify_secret, now).await.expect("post")), 200, "a repeat is answered 200 too");

    // No session or a foreign state: nothing is exchanged; no CSRF token: nothing is bought.
    let cb = app.http.get(format!("{shop}/callback?code=ac_x&state=s")).send().await.expect("callback");
    assert_eq!(status(cb), 400);
    let buy = app.http.post(format!("{shop}/buy")).form(&[("csrf", "guess")]).send().await.expect("buy");
    assert_eq!(status(buy), 403);
    let refund = app.http.post(format!("{shop}/orders/T-X/refund")).form(&[("csrf", "guess")]).send().await;
    assert_eq!(status(refund.expect("refund")), 403, "no refund without the shop's CSRF token");
    let unknown = app.http.get(format!("{shop}/orders/T-X")).send().await.expect("order page");
    assert_eq!(status(unknown), 404, "only the shop's own orders have pages");
}

#[tokio::test]
async fn demo_mode_hands_the_demo_partner_its_settings() {
    // Demo mode is the zero-setup SQLite path: its files live beside the SQLite file
    // (with PostgreSQL they would go to ./data of whoever runs it), so this test uses
    // a temp SQLite database whichever store the rest of the suite runs on.
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/opengate.db", dir.path().display());
    let app = opengate_e2e::spawn_on_database_with(&url, Some(std::sync::Arc::new(dir)), |c| c.demo = true).await;
    let text = opengate::demo::seed(&app.state).await.expect("seed");
    assert!(text.contains("payment PIN 246810"), "{text}");
    assert!(text.contains("demo partner    http://127.0.0.1:8081/"), "{text}");
    let path = opengate::demo::data_dir(&app.state.config).join("demo-partner.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).expect("settings file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner reads the demo partner's secrets");
    }
    let read = |path: &std::path::Path| {
        let args: Vec<String> =
            ["--credentials", &path.display().to_string(), "--platform-url", &app.base].map(str::to_owned).to_vec();
        match settings::parse(&args, |_| None).expect("settings") {
            Parsed::Run(s) => s,
            Parsed::Help => panic!("help"),
        }
    };
    let s = read(&path);
    assert!(text.contains(&s.access_key), "the printed key is the partner's");
    let og = Client::new(&s.platform_url, &s.access_key, &s.secret_key).expect("client");
    assert_eq!(og.ping().await.expect("the demo partner's key signs").app_id, "demoapp");
    assert_eq!(s.notify_secrets, opengate::admin::notify_secrets(&app.state, "demoapp").await.expect("secrets"));
    NotificationVerifier::new(&s.notify_secrets).expect("notify secrets are whsec_");
    let demo_app = opengate::storage::apps::get_app(&app.state.db.pool, "demoapp").await.expect("db").expect("app");
    assert_eq!(demo_app.notify_url.as_deref(), Some("http://127.0.0.1:8081/notify"));

    // Next start: the same key. A disabled key: a new one.
    opengate::demo::seed(&app.state).await.expect("seed again");
    assert_eq!(read(&path).access_key, s.access_key);
    opengate::admin::set_key_enabled(&app.state, &s.access_key, false).await.expect("disable");
    opengate::demo::seed(&app.state).await.expect("seed after disable");
    let s2 = read(&path);
    assert_ne!(s2.access_key, s.access_key);
    let og2 = Client::new(&s2.platform_url, &s2.access_key, &s2.secret_key).expect("client");
    assert_eq!(og2.ping().await.expect("the new key signs").app_id, "demoapp");
}
