//! The developer console's "Download statement" (SPEC §13): the app's admin gets the
//! same CSV as the partner server's signed `/open/v1/pay/statements`; nobody else does.

use std::time::Duration;

use opengate_e2e::console::admin_partner;
use opengate_e2e::login::PASSWORD;
use opengate_e2e::pay::*;
use opengate_e2e::{browser, spawn_app, Signed, TestApp};
use serde_json::json;

fn day_of(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).expect("time").date().to_string()
}

/// `GET /api/console/apps/{app}/statement?{query}` with the session of `h5`.
async fn download(
    app: &TestApp,
    h5: &opengate_e2e::login::H5,
    app_id: &str,
    query: &str,
) -> (u16, String, String, String) {
    let resp = h5.get(app, &format!("/api/console/apps/{app_id}/statement?{query}")).send().await.expect("get");
    let status = resp.status().as_u16();
    let header = |n: &str| resp.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (ct, disposition) = (header("content-type"), header("content-disposition"));
    (status, ct, disposition, resp.text().await.expect("body"))
}

#[tokio::test]
async fn the_admin_downloads_the_days_statement_and_nobody_else_does() {
    let app = spawn_app().await;
    let (partner, admin) = admin_partner(&app).await;
    enable_pay(&app, &partner).await;
    let (_, _, payer_h5) = payer(&app, "100.00").await;
    let o = new_order(&app, &partner, &order("T-CS1", "12.55")).await;
    assert_eq!(confirm(&app, &payer_h5, o["order_id"].as_str().expect("id"), PIN).await.0, 200);
    let today = day_of(app.clock.now_ms());

    let (status, ct, disposition, csv) = download(&app, &admin, &partner.app_id, &format!("date={today}")).await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(ct, "text/csv; charset=utf-8");
    assert_eq!(disposition, format!("attachment; filename=\"statement-{}-{today}.csv\"", partner.app_id));
    assert!(csv.contains(",T-CS1,"), "{csv}");
    // Exactly the partner server's file.
    let mut signed = Signed::new(&partner, "GET", &format!("/open/v1/pay/statements?date={today}"), b"");
    signed.timestamp = app.clock.now_secs();
    let signed = signed.request(&app).send().await.expect("signed").text().await.expect("csv");
    assert_eq!(csv, signed);

    // Bad requests: invalid_request, in the H5's JSON.
    for q in ["", "date=2026-1-5", "date=2026-02-30", &format!("date={today}&x=1")] {
        let (status, _, _, body) = download(&app, &admin, &partner.app_id, q).await;
        assert_eq!(status, 400, "{q}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["error"], "invalid_request", "{q}");
    }
    // Another user (the payer) and nobody logged in: not found, login required.
    let (status, _, _, body) = download(&app, &payer_h5, &partner.app_id, &format!("date={today}")).await;
    assert_eq!(status, 404, "{body}");
    let anonymous = opengate_e2e::login::H5::new(&app).await;
    let (status, _, _, body) = download(&app, &anonymous, &partner.app_id, &format!("date={today}")).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn the_console_links_the_statement_in_chromium() {
    let app = spawn_app().await;
    let (partner, _) = admin_partner(&app).await;
    enable_pay(&app, &partner).await;
    let email: String =
        sqlx::query_scalar("SELECT u.email FROM apps a JOIN users u ON u.id = a.admin_user_id WHERE a.id = $1")
            .bind(&partner.app_id)
            .fetch_one(&app.state.db.pool)
            .await
            .expect("admin email");
    let Some(b) = browser::start(390, 844).await else { return };
    let t = Duration::from_secs(20);
    let page = format!("/h5/console/{}", partner.app_id);
    b.client.goto(&app.url(&format!("/h5/login?next={}", page.replace('/', "%2F")))).await.expect("open login");
    b.element("#account", t).await.send_keys(&email).await.expect("account");
    b.element("#password", t).await.send_keys(PASSWORD).await.expect("password");
    b.element("#login-submit", t).await.click().await.expect("log in");
    let link = b.element("#statement-download", t).await;
    let href = link.attr("href").await.expect("href").expect("a link");
    let prefix = format!("/api/console/apps/{}/statement?date=", partner.app_id);
    assert!(href.starts_with(&prefix), "{href}");
    b.client.execute("document.getElementById('statement').scrollIntoView();", vec![]).await.expect("scroll");
    b.screenshot("console-statement").await;
    // The browser's own request (its session cookie) gets the CSV.
    let csv = b
        .client
        .execute_async("const [href, done] = arguments; fetch(href).then(r => r.text()).then(done);", vec![json!(href)])
        .await
        .expect("fetch");
    assert!(csv.as_str().is_some_and(|c| c.starts_with("type,")), "{csv}");
    b.close().await;
}
