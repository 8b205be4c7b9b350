//! Partner users coming in (SPEC §9): joint login pushed by a partner server, import
//! links pulled through a source's adapter from a real partner site, and the account
//! rules both share.

use opengate::domain::PermissionStatus;
use opengate_e2e::inbound::{
    self, import_link, joint_body, joint_login, joint_login_raw, link_path, open, session_nickname,
};
use opengate_e2e::partner_site::UserMode;
use opengate_e2e::{assert_error, create_partner, login, spawn_app, spawn_app_with};
use serde_json::json;

fn new_mobile() -> String {
    let n: u64 = rand::Rng::gen_range(&mut rand::thread_rng(), 10_000_000..99_999_999);
    format!("137{n}")
}

async fn count(app: &opengate_e2e::TestApp, sql: &str, arg: &str) -> i64 {
    sqlx::query_scalar(sql).bind(arg).fetch_one(&app.state.db.pool).await.expect("count")
}

#[tokio::test]
async fn joint_login_checks_every_field_and_the_permission() {
    let app = spawn_app().await;
    let src = inbound::source(&app, "partner_users", "jsonapi").await;
    let mob = new_mobile();

    // No permission: U0076, before anything else is looked at.
    let other = create_partner(&app).await;
    let got = joint_login(&app, &other, &joint_body(&src, "u1", &mob)).await;
    assert_error(&got, 403, "U0076");
    opengate::admin::set_permission(&app.state, &other.app_id, "joint_login", PermissionStatus::Approved)
        .await
        .expect("ok");
    // Approved, but the source belongs to another app: merchantNo is refused.
    let got = joint_login(&app, &other, &joint_body(&src, "u1", &mob)).await;
    assert_error(&got, 400, "U0029");
    assert!(got.1["errorMsg"].as_str().unwrap_or_default().starts_with("merchantNo"), "{:?}", got.1);

    let good = joint_body(&src, "u1", &mob);
    let mut cases: Vec<(serde_json::Value, &str)> = Vec::new();
    for field in ["openId", "merchantNo", "mob", "sourceMc", "sourceAf"] {
        let mut b = good.clone();
        b.as_object_mut().expect("object").remove(field);
        cases.push((b.clone(), field));
        b[field] = json!(12);
        cases.push((b.clone(), field));
        b[field] = json!("");
        cases.push((b, field));
    }
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    cases.push((with("mob", json!("12-34")), "mob"));
    cases.push((with("mob", json!("1234567890123456")), "mob"));
    cases.push((with("sourceMc", json!("has space")), "sourceMc"));
    cases.push((with("openId", json!("x".repeat(65))), "openId"));
    cases.push((with("merchantNo", json!("nosuchsource")), "merchantNo"));
    cases.push((with("map", json!("text")), "map"));
    cases.push((with("map", json!({"big": "x".repeat(5000)})), "map"));
    cases.push((with("map", json!({"redirect": "https://evil.example/steal"})), "map.redirect"));
    cases.push((with("nickname", json!("extra")), "nickname"));
    for (body, field) in &cases {
        let got = joint_login(&app, &src.partner, body).await;
        assert_error(&got, 400, "U0029");
        let msg = got.1["errorMsg"].as_str().unwrap_or_default();
        assert!(msg.starts_with(&format!("{field}:")), "{field}: {msg}");
    }
    for raw in [&b"not json"[..], b"[1,2]", b""] {
        assert_error(&joint_login_raw(&app, &src.partner, raw).await, 400, "U0029");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM joint_links WHERE source = $1", &src.code).await, 0);

    // Success: an absolute single-use URL on the public base URL; map is optional.
    let got = joint_login(&app, &src.partner, &good).await;
    assert_eq!(got.0, 200, "{:?}", got.1);
    assert_eq!(got.1["success"], true);
    assert_eq!(got.1["requestId"].as_str(), Some(got.2.as_str()));
    let url = got.1["data"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/h5/joint?t=jl_", app.state.config.public_base_url)), "{url}");

    // A service error says U9999 and nothing more.
    sqlx::query("DROP TABLE joint_links").execute(&app.state.db.pool).await.expect("drop");
    let got = joint_login(&app, &src.partner, &good).await;
    assert_error(&got, 500, "U9999");
    assert!(!got.1["errorMsg"].as_str().unwrap_or_default().contains("joint_links"), "{:?}", got.1);
}

#[tokio::test]
async fn joint_login_logs_in_new_and_partner_only_users_and_asks_others_to_log_in() {
    let app = spawn_app().await;
    let src = inbound::source(&app, "partner_users", "jsonapi").await;
    let mob = new_mobile();

    // A brand-new user: account made without a password, marked, logged in.
    let got = joint_login(&app, &src.partner, &joint_body(&src, "p-1", &mob)).await;
    let path = link_path(&app, got.1["data"].as_str().expect("url"));
    let landing = open(&app, &path).await;
    assert_eq!((landing.status, landing.location.as_str()), (303, "/h5/account"), "{landing:?}");
    let cookie = landing.cookie.expect("session cookie");
    assert!(session_nickname(&app, &cookie).await.is_some(), "logged in");
    let (source, channel, has_pw): (Option<String>, Option<String>, i32) = sqlx::query_as(
        "SELECT source, channel, CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END FROM users WHERE mobile = $1",
    )
    .bind(&mob)
    .fetch_one(&app.state.db.pool)
    .await
    .expect("user");
    assert_eq!((source.as_deref(), channel.as_deref(), has_pw), (Some(src.code.as_str()), Some("MC01/AF-7"), 0));

    // The same link again: used. A made-up token: invalid.
    assert_eq!(open(&app, &path).await.error_code().as_deref(), Some("link_used"));
    assert_eq!(open(&app, "/h5/joint?t=jl_forged").await.error_code().as_deref(), Some("link_invalid"));
    assert_eq!(open(&app, "/h5/joint").await.error_code().as_deref(), Some("link_invalid"));

    // Logged out and back through the partner: never used directly, so logged in again.
    let got = joint_login(&app, &src.partner, &joint_body(&src, "p-1", &mob)).await;
    let again = open(&app, &link_path(&app, got.1["data"].as_str().expect("url"))).await;
    assert_eq!(again.location, "/h5/account");
    assert!(again.cookie.is_some());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE mobile = $1", &mob).await, 1);

    // A link made now, opened after 5 minutes (checked at the end: the clock moves).
    let got = joint_login(&app, &src.partner, &joint_body(&src, "p-1", &mob)).await;
    let late = link_path(&app, got.1["data"].as_str().expect("url"));

    // An account used directly (password): log in by hand, mobile pre-filled, and
    // `map.redirect` is where the user goes after.
    let (_, direct) = login::user(&app).await;
    let mut body = joint_body(&src, "p-2", &direct);
    body["map"] = json!({"redirect": "/h5/apps", "name": "someone"});
    let got = joint_login(&app, &src.partner, &body).await;
    let landing = open(&app, &link_path(&app, got.1["data"].as_str().expect("url"))).await;
    assert_eq!(landing.location, format!("/h5/login?account={direct}&next=%2Fh5%2Fapps"));
    assert!(landing.cookie.is_none(), "no session for an account used directly");

    // A `new_users` source does not open an account another source made.
    let strict = inbound::source(&app, "new_users", "jsonapi").await;
    let got = joint_login(&app, &strict.partner, &joint_body(&strict, "s-1", &mob)).await;
    let landing = open(&app, &link_path(&app, got.1["data"].as_str().expect("url"))).await;
    assert!(landing.location.starts_with("/h5/login?account="), "{landing:?}");
    // …but does open its own.
    let mob2 = new_mobile();
    for _ in 0..2 {
        let got = joint_login(&app, &strict.partner, &joint_body(&strict, "s-2", &mob2)).await;
        let landing = open(&app, &link_path(&app, got.1["data"].as_str().expect("url"))).await;
        assert_eq!(landing.location, "/h5/account");
    }

    // An account the operator made (no password yet, e.g. an app admin's) is never
    // opened by a partner.
    let op_mobile = new_mobile();
    opengate::admin::create_user(&app.state, Some(&op_mobile), None, None, "Operator made").await.expect("user");
    let got = joint_login(&app, &src.partner, &joint_body(&src, "p-3", &op_mobile)).await;
    let landing = open(&app, &link_path(&app, got.1["data"].as_str().expect("url"))).await;
    assert!(landing.location.starts_with("/h5/login?account="), "{landing:?}");
    assert!(landing.cookie.is_none());

    app.clock.advance_secs(301);
    assert_eq!(open(&app, &late).await.error_code().as_deref(), Some("link_expired"));
}

#[tokio::test]
async fn import_links_are_signed_fresh_single_use_and_read_through_the_adapter() {
    let app = spawn_app_with(|c| c.source_timeout_ms = 1000).await;
    let src = inbound::source(&app, "partner_users", "jsonapi").await;
    let mob = new_mobile();
    src.site.add_user("13", "ACaY1475853051", Some(&mob), "Tea Fan");
    let now = app.clock.now_secs();

    // Tampered: another uid under the same signature; a wrong secret; a missing sig.
    let good = import_link(&src.code, &src.secret, "13", now, Some("/h5/apps"));
    let tampered = good.replace("uid=13", "uid=14");
    assert_eq!(open(&app, &tampered).await.error_code().as_deref(), Some("link_invalid"));
    let wrong = import_link(&src.code, "not-the-secret", "13", now, None);
    assert_eq!(open(&app, &wrong).await.error_code().as_deref(), Some("link_invalid"));
    let unsigned = good.split("&sig=").next().expect("path").to_owned();
    assert_eq!(open(&app, &unsigned).await.error_code().as_deref(), Some("link_invalid"));
    // Too old, and from the future.
    let old = import_link(&src.code, &src.secret, "13", now - 400, None);
    assert_eq!(open(&app, &old).await.error_code().as_deref(), Some("link_expired"));
    let future = import_link(&src.code, &src.secret, "13", now + 400, None);
    assert_eq!(open(&app, &future).await.error_code().as_deref(), Some("link_expired"));
    // Signed, but sending the user to another site.
    let away = import_link(&src.code, &src.secret, "13", now, Some("https://evil.example/"));
    assert_eq!(open(&app, &away).await.error_code().as_deref(), Some("bad_redirect"));
    assert!(src.site.calls().is_empty(), "nothing reached the source for a refused link");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE mobile = $1", &mob).await, 0);

    // The real thing: fetched (signed) from the source, account made, logged in.
    let landing = open(&app, &good).await;
    assert_eq!((landing.status, landing.location.as_str()), (303, "/h5/apps"), "{landing:?}");
    assert_eq!(session_nickname(&app, &landing.cookie.expect("cookie")).await.as_deref(), Some("Tea Fan"));
    let calls = src.site.calls();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].signature_ok && calls[0].path == "/jsonapi/users/13", "{calls:?}");
    let username: Option<String> = sqlx::query_scalar("SELECT username FROM users WHERE mobile = $1")
        .bind(&mob)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("u");
    assert_eq!(username.as_deref(), Some("ACaY1475853051"));

    // Replayed: refused, and the source is not asked again.
    assert_eq!(open(&app, &good).await.error_code().as_deref(), Some("link_used"));
    assert_eq!(src.site.calls().len(), 1);

    // A user the source does not know, and a source that fails in every way: no account.
    // One base time for all: a clock read per link could give two links one timestamp.
    let t0 = app.clock.now_secs();
    for (mode, uid) in [
        (UserMode::Normal, "404"),
        (UserMode::Error500, "13"),
        (UserMode::Huge, "13"),
        (UserMode::Redirect, "13"),
        (UserMode::Hang, "13"),
    ] {
        src.site.user_mode(mode);
        // Each link is its own (an identical link is a replay).
        let link = import_link(&src.code, &src.secret, uid, t0 - i64::from(mode as u8) - 1, None);
        let landing = open(&app, &link).await;
        assert_eq!(landing.error_code().as_deref(), Some("source_unavailable"), "{mode:?}");
        assert!(landing.cookie.is_none());
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE source = $1", &src.code).await, 1);
}

#[tokio::test]
async fn the_json_adapter_picks_fields_by_pointer_and_keys_by_user_name_without_a_mobile() {
    let app = spawn_app_with(|c| c.source_timeout_ms = 500).await;
    let src = inbound::source(&app, "partner_users", "json").await;
    src.site.add_user("a1", "alice", None, "Alice");
    let t0 = app.clock.now_secs();
    for age in 0..2 {
        let link = import_link(&src.code, &src.secret, "a1", t0 - age, None);
        let landing = open(&app, &link).await;
        assert_eq!(landing.location, "/h5/account", "{landing:?}");
        assert_eq!(session_nickname(&app, &landing.cookie.expect("cookie")).await.as_deref(), Some("Alice"));
    }
    // Keyed by user name within this source: one account, found again the second time.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE source = $1", &src.code).await, 1);
    // Another source's "alice" is somebody else.
    let other = inbound::source(&app, "partner_users", "json").await;
    other.site.add_user("z9", "alice", None, "Other Alice");
    let landing = open(&app, &import_link(&other.code, &other.secret, "z9", app.clock.now_secs(), None)).await;
    assert_eq!(landing.location, "/h5/account");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE username = $1", "alice").await, 2);
}

#[tokio::test]
async fn a_source_on_a_loopback_address_is_never_called_unless_the_operator_allows_it() {
    let app = spawn_app_with(|c| c.outbound_allow_cidrs = Vec::new()).await;
    let src = inbound::source(&app, "partner_users", "jsonapi").await;
    src.site.add_user("13", "bob", Some(&new_mobile()), "Bob");
    let landing = open(&app, &import_link(&src.code, &src.secret, "13", app.clock.now_secs(), None)).await;
    assert_eq!(landing.error_code().as_deref(), Some("source_unavailable"));
    assert!(src.site.calls().is_empty(), "the loopback source was reached");
}

#[tokio::test]
async fn concurrent_first_visits_of_one_new_user_make_one_account() {
    let app = spawn_app().await;
    let src = inbound::source(&app, "partner_users", "jsonapi").await;
    let mob = new_mobile();
    src.site.add_user("c1", "concurrent", Some(&mob), "Twin");
    let t0 = app.clock.now_secs();
    let mut tasks = Vec::new();
    for k in 0..8 {
        // Eight distinct links (different ts) for the same partner user, opened at once.
        let path = import_link(&src.code, &src.secret, "c1", t0 - k, None);
        let url = app.url(&path);
        let http = app.http.clone();
        tasks.push(tokio::spawn(async move { http.get(url).send().await.expect("open") }));
    }
    for t in tasks {
        let resp = t.await.expect("task");
        assert_eq!(resp.headers().get("location").and_then(|v| v.to_str().ok()), Some("/h5/account"));
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users WHERE mobile = $1", &mob).await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM source_users WHERE source = $1", &src.code).await, 1);
}
