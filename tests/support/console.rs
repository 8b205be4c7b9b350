//! Helpers for developer-console tests: a partner whose admin account can log in.

use serde_json::Value;

use crate::login::{H5, PASSWORD};
use crate::pay::{get_json, post_json};
use crate::{create_partner_for, unique, Partner, TestApp};

/// A partner app and an H5 session logged in as its admin account.
pub async fn admin_partner(app: &TestApp) -> (Partner, H5) {
    let email = format!("{}@example.com", unique("adm"));
    opengate::admin::create_user(&app.state, None, Some(&email), Some(PASSWORD), "Console admin")
        .await
        .expect("admin user");
    let partner = create_partner_for(app, &email).await;
    let mut h5 = H5::new(app).await;
    let (status, body) = h5.login(app, &email, PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    (partner, h5)
}

/// `GET /api/console/apps/{app}{rest}`.
pub async fn get(app: &TestApp, h5: &H5, app_id: &str, rest: &str) -> (u16, Value) {
    get_json(app, h5, &format!("/api/console/apps/{app_id}{rest}")).await
}

/// `POST /api/console/apps/{app}{rest}` with a JSON body.
pub async fn post(app: &TestApp, h5: &H5, app_id: &str, rest: &str, body: &Value) -> (u16, Value) {
    post_json(app, h5, &format!("/api/console/apps/{app_id}{rest}"), body).await
}
