//! The demo shop's handlers: home, "Log in with OpenGate" (`/login` → platform →
//! `/callback`), "Buy" (`/buy` → pay page → `/orders/{trade_no}`), and `/notify`,
//! where the platform's notifications are verified and stored.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use opengate_sdk::{CallbackParams, Client, Event, NotificationVerifier};
use serde::Deserialize;

use crate::html::{self, OrderPage, Proof};
use crate::store::{PendingLogin, Session, Store, User};
use crate::Settings;

const COOKIE_NAME: &str = "og_demo_sid";
/// An unpaid order's page stops refreshing itself after this long.
const REFRESH_FOR_SECS: i64 = 15 * 60;

#[derive(Clone)]
pub(crate) struct Demo {
    pub og: Client,
    pub verifier: NotificationVerifier,
    pub settings: Arc<Settings>,
    pub store: Arc<Store>,
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    (status, Html(html::error(title, message))).into_response()
}

fn sid_of(headers: &HeaderMap) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == COOKIE_NAME && !v.is_empty()).then(|| v.to_owned())
    })
}

impl Demo {
    /// This browser's session, or a new one with the cookie to set.
    fn session(&self, headers: &HeaderMap) -> (String, Session, Option<String>) {
        if let Some(sid) = sid_of(headers) {
            if let Some(s) = self.store.session(&sid) {
                return (sid, s, None);
            }
        }
        let sid = opengate_sdk::new_state();
        let s = self.store.new_session(sid.clone(), opengate_sdk::new_state());
        let cookie = self.cookie(&sid);
        (sid, s, Some(cookie))
    }

    fn cookie(&self, sid: &str) -> String {
        let secure = if self.settings.public_url.starts_with("https://") { "; Secure" } else { "" };
        format!("{COOKIE_NAME}={sid}; Path=/; HttpOnly; SameSite=Lax{secure}")
    }

    /// The existing session, when the posted CSRF token is its own.
    fn checked_session(&self, headers: &HeaderMap, csrf: &str) -> Option<(String, Session)> {
        let sid = sid_of(headers)?;
        let s = self.store.session(&sid)?;
        (!csrf.is_empty() && s.csrf == csrf).then_some((sid, s))
    }
}

fn with_cookie(cookie: Option<String>, resp: impl IntoResponse) -> Response {
    match cookie {
        Some(c) => ([(SET_COOKIE, c)], resp).into_response(),
        None => resp.into_response(),
    }
}

pub(crate) async fn home(State(d): State<Demo>, headers: HeaderMap) -> Response {
    let (_, s, cookie) = d.session(&headers);
    let orders = d.store.recent_orders(5);
    with_cookie(cookie, Html(html::home(s.user.as_ref(), &s.csrf, &d.settings.currency, &orders)))
}

/// Starts a login: a fresh state and PKCE verifier kept in the session, then the
/// platform's authorize page (scope `profile` for the nickname).
pub(crate) async fn login(State(d): State<Demo>, headers: HeaderMap) -> Response {
    let (sid, _, cookie) = d.session(&headers);
    let start = d.og.authorize_url(&d.settings.redirect_uri()).scope("profile").build();
    let pending = PendingLogin { state: start.state, pkce: start.pkce };
    d.store.update(&sid, |s| s.pending = Some(pending));
    with_cookie(cookie, Redirect::to(&start.url))
}

pub(crate) async fn callback(
    State(d): State<Demo>,
    headers: HeaderMap,
    Query(params): Query<CallbackParams>,
) -> Response {
    let Some(sid) = sid_of(&headers) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Login expired",
            "This browser has no login in progress; start again.",
        );
    };
    let mut pending = None;
    d.store.update(&sid, |s| pending = s.pending.take());
    let Some(pending) = pending else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Login expired",
            "This browser has no login in progress; start again.",
        );
    };
    let cb = match params.check(&pending.state) {
        Ok(cb) => cb,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, "Login not completed", &e.to_string()),
    };
    let Some(device_id) = cb.device_id else {
        return error_page(StatusCode::BAD_GATEWAY, "Login failed", "The platform returned no device_id.");
    };
    let redirect_uri = d.settings.redirect_uri();
    let tokens = match d.og.exchange_code(&cb.code, &redirect_uri, Some(pending.pkce.verifier())).await {
        Ok(t) => t,
        Err(e) => return error_page(StatusCode::BAD_GATEWAY, "Code exchange failed", &e.to_string()),
    };
    let info = match d.og.user_info(&tokens.access_token, &device_id, None).await {
        Ok(i) => i,
        Err(e) => return error_page(StatusCode::BAD_GATEWAY, "Reading the profile failed", &e.to_string()),
    };
    let user = User { open_id: info.open_id, union_id: info.union_id, nickname: info.nickname };
    // A new session id at login (no fixation); the tokens are not kept, the demo needs
    // the profile only.
    let new_sid = opengate_sdk::new_state();
    if !d.store.rotate(&sid, new_sid.clone(), opengate_sdk::new_state()) {
        return error_page(StatusCode::BAD_REQUEST, "Login expired", "This browser's session ended; start again.");
    }
    d.store.update(&new_sid, |s| s.user = Some(user));
    with_cookie(Some(d.cookie(&new_sid)), Redirect::to("/"))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn logout(State(d): State<Demo>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let Some((sid, _)) = d.checked_session(&headers, &f.csrf) else {
        return error_page(StatusCode::FORBIDDEN, "Please try again", "The form was stale; reload the shop.");
    };
    d.store.update(&sid, |s| s.user = None);
    Redirect::to("/").into_response()
}

/// Creates an order for the product (only the logged-in user may pay it) and sends
/// the browser to the platform's pay page.
pub(crate) async fn buy(State(d): State<Demo>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Response {
    let Some((_, session)) = d.checked_session(&headers, &f.csrf) else {
        return error_page(StatusCode::FORBIDDEN, "Please try again", "The form was stale; reload the shop.");
    };
    let suffix: String = opengate_sdk::new_state().chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    let trade_no = format!("DEMO-{}-{suffix}", now_secs());
    let base = &d.settings.public_url;
    let mut req = opengate_sdk::order(&trade_no, html::PRICE, &d.settings.currency, html::PRODUCT);
    req.return_url = Some(format!("{base}/orders/{trade_no}"));
    req.notify_url = Some(format!("{base}/notify"));
    req.open_id = session.user.map(|u| u.open_id);
    match d.og.create_order(&req).await {
        Ok(order) => {
            let pay_url = order.pay_url.clone();
            d.store.add_order(order);
            Redirect::to(&pay_url).into_response()
        }
        Err(e) => error_page(StatusCode::BAD_GATEWAY, "Could not create the order", &e.to_string()),
    }
}

#[derive(Deserialize)]
pub(crate) struct ReturnQuery {
    status: Option<String>,
}

/// The order's status and what proved it: a verified notification first, else the
/// query API. The return redirect's `status` is shown but never trusted. A paid order
/// shows its refunds (the verified refund notifications) and a "Refund" button.
pub(crate) async fn order(
    State(d): State<Demo>,
    Path(trade_no): Path<String>,
    Query(q): Query<ReturnQuery>,
    headers: HeaderMap,
) -> Response {
    let (_, session, cookie) = d.session(&headers);
    let Some(order) = d.store.order(&trade_no) else {
        return error_page(StatusCode::NOT_FOUND, "No such order", "This shop did not create that order.");
    };
    let (status, fail_reason, proof, query_error) = match d.store.notification_for(&trade_no) {
        Some(stored) => {
            let data = &stored.notification.data;
            (data.status.clone(), data.fail_reason.clone(), Proof::Notification(Box::new(stored.clone())), None)
        }
        None => match d.og.query_order(&trade_no).await {
            Ok(o) => {
                let proof = if o.status == "pending" { Proof::None } else { Proof::Query };
                (o.status, o.fail_reason, proof, None)
            }
            Err(e) => (order.status.clone(), None, Proof::None, Some(e.to_string())),
        },
    };
    let refunds = d.store.refunds_for(&trade_no);
    // A refund asked for and not yet notified keeps the page refreshing too.
    let refund_waiting = d.store.refund_requested(&trade_no) > refunds.len();
    let waiting = (!matches!(proof, Proof::Notification(_)) && status != "failed") || refund_waiting;
    let refresh = waiting && now_secs() - order.created_at < REFRESH_FOR_SECS;
    let page = OrderPage {
        order: &order,
        status: &status,
        fail_reason: fail_reason.as_deref(),
        proof,
        returned: q.status.as_deref(),
        query_error,
        refresh,
        refunds: &refunds,
        csrf: &session.csrf,
    };
    with_cookie(cookie, Html(html::order(&page)))
}

/// The shop refunds a paid order in full (the demo's merchant side; a real shop
/// would check who asks). The refund number is derived from the order, so pressing
/// twice asks for the same refund, which the platform answers once.
pub(crate) async fn refund(
    State(d): State<Demo>,
    Path(trade_no): Path<String>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if d.checked_session(&headers, &f.csrf).is_none() {
        return error_page(StatusCode::FORBIDDEN, "Please try again", "The form was stale; reload the shop.");
    }
    let Some(order) = d.store.order(&trade_no) else {
        return error_page(StatusCode::NOT_FOUND, "No such order", "This shop did not create that order.");
    };
    let req = opengate_sdk::refund(&format!("{trade_no}-R1"), &order.amount);
    match d.og.refund(&trade_no, &req).await {
        Ok(r) => {
            d.store.refund_asked(&trade_no);
            println!("demo-partner: refund {} of {}: {}", r.refund_no, trade_no, r.status);
            Redirect::to(&format!("/orders/{trade_no}")).into_response()
        }
        Err(e) => error_page(StatusCode::BAD_GATEWAY, "Could not refund the order", &e.to_string()),
    }
}

/// The platform's notification: verified (signature, timestamp, id) by the SDK,
/// stored once per id, answered 200 so the platform stops retrying.
pub(crate) async fn notify(State(d): State<Demo>, headers: HeaderMap, body: Bytes) -> Response {
    match d.verifier.verify_event(&headers, &body) {
        Ok(Event::Refund(n)) => {
            let (id, refund_no, status) = (n.id.clone(), n.data.refund.refund_no.clone(), n.data.refund.status.clone());
            let fresh = d.store.record_refund(n, now_secs());
            println!(
                "demo-partner: refund notification {id} for {refund_no}: {status} ({})",
                if fresh { "stored" } else { "repeat, already stored" }
            );
            (StatusCode::OK, "OK").into_response()
        }
        Ok(Event::Payment(n)) => {
            let (id, trade_no, status) = (n.id.clone(), n.data.trade_no.clone(), n.data.status.clone());
            let fresh = d.store.record(n, now_secs());
            println!(
                "demo-partner: notification {id} for {trade_no}: {status} ({})",
                if fresh { "stored" } else { "repeat, already stored" }
            );
            (StatusCode::OK, "OK").into_response()
        }
        Err(e) => {
            println!("demo-partner: refused a notification: {e}");
            (StatusCode::BAD_REQUEST, format!("refused: {e}")).into_response()
        }
    }
}
