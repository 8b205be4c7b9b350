//! Joint login in real headless Chromium at 390×844 (SPEC §9): a partner's brand-new
//! user lands logged in on the account page; a used link shows the error page; an
//! account its owner uses directly gets the login page with the mobile pre-filled,
//! and after logging in lands where the partner asked.

use std::time::Duration;

use opengate_e2e::inbound::{self, joint_body, joint_login};
use opengate_e2e::login::{user, PASSWORD};
use opengate_e2e::{browser, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn joint_login_logs_a_new_user_straight_in_and_asks_a_direct_user_to_log_in() {
    let app = spawn_app_with(|_| {}).await;
    let src = inbound::source(&app, "partner_users", "jsonapi").await;
    let Some(b) = browser::start(390, 844).await else { return };
    let t = Duration::from_secs(20);
    let n: u64 = rand::Rng::gen_range(&mut rand::thread_rng(), 10_000_000..99_999_999);
    let mob = format!("135{n}");

    // 1. A brand-new user: the link logs them in, no form, on the account page.
    let got = joint_login(&app, &src.partner, &joint_body(&src, "web-1", &mob)).await;
    let link = app.url(&inbound::link_path(&app, got.1["data"].as_str().expect("url")));
    b.client.goto(&link).await.expect("open joint link");
    let masked = format!("{}****{}", &mob[..3], &mob[7..]);
    b.wait_text("#account-name", |s| s == masked, t).await;
    b.screenshot("joint-1-new-user").await;

    // 2. The same link again: the error page says it was used.
    b.client.goto(&link).await.expect("open again");
    b.wait_text("#error-code", |s| s == "link_used", t).await;

    // 3. An account used directly: login page, mobile pre-filled; after the password,
    //    the page the partner asked for.
    let (_, direct) = user(&app).await;
    let mut body = joint_body(&src, "web-2", &direct);
    body["map"] = json!({"redirect": "/h5/apps"});
    let got = joint_login(&app, &src.partner, &body).await;
    b.client.goto(&app.url(&inbound::link_path(&app, got.1["data"].as_str().expect("url")))).await.expect("open");
    let account = b.element("#account", t).await;
    let deadline = std::time::Instant::now() + t;
    loop {
        let v = account.prop("value").await.expect("value").unwrap_or_default();
        if v == direct {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "account not pre-filled: {v:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.screenshot("joint-2-login-prefilled").await;
    b.element("#password", t).await.send_keys(PASSWORD).await.expect("password");
    b.element("#login-submit", t).await.click().await.expect("submit");
    let deadline = std::time::Instant::now() + t;
    loop {
        let url = b.client.current_url().await.expect("url");
        if url.path() == "/h5/apps" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still at {url}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    b.close().await;
}
