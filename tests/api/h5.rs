//! The H5 app served by the backend, rendered by real headless Chromium.

use std::time::Duration;

use opengate_e2e::{browser, spawn_app};

#[tokio::test]
async fn h5_status_page_renders_in_chromium() {
    let app = spawn_app().await;
    let Some(b) = browser::start(390, 844).await else { return };
    b.client.goto(&app.url("/h5/")).await.expect("navigate");
    let text = b.wait_text("#status", |t| t.contains("Platform status"), Duration::from_secs(20)).await;
    assert_eq!(text, "Platform status: ok");
    b.screenshot("h5-status").await;
    // Client-side routes fall back to index.html and render the not-found page.
    b.client.goto(&app.url("/h5/no/such/page")).await.expect("navigate");
    b.wait_text("h1", |t| t == "Page not found", Duration::from_secs(20)).await;
    b.close().await;
}

#[tokio::test]
async fn root_redirects_to_h5() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/")).send().await.expect("get /");
    assert_eq!(r.status(), 307);
    assert_eq!(r.headers()["location"], "/h5/");
}
