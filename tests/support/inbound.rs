//! Helpers for the inbound tests (SPEC §9): a partner app allowed to push joint logins
//! and look users up, a [`PartnerSite`] configured as a source, signed joint-login
//! calls, signed import links, and opening a link the way a browser does.

use opengate::domain::PermissionStatus;
use opengate::inbound::sources::{self, NewSource};
use serde_json::Value;

use crate::partner_site::PartnerSite;
use crate::{create_partner, send, unique, Partner, Signed, TestApp};

pub struct Source {
    pub partner: Partner,
    pub site: PartnerSite,
    pub code: String,
    pub secret: String,
}

/// `adapter` is `jsonapi` (user API at `/jsonapi/users/{uid}`) or `json` (at `/plain/{uid}`).
pub async fn source(app: &TestApp, trust: &str, adapter: &str) -> Source {
    let partner = create_partner(app).await;
    for p in ["joint_login", "user_lookup"] {
        opengate::admin::set_permission(&app.state, &partner.app_id, p, PermissionStatus::Approved)
            .await
            .expect("permission");
    }
    let site = PartnerSite::start().await;
    let code = unique("src");
    let (user_url, config) = match adapter {
        "jsonapi" => (site.url("/jsonapi/users/{uid}"), "{}".to_owned()),
        _ => (
            site.url("/plain/{uid}"),
            r#"{"mobile":"/result/profile/phone","username":"/result/profile/login","nickname":"/result/profile/nick"}"#
                .to_owned(),
        ),
    };
    let n = NewSource {
        code: code.clone(),
        name: "Partner Mall".into(),
        trust: trust.into(),
        app_id: Some(partner.app_id.clone()),
        adapter: adapter.into(),
        adapter_config: config,
        user_url: Some(user_url),
        ..NewSource::default()
    };
    let secret = sources::add_source(&app.state, &n).await.expect("source");
    site.set_secret(&secret);
    Source { partner, site, code, secret }
}

/// `POST /open/v1/joint-login` with `body` (raw bytes, so bad JSON can be sent).
pub async fn joint_login_raw(app: &TestApp, p: &Partner, body: &[u8]) -> (u16, Value, String) {
    send(Signed::new(p, "POST", "/open/v1/joint-login", body).request(app)).await
}

pub async fn joint_login(app: &TestApp, p: &Partner, body: &Value) -> (u16, Value, String) {
    joint_login_raw(app, p, body.to_string().as_bytes()).await
}

/// A well-formed joint-login body for `mob`.
pub fn joint_body(src: &Source, open_id: &str, mob: &str) -> Value {
    serde_json::json!({"openId": open_id, "merchantNo": src.code, "mob": mob, "sourceMc": "MC01", "sourceAf": "AF-7"})
}

/// What a browser gets when it opens a link: status, `Location`, and the session
/// cookie set (if any).
#[derive(Debug)]
pub struct Landing {
    pub status: u16,
    pub location: String,
    pub cookie: Option<String>,
}

impl Landing {
    /// The error code of an `/h5/error?error=…` landing.
    pub fn error_code(&self) -> Option<String> {
        let q = self.location.strip_prefix("/h5/error?")?;
        url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "error").map(|(_, v)| v.into_owned())
    }
}

pub async fn open(app: &TestApp, path_and_query: &str) -> Landing {
    let resp = app.http.get(app.url(path_and_query)).send().await.expect("open link");
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let cookie = resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (k, val) = v.split(';').next()?.split_once('=')?;
        (k == "og_session").then(|| val.to_owned())
    });
    Landing { status, location, cookie }
}

/// The H5 session of a cookie: the logged-in user's nickname, if any.
pub async fn session_nickname(app: &TestApp, cookie: &str) -> Option<String> {
    let resp = app.http.get(app.url("/api/h5/session")).header("cookie", format!("og_session={cookie}")).send().await;
    let body: Value = resp.expect("session").json().await.expect("json");
    body["user"]["nickname"].as_str().map(str::to_owned)
}

/// A signed import link path for `uid`, made at unix time `ts`.
pub fn import_link(code: &str, secret: &str, uid: &str, ts: i64, redirect: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("source", code).append_pair("uid", uid).append_pair("ts", &ts.to_string());
    if let Some(r) = redirect {
        q.append_pair("redirect", r);
    }
    let query = q.finish();
    let sig = opengate_shared::source::sign_import(secret, &query).expect("query");
    format!("/h5/import?{query}&sig={sig}")
}

/// The path part of a joint-login URL (`data` of the answer).
pub fn link_path(app: &TestApp, url: &str) -> String {
    url.strip_prefix(&app.state.config.public_base_url).unwrap_or(url).to_owned()
}
