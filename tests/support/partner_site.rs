//! A partner **site** (SPEC §9) played by a small real HTTP server: a JSON:API user
//! API, a plain-JSON user API, and a deduction endpoint that keeps its own ledger
//! (idempotent by debit id) and can be told to refuse, fail, or apply the debit and
//! then not answer in time, and a refund endpoint that credits that ledger the same
//! way (idempotent by refund id). Every call's source signature is checked and recorded.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use opengate_shared::source;
use serde_json::{json, Value};

/// How the user API answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMode {
    Normal,
    Error500,
    Hang,
    Huge,
    Redirect,
}

/// How the deduction endpoint answers the next debit request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeductMode {
    /// Apply (once per id) and answer success.
    Ok,
    /// Refuse: the user's balance at the partner is short.
    Refuse,
    /// Answer 500 without applying.
    Error500,
    /// Apply, then answer only after `Duration` (longer than the platform waits).
    ApplyThenHang(Duration),
}

#[derive(Debug, Clone)]
pub struct SiteCall {
    pub path: String,
    pub signature_ok: bool,
}

#[derive(Default)]
struct Inner {
    users: HashMap<String, Value>,
    user_mode: Option<UserMode>,
    deduct_script: VecDeque<DeductMode>,
    /// Applied debits by id: (uid, amount, currency).
    debits: BTreeMap<String, (String, String, String)>,
    deduct_requests: Vec<Value>,
    refund_script: VecDeque<DeductMode>,
    /// Applied refund credits by id: (debit id, uid, amount, currency).
    credits: BTreeMap<String, (String, String, String, String)>,
    refund_requests: Vec<Value>,
    calls: Vec<SiteCall>,
}

#[derive(Clone)]
pub struct PartnerSite {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    secret: Arc<Mutex<String>>,
}

type St = (Arc<Mutex<Inner>>, Arc<Mutex<String>>);

impl PartnerSite {
    pub async fn start() -> PartnerSite {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let secret = Arc::new(Mutex::new(String::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind partner site");
        let addr = listener.local_addr().expect("addr");
        let router = Router::new()
            .route("/jsonapi/users/{uid}", get(jsonapi_user))
            .route("/plain/{uid}", get(plain_user))
            .route("/deduct", post(deduct))
            .route("/refund", post(refund))
            .with_state((inner.clone(), secret.clone()));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        PartnerSite { addr, inner, secret }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }

    /// The shared secret the operator gave this site (checks the platform's calls).
    pub fn set_secret(&self, s: &str) {
        *self.secret.lock().expect("lock") = s.to_owned();
    }

    pub fn add_user(&self, uid: &str, user_name: &str, mobile: Option<&str>, nick: &str) {
        let mut attrs = json!({"userName": user_name, "nickName": nick, "status": 0, "createTime": 1475853051});
        if let Some(m) = mobile {
            attrs["cellPhone"] = json!(m);
        }
        self.inner.lock().expect("lock").users.insert(uid.to_owned(), attrs);
    }

    pub fn user_mode(&self, m: UserMode) {
        self.inner.lock().expect("lock").user_mode = Some(m);
    }

    pub fn deduct_script(&self, modes: &[DeductMode]) {
        self.inner.lock().expect("lock").deduct_script.extend(modes.iter().copied());
    }

    pub fn calls(&self) -> Vec<SiteCall> {
        self.inner.lock().expect("lock").calls.clone()
    }

    /// Debits applied (each id once, however often it was asked).
    pub fn debits(&self) -> BTreeMap<String, (String, String, String)> {
        self.inner.lock().expect("lock").debits.clone()
    }

    pub fn deduct_requests(&self) -> Vec<Value> {
        self.inner.lock().expect("lock").deduct_requests.clone()
    }

    /// How the refund endpoint answers the next requests (then: Ok).
    pub fn refund_script(&self, modes: &[DeductMode]) {
        self.inner.lock().expect("lock").refund_script.extend(modes.iter().copied());
    }

    /// Refund credits applied (each id once, however often it was asked).
    pub fn credits(&self) -> BTreeMap<String, (String, String, String, String)> {
        self.inner.lock().expect("lock").credits.clone()
    }

    pub fn refund_requests(&self) -> Vec<Value> {
        self.inner.lock().expect("lock").refund_requests.clone()
    }
}

fn check(st: &St, method: &str, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> bool {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let secret = st.1.lock().expect("lock").clone();
    let ts: i64 = h(source::HEADER_TIMESTAMP).parse().unwrap_or(0);
    let pq = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let ok = !secret.is_empty()
        && !h(source::HEADER_SOURCE).is_empty()
        && opengate_shared::signing::verify(
            &secret,
            &source::call_string_to_sign(method, &pq, ts, body),
            &h(source::HEADER_SIGNATURE),
        );
    st.0.lock().expect("lock").calls.push(SiteCall { path: uri.path().to_owned(), signature_ok: ok });
    ok
}

async fn user_answer(st: &St, uid: &str, doc: impl FnOnce(&Value) -> Value) -> Response {
    let (mode, user) = {
        let g = st.0.lock().expect("lock");
        (g.user_mode.unwrap_or(UserMode::Normal), g.users.get(uid).cloned())
    };
    match mode {
        UserMode::Normal => {}
        UserMode::Error500 => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        UserMode::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return StatusCode::OK.into_response();
        }
        UserMode::Huge => return (StatusCode::OK, "x".repeat(200 * 1024)).into_response(),
        UserMode::Redirect => {
            return (StatusCode::FOUND, [("location", "http://127.0.0.1:1/elsewhere")]).into_response()
        }
    }
    match user {
        Some(u) => Json(doc(&u)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn jsonapi_user(State(st): State<St>, Path(uid): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    if !check(&st, "GET", &uri, &headers, b"") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    user_answer(&st, &uid, |a| json!({"data": {"type": "users", "id": uid, "attributes": a}})).await
}

/// The same users in a partner's own shape, for the `json` adapter.
async fn plain_user(State(st): State<St>, Path(uid): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    if !check(&st, "GET", &uri, &headers, b"") {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    user_answer(&st, &uid, |a| {
        json!({"code": 0, "result": {"profile": {"phone": a.get("cellPhone"), "login": a["userName"], "nick": a["nickName"]}}})
    })
    .await
}

/// Which ledger endpoint a request reached.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ledger {
    Debit,
    Credit,
}

async fn deduct(State(st): State<St>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    ledger_call(st, Ledger::Debit, uri, headers, body).await
}

async fn refund(State(st): State<St>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    ledger_call(st, Ledger::Credit, uri, headers, body).await
}

/// A signed debit or credit: recorded, then answered by the endpoint's script;
/// applied to the site's ledger once per id.
async fn ledger_call(st: St, which: Ledger, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    if !check(&st, "POST", &uri, &headers, &body) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else { return StatusCode::BAD_REQUEST.into_response() };
    if which == Ledger::Credit && req["type"] != "credit" {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let id = req["id"].as_str().unwrap_or_default().to_owned();
    let mode = {
        let mut guard = st.0.lock().expect("lock");
        let g = &mut *guard;
        let (log, script) = match which {
            Ledger::Debit => (&mut g.deduct_requests, &mut g.deduct_script),
            Ledger::Credit => (&mut g.refund_requests, &mut g.refund_script),
        };
        log.push(req.clone());
        script.pop_front().unwrap_or(DeductMode::Ok)
    };
    let apply = |st: &St| {
        let mut g = st.0.lock().expect("lock");
        let field = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
        match which {
            Ledger::Debit => {
                g.debits.entry(id.clone()).or_insert_with(|| (field("uid"), field("amount"), field("currency")));
            }
            Ledger::Credit => {
                let credit = (field("debit_id"), field("uid"), field("amount"), field("currency"));
                g.credits.entry(id.clone()).or_insert(credit);
            }
        }
    };
    match mode {
        DeductMode::Ok => {
            apply(&st);
            Json(json!({"success": true})).into_response()
        }
        DeductMode::Refuse if which == Ledger::Debit => {
            Json(json!({"success": false, "code": "insufficient_balance", "message": "not enough points"}))
                .into_response()
        }
        DeductMode::Refuse => {
            Json(json!({"success": false, "code": "account_closed", "message": "the member account is closed"}))
                .into_response()
        }
        DeductMode::Error500 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        DeductMode::ApplyThenHang(d) => {
            apply(&st);
            tokio::time::sleep(d).await;
            Json(json!({"success": true})).into_response()
        }
    }
}
