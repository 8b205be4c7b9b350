//! The user's own account (SPEC §7): changing the nickname, through the API and in
//! real Chromium at 390 px. Partners with the `profile` scope read the new name.

use std::time::Duration;

use opengate_e2e::login::{self, user_info, H5, PASSWORD};
use opengate_e2e::{browser, spawn_app};
use serde_json::{json, Value};

async fn post_nickname(app: &opengate_e2e::TestApp, h5: &H5, body: &Value) -> (u16, Value) {
    let resp = h5.post(app, "/api/h5/account/nickname", body).send().await.expect("post");
    (resp.status().as_u16(), resp.json().await.expect("json"))
}

async fn account_nickname(app: &opengate_e2e::TestApp, h5: &H5) -> String {
    let view: Value = h5.get(app, "/api/h5/account").send().await.expect("account").json().await.expect("json");
    view["nickname"].as_str().expect("nickname").to_owned()
}

#[tokio::test]
async fn a_nickname_change_is_checked_and_partners_read_the_new_name() {
    let app = spawn_app().await;
    let s = login::setup(&app).await;
    let tokens = login::tokens(&app, &s, "openid profile", &["profile"], "dev-1").await;
    let token = tokens["access_token"].as_str().expect("token");
    let h5 = H5::logged_in(&app, &s.mobile).await;

    // Without the CSRF token, or without a login: refused.
    let resp = app
        .http
        .post(app.url("/api/h5/account/nickname"))
        .header("cookie", format!("og_session={}", h5.cookie))
        .json(&json!({"nickname": "Mallory"}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    let (status, body) = post_nickname(&app, &H5::new(&app).await, &json!({"nickname": "Mallory"})).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("login_required")), "{body}");

    // Bad names change nothing.
    let long = "가".repeat(65);
    for bad in [
        json!({"nickname": ""}),
        json!({"nickname": "   "}),
        json!({"nickname": "two\nlines"}),
        json!({"nickname": "evil\u{202e}txt.exe"}),
        json!({"nickname": long}),
        json!({"nickname": 42}),
        json!({"nickname": "ok", "avatar": "x"}),
        json!({}),
    ] {
        let (status, body) = post_nickname(&app, &h5, &bad).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{bad} → {body}");
    }
    assert_eq!(account_nickname(&app, &h5).await, "Tea Lover");

    // A good one is trimmed and stored; the account, the session and the partner see it.
    let (status, body) = post_nickname(&app, &h5, &json!({"nickname": "  茶友 🍵 "})).await;
    assert_eq!((status, body), (200, json!({"nickname": "茶友 🍵"})));
    assert_eq!(account_nickname(&app, &h5).await, "茶友 🍵");
    let session: Value = h5.get(&app, "/api/h5/session").send().await.expect("session").json().await.expect("json");
    assert_eq!(session["user"]["nickname"], "茶友 🍵");
    let (status, info, _) = user_info(&app, &s.partner, token, Some("dev-1")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["data"]["nickname"], "茶友 🍵");
    // 64 characters is the most.
    let (status, _) = post_nickname(&app, &h5, &json!({"nickname": "가".repeat(64)})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_account_page_changes_the_nickname_in_chromium() {
    let app = spawn_app().await;
    let (_, mobile) = login::user(&app).await;
    let Some(b) = browser::start(390, 844).await else { return };
    let t = Duration::from_secs(20);
    b.client.goto(&app.url("/h5/login?next=%2Fh5%2Faccount")).await.expect("open login");
    b.element("#account", t).await.send_keys(&mobile).await.expect("account");
    b.element("#password", t).await.send_keys(PASSWORD).await.expect("password");
    b.element("#login-submit", t).await.click().await.expect("log in");
    b.wait_text("#account-nickname", |x| x == "Tea Lover", t).await;

    // An empty name is refused on the page, before anything is sent.
    b.element("#nickname-edit", t).await.click().await.expect("edit");
    let input = b.element("#nickname-input", t).await;
    assert_eq!(input.prop("value").await.expect("value").as_deref(), Some("Tea Lover"));
    // Deleted key by key, as a person does (each key fires an input event).
    input.send_keys(&"\u{e003}".repeat("Tea Lover".len())).await.expect("backspace");
    b.element("#nickname-save", t).await.click().await.expect("save empty");
    b.wait_text("#nickname-error", |x| x.contains("1 to 64 characters"), t).await;

    // A real one is saved and shown at once, with a note.
    b.element("#nickname-input", t).await.send_keys("Green Tea Fan").await.expect("type");
    b.screenshot("account-nickname-edit").await;
    b.element("#nickname-save", t).await.click().await.expect("save");
    b.wait_text("#account-nickname", |x| x == "Green Tea Fan", t).await;
    b.wait_text("#nickname-saved", |x| x.contains("saved"), t).await;
    b.wait_text(".whoami-below", |x| x.contains("Green Tea Fan"), t).await;
    b.close().await;
    let stored: String = sqlx::query_scalar("SELECT nickname FROM users WHERE mobile = $1")
        .bind(&mobile)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("user");
    assert_eq!(stored, "Green Tea Fan");
}
