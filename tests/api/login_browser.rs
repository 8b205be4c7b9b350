//! "Log in with OpenGate" end to end in real headless Chromium at 390×844: partner
//! link → H5 login → consent (one optional scope unticked) → redirect to a real
//! partner callback server with code and state → signed code exchange → user/info
//! shows exactly the granted fields → refresh → old refresh refused → revoke on the
//! "Authorized apps" page → token refused.

use std::time::Duration;

use fantoccini::Locator;
use opengate_e2e::login::{
    authorize_query, exchange_at, partner_callback, query_of, refresh, user, user_info, PASSWORD,
};
use opengate_e2e::{assert_error, browser, create_partner, spawn_app};

async fn wait_for(b: &browser::Browser, css: &str) -> fantoccini::elements::Element {
    b.element(css, Duration::from_secs(20)).await
}

#[tokio::test]
async fn login_consent_exchange_refresh_and_revoke_in_chromium() {
    let app = spawn_app().await;
    let partner = create_partner(&app).await;
    let (callback, mut received) = partner_callback().await;
    opengate::admin::add_redirect_uri(&app.state, &partner.app_id, &callback).await.expect("redirect uri");
    let (_, mobile) = user(&app).await;
    let Some(b) = browser::start(390, 844).await else { return };

    // 1. The partner app opens the authorize link (no device id: the H5 makes one).
    let q = authorize_query(&partner.app_id, "profile mobile", "state-42", &[]).replace(
        &url::form_urlencoded::byte_serialize(opengate_e2e::login::REDIRECT_URI.as_bytes()).collect::<String>(),
        &url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>(),
    );
    b.client.goto(&app.url(&format!("/oauth/authorize?{q}"))).await.expect("open authorize link");

    // 2. Not logged in: the login page, then back to consent.
    wait_for(&b, "#account").await.send_keys(&mobile).await.expect("type account");
    wait_for(&b, "#password").await.send_keys(PASSWORD).await.expect("type password");
    b.screenshot("login-1-login").await;
    wait_for(&b, "#login-submit").await.click().await.expect("submit");

    // 3. Consent: app name shown, every optional scope starts ticked; untick mobile.
    b.wait_text("#app-name", |t| t.contains("Test App"), Duration::from_secs(20)).await;
    let mobile_box = wait_for(&b, "#scope-mobile").await;
    assert_eq!(mobile_box.prop("checked").await.expect("prop").as_deref(), Some("true"));
    let openid_box = wait_for(&b, "#scope-openid").await;
    assert!(openid_box.attr("disabled").await.expect("attr").is_some(), "openid cannot be unticked");
    mobile_box.click().await.expect("untick mobile");
    b.screenshot("login-2-consent").await;
    wait_for(&b, "#approve").await.click().await.expect("agree");

    // 4. The partner's callback gets code, state and the H5's device id.
    let query = tokio::time::timeout(Duration::from_secs(20), received.recv())
        .await
        .expect("partner callback reached")
        .expect("query");
    let params = query_of(&format!("http://x/?{query}"));
    assert_eq!(params["state"], "state-42");
    let device = params["device_id"].clone();
    assert!(device.starts_with("h5-"), "{device}");
    b.wait_text("#partner", |t| t.contains("Partner received"), Duration::from_secs(20)).await;

    // 5. Signed exchange; user/info shows exactly the granted fields.
    let got = exchange_at(&app, &partner, &params["code"], &callback).await;
    assert_eq!(got.0, 200, "{:?}", got.1);
    assert_eq!(got.1["data"]["scope"], "openid profile");
    let at = got.1["data"]["access_token"].as_str().expect("at").to_owned();
    let rt = got.1["data"]["refresh_token"].as_str().expect("rt").to_owned();
    let info = user_info(&app, &partner, &at, Some(&device)).await;
    assert_eq!(info.0, 200, "{:?}", info.1);
    assert_eq!(info.1["data"]["nickname"], "Tea Lover");
    assert!(info.1["data"].get("mobile").is_none(), "mobile was unticked: {:?}", info.1);

    // 6. Refresh; after the grace period the old refresh token is refused.
    let r = refresh(&app, &partner, &rt).await;
    assert_eq!(r.0, 200, "{:?}", r.1);
    let at2 = r.1["data"]["access_token"].as_str().expect("at").to_owned();
    let rt2 = r.1["data"]["refresh_token"].as_str().expect("rt").to_owned();
    app.clock.advance_secs(11);
    assert_error(&refresh(&app, &partner, &rt).await, 400, "U0201");
    // That reuse revoked the whole login: the new pair is dead too.
    assert_error(&refresh(&app, &partner, &rt2).await, 400, "U0201");
    assert_error(&user_info(&app, &partner, &at2, Some(&device)).await, 401, "U0202");

    // Asking again for what was granted (profile): consent is remembered, so the browser
    // goes straight back to the partner with a new code.
    let q2 = q.replace("scope=profile+mobile", "scope=profile");
    assert_ne!(q2, q);
    b.client.goto(&app.url(&format!("/oauth/authorize?{q2}"))).await.expect("second login");
    let query = tokio::time::timeout(Duration::from_secs(20), received.recv()).await.expect("callback").expect("q");
    let params = query_of(&format!("http://x/?{query}"));
    assert_eq!(params["device_id"], device, "the H5 device id is stable per browser");
    let got = exchange_at(&app, &partner, &params["code"], &callback).await;
    let at3 = got.1["data"]["access_token"].as_str().expect("at").to_owned();
    assert_eq!(user_info(&app, &partner, &at3, Some(&device)).await.0, 200);

    // 7. Revoke on "Authorized apps": the token stops working at once.
    b.client.goto(&app.url("/h5/apps")).await.expect("apps page");
    let row = wait_for(&b, &format!(".grant[data-app-id=\"{}\"]", partner.app_id)).await;
    b.screenshot("login-3-apps").await;
    row.find(Locator::Css(".revoke")).await.expect("revoke button").click().await.expect("revoke");
    wait_for(&b, "#no-grants").await;
    b.screenshot("login-4-revoked").await;
    assert_error(&user_info(&app, &partner, &at3, Some(&device)).await, 401, "U0202");
    b.close().await;
}
