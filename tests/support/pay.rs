//! Helpers for payment tests: a partner allowed to take payments (pricing PTS → OGC
//! at 0.1), a funded user with a PIN, signed order calls, and [`Receiver`]: a real
//! HTTP server playing the partner's notify endpoint, with scripted answers.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::login::{signed_post, H5};
use crate::{create_partner, send, Partner, Signed, TestApp};

pub const PIN: &str = "246810";
pub const RATE: &str = "0.1";

/// A partner that can take payments, and a logged-in user with a PIN and OGC.
pub struct PaySetup {
    pub partner: Partner,
    pub user_id: String,
    pub mobile: String,
    pub h5: H5,
}

/// Currencies and pricing for `partner`; `127.0.0.1` allowed for return/notify URLs.
pub async fn enable_pay(app: &TestApp, partner: &Partner) {
    let st = &app.state;
    opengate::admin::set_currency(st, "OGC", 2).await.expect("OGC");
    opengate::admin::set_currency(st, "PTS", 2).await.expect("PTS");
    opengate::admin::set_permission(st, &partner.app_id, "pay", opengate::domain::PermissionStatus::Approved)
        .await
        .expect("pay permission");
    opengate::admin::set_pricing(st, &partner.app_id, "PTS", "OGC", RATE).await.expect("pricing");
    opengate::admin::add_return_host(st, &partner.app_id, "127.0.0.1").await.expect("return host");
}

/// A user with `ogc` OGC (decimal string), logged in, with [`PIN`] set.
pub async fn payer(app: &TestApp, ogc: &str) -> (String, String, H5) {
    let (user_id, mobile) = crate::login::user(app).await;
    opengate::admin::credit(&app.state, &mobile, "OGC", ogc, "test funding").await.expect("credit");
    let h5 = H5::logged_in(app, &mobile).await;
    let (status, body) = post_json(app, &h5, "/api/h5/account/pin", &json!({"new_pin": PIN})).await;
    assert_eq!(status, 200, "{body}");
    (user_id, mobile, h5)
}

pub async fn setup(app: &TestApp, ogc: &str) -> PaySetup {
    let partner = create_partner(app).await;
    enable_pay(app, &partner).await;
    let (user_id, mobile, h5) = payer(app, ogc).await;
    PaySetup { partner, user_id, mobile, h5 }
}

pub async fn post_json(app: &TestApp, h5: &H5, path: &str, body: &Value) -> (u16, Value) {
    let resp = h5.post(app, path, body).send().await.expect("post");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

pub async fn get_json(app: &TestApp, h5: &H5, path: &str) -> (u16, Value) {
    let resp = h5.get(app, path).send().await.expect("get");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json"))
}

/// Signed `POST /open/v1/pay/orders`.
pub async fn create_order(app: &TestApp, p: &Partner, body: &Value) -> (u16, Value, String) {
    signed_post(app, p, "/open/v1/pay/orders", body).await
}

/// A minimal valid order body.
pub fn order(trade_no: &str, amount: &str) -> Value {
    json!({"trade_no": trade_no, "amount": amount, "currency": "PTS", "subject": "Green tea"})
}

/// Creates an order and returns its `data`.
pub async fn new_order(app: &TestApp, p: &Partner, body: &Value) -> Value {
    let (status, v, raw) = create_order(app, p, body).await;
    assert_eq!(status, 200, "{raw}");
    v["data"].clone()
}

/// Signed `GET /open/v1/pay/orders/{trade_no}`.
pub async fn query_order(app: &TestApp, p: &Partner, trade_no: &str) -> (u16, Value, String) {
    let mut s = Signed::new(p, "GET", &format!("/open/v1/pay/orders/{trade_no}"), b"");
    s.timestamp = app.clock.now_secs();
    send(s.request(app)).await
}

/// Signed empty-body `POST /open/v1/pay/orders/{trade_no}/{action}` (close, notify).
pub async fn order_action(app: &TestApp, p: &Partner, trade_no: &str, action: &str) -> (u16, Value, String) {
    let mut s = Signed::new(p, "POST", &format!("/open/v1/pay/orders/{trade_no}/{action}"), b"");
    s.timestamp = app.clock.now_secs();
    send(s.request(app)).await
}

pub async fn confirm(app: &TestApp, h5: &H5, order_id: &str, pin: &str) -> (u16, Value) {
    post_json(app, h5, &format!("/api/h5/pay/{order_id}/confirm"), &json!({"pin": pin})).await
}

/// A confirmation sent from a spawned task (for concurrency tests): (status, body).
pub fn confirm_spawned(app: &TestApp, h5: &H5, order_id: &str) -> tokio::task::JoinHandle<(u16, Value)> {
    let rb = h5.post(app, &format!("/api/h5/pay/{order_id}/confirm"), &json!({"pin": PIN}));
    tokio::spawn(async move {
        let r = rb.send().await.expect("confirm");
        let status = r.status().as_u16();
        (status, r.json().await.expect("json"))
    })
}

/// A user's balance of `asset` in minor units, straight from the database.
pub async fn balance(app: &TestApp, user_id: &str, asset: &str) -> i64 {
    opengate::storage::pay::user_balance(&app.state.db.pool, user_id, asset).await.expect("balance")
}

pub async fn merchant_balance(app: &TestApp, app_id: &str, asset: &str) -> i64 {
    opengate::storage::pay::merchant_balance(&app.state.db.pool, app_id, asset).await.expect("merchant balance")
}

/// What the receiver does with one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    Status(u16),
    /// Answer 200 only after this long (a timeout when longer than the platform's).
    Slow(Duration),
    /// Never answer while the test runs.
    Hang,
    /// `302 Found` to the receiver's own `/moved` (which records what reaches it).
    Redirect,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `/notify`, or `/moved` when a redirect was followed.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub at: std::time::Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("notification body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Answer>,
    fallback: Option<Answer>,
    got: Vec<Received>,
}

/// A partner's notify endpoint: records every request and answers from a script
/// (then with the fallback, 200 unless set).
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let router = Router::new()
            .route("/notify", post(receive))
            .route("/moved", post(receive).get(receive))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver { addr, inner }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/notify", self.addr.port())
    }

    /// Answers for the next requests, in order.
    pub fn script(&self, answers: &[Answer]) {
        self.inner.lock().expect("lock").script.extend(answers.iter().copied());
    }

    /// The answer once the script is used up.
    pub fn fallback(&self, a: Answer) {
        self.inner.lock().expect("lock").fallback = Some(a);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").got.clone()
    }

    pub fn count(&self) -> usize {
        self.inner.lock().expect("lock").got.len()
    }

    /// Waits until at least `n` requests arrived (panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let end = std::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(std::time::Instant::now() < end, "receiver got {} of {n} requests in {timeout:?}", got.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let answer = {
        let mut i = inner.lock().expect("lock");
        i.got.push(Received {
            path: uri.path().to_owned(),
            headers,
            body: body.to_vec(),
            at: std::time::Instant::now(),
        });
        let fallback = i.fallback.unwrap_or(Answer::Status(200));
        i.script.pop_front().unwrap_or(fallback)
    };
    match answer {
        Answer::Status(s) => StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR).into_response(),
        Answer::Slow(d) => {
            tokio::time::sleep(d).await;
            StatusCode::OK.into_response()
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        Answer::Redirect => (StatusCode::FOUND, [(axum::http::header::LOCATION, "/moved")]).into_response(),
    }
}

/// Verifies a delivery with the Standard Webhooks reference library (not our code).
pub fn verify_with_reference_library(r: &Received, notify_secret: &str) {
    let wh = standardwebhooks::Webhook::new(notify_secret).expect("reference library takes the whsec_ secret");
    let mut h = http::HeaderMap::new();
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        h.insert(name, http::HeaderValue::from_str(&r.header(name)).expect("header value"));
    }
    wh.verify(&r.body, &h).expect("the reference Standard Webhooks verifier accepts the delivery");
}
