//! Helpers for login tests: a partner with a redirect URI, a user with a password,
//! an H5 session client (cookie + CSRF, as the browser app does it) and the steps of
//! the authorize → login → consent → code flow over plain HTTP.

use serde_json::{json, Value};

use crate::{create_partner, send, unique, Partner, Signed, TestApp};

pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT_URI: &str = "https://partner.example/callback";

/// A partner app allowed to redirect to [`REDIRECT_URI`], and a user who can log in.
pub struct LoginSetup {
    pub partner: Partner,
    pub user_id: String,
    pub mobile: String,
}

pub async fn user(app: &TestApp) -> (String, String) {
    let n: u64 = rand::Rng::gen_range(&mut rand::thread_rng(), 10_000_000..99_999_999);
    let mobile = format!("139{n}");
    let id =
        opengate::admin::create_user(&app.state, Some(&mobile), None, Some(PASSWORD), "Tea Lover").await.expect("user");
    (id, mobile)
}

pub async fn setup(app: &TestApp) -> LoginSetup {
    let partner = create_partner(app).await;
    opengate::admin::add_redirect_uri(&app.state, &partner.app_id, REDIRECT_URI).await.expect("redirect uri");
    let (user_id, mobile) = user(app).await;
    LoginSetup { partner, user_id, mobile }
}

/// A browser's session with the H5 API: the cookie and the current CSRF token.
pub struct H5 {
    pub cookie: String,
    pub csrf: String,
}

fn cookie_of(resp: &reqwest::Response) -> Option<String> {
    resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let first = v.split(';').next()?;
        let (k, val) = first.split_once('=')?;
        (k == "og_session").then(|| val.to_owned())
    })
}

impl H5 {
    /// A fresh anonymous session.
    pub async fn new(app: &TestApp) -> H5 {
        let resp = app.http.get(app.url("/api/h5/session")).send().await.expect("session");
        assert_eq!(resp.status(), 200);
        let cookie = cookie_of(&resp).expect("session cookie set");
        let body: Value = resp.json().await.expect("json");
        H5 { cookie, csrf: body["csrf_token"].as_str().expect("csrf").to_owned() }
    }

    pub fn get(&self, app: &TestApp, path: &str) -> reqwest::RequestBuilder {
        app.http.get(app.url(path)).header("cookie", format!("og_session={}", self.cookie))
    }

    pub fn post(&self, app: &TestApp, path: &str, body: &Value) -> reqwest::RequestBuilder {
        app.http
            .post(app.url(path))
            .header("cookie", format!("og_session={}", self.cookie))
            .header("x-csrf-token", &self.csrf)
            .json(body)
    }

    /// Logs in; the session id and CSRF token change.
    pub async fn login(&mut self, app: &TestApp, account: &str, password: &str) -> (u16, Value) {
        let resp = self
            .post(app, "/api/h5/login", &json!({"account": account, "password": password}))
            .send()
            .await
            .expect("login");
        let status = resp.status().as_u16();
        if let Some(c) = cookie_of(&resp) {
            self.cookie = c;
        }
        let body: Value = resp.json().await.expect("json");
        if status == 200 {
            self.csrf = body["csrf_token"].as_str().expect("csrf").to_owned();
        }
        (status, body)
    }

    pub async fn logged_in(app: &TestApp, mobile: &str) -> H5 {
        let mut h = H5::new(app).await;
        let (status, body) = h.login(app, mobile, PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        h
    }
}

/// The query of an authorize URL.
pub fn authorize_query(client_id: &str, scope: &str, state: &str, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("state", state);
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    q.finish()
}

/// `GET /oauth/authorize?{query}` → the `Location` it answers with.
pub async fn authorize(app: &TestApp, query: &str) -> String {
    let resp = app.http.get(app.url(&format!("/oauth/authorize?{query}"))).send().await.expect("authorize");
    assert!(resp.status().is_redirection(), "authorize answered {}", resp.status());
    resp.headers()["location"].to_str().expect("location").to_owned()
}

/// The request id in `/h5/authorize?request=…`.
pub fn request_id(location: &str) -> String {
    let q = location.strip_prefix("/h5/authorize?request=").unwrap_or_else(|| panic!("not a consent page: {location}"));
    q.to_owned()
}

/// The query parameters of an absolute URL.
pub fn query_of(u: &str) -> std::collections::HashMap<String, String> {
    let parsed = url::Url::parse(u).expect("absolute url");
    parsed.query_pairs().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Authorize → consent with `granted` scopes → the code (the whole redirect's query).
pub async fn code_for(
    app: &TestApp,
    s: &LoginSetup,
    h5: &H5,
    scope: &str,
    granted: &[&str],
    extra: &[(&str, &str)],
) -> std::collections::HashMap<String, String> {
    let loc = authorize(app, &authorize_query(&s.partner.app_id, scope, "st-1", extra)).await;
    let id = request_id(&loc);
    let device = if extra.iter().any(|(k, _)| *k == "device_id") { None } else { Some("h5-test-device") };
    let body = json!({"approve": true, "scopes": granted, "device_id": device});
    let resp = h5.post(app, &format!("/api/h5/authorize/{id}"), &body).send().await.expect("consent");
    let status = resp.status();
    let v: Value = resp.json().await.expect("json");
    assert_eq!(status, 200, "{v}");
    query_of(v["redirect"].as_str().expect("redirect"))
}

/// Signed `GET {path}`.
pub async fn signed_get(app: &TestApp, p: &Partner, path: &str) -> (u16, Value, String) {
    let mut s = Signed::new(p, "GET", path, b"");
    s.timestamp = app.clock.now_secs(); // follows a test's moved clock
    send(s.request(app)).await
}

/// Signed `POST {path}` with a JSON body.
pub async fn signed_post(app: &TestApp, p: &Partner, path: &str, body: &Value) -> (u16, Value, String) {
    let bytes = serde_json::to_vec(body).expect("json");
    let mut s = Signed::new(p, "POST", path, &bytes);
    s.timestamp = app.clock.now_secs(); // follows a test's moved clock
    send(s.request(app)).await
}

pub async fn exchange(app: &TestApp, p: &Partner, code: &str, verifier: Option<&str>) -> (u16, Value, String) {
    let mut body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI});
    if let Some(v) = verifier {
        body["code_verifier"] = json!(v);
    }
    signed_post(app, p, "/open/v1/oauth/token", &body).await
}

/// The code exchange with an explicit redirect URI.
pub async fn exchange_at(app: &TestApp, p: &Partner, code: &str, redirect_uri: &str) -> (u16, Value, String) {
    let body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri});
    signed_post(app, p, "/open/v1/oauth/token", &body).await
}

pub async fn refresh(app: &TestApp, p: &Partner, rt: &str) -> (u16, Value, String) {
    signed_post(app, p, "/open/v1/oauth/token", &json!({"grant_type": "refresh_token", "refresh_token": rt})).await
}

/// Signed `GET /open/v1/user/info` with a bearer token and device id.
pub async fn user_info(app: &TestApp, p: &Partner, token: &str, device: Option<&str>) -> (u16, Value, String) {
    user_info_path(app, p, "/open/v1/user/info", token, device).await
}

pub async fn user_info_path(
    app: &TestApp,
    p: &Partner,
    path: &str,
    token: &str,
    device: Option<&str>,
) -> (u16, Value, String) {
    let mut s = Signed::new(p, "GET", path, b"");
    s.timestamp = app.clock.now_secs();
    let mut rb = s.request(app).header("authorization", format!("Bearer {token}"));
    if let Some(d) = device {
        rb = rb.header("x-og-device-id", d);
    }
    send(rb).await
}

/// A logged-in user's tokens for the partner, in one call.
pub async fn tokens(app: &TestApp, s: &LoginSetup, scope: &str, granted: &[&str], device: &str) -> Value {
    let h5 = H5::logged_in(app, &s.mobile).await;
    let q = code_for(app, s, &h5, scope, granted, &[("device_id", device)]).await;
    let got = exchange(app, &s.partner, &q["code"], None).await;
    assert_eq!(got.0, 200, "{:?}", got.1);
    got.1["data"].clone()
}

/// A unique e-mail for a second admin.
pub fn email() -> String {
    format!("{}@example.com", unique("u"))
}

/// The partner's redirect target: a real HTTP server that hands each query it gets
/// to the test (browser login tests).
pub async fn partner_callback() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use axum::extract::RawQuery;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/callback",
        axum::routing::get(move |RawQuery(q): RawQuery| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(q.unwrap_or_default());
                axum::response::Html("<h1 id=partner>Partner received the login</h1>")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/callback"), rx)
}
