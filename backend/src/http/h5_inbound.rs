//! The two doors a partner's user comes in by (SPEC §9): `GET /h5/joint?t=…` (the
//! joint-login link) and `GET /h5/import?…` (a signed import link). Both end in a
//! redirect: to the target page with a fresh session, to the login page with the
//! account pre-filled, or to the H5 error page with a code. No page of ours runs
//! before the check, and the token never reaches the H5 app or a Referer.

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::h5api::{current, set_cookie};
use crate::inbound::joint::{self, Opened};
use crate::inbound::{import, InboundError};
use crate::login::session;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/h5/joint", get(open_joint)).route("/h5/import", get(open_import))
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn see_other(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        h.insert(header::LOCATION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    resp
}

fn error_page(code: &str, message: &str) -> Response {
    see_other(&format!("/h5/error?error={}&error_description={}", encode(code), encode(message)))
}

async fn land(st: &AppState, headers: &HeaderMap, opened: Result<Opened, InboundError>) -> Response {
    match opened {
        Ok(Opened::LoggedIn { user_id, target }) => {
            // A new session id for the new user; the browser's old session ends.
            if let Ok(Some(old)) = current(st, headers).await {
                let _ = session::destroy(st, &old).await;
            }
            match session::create(st, Some(&user_id)).await {
                Ok(cookie) => {
                    let mut resp = see_other(&target);
                    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(st, &cookie));
                    resp
                }
                Err(e) => {
                    tracing::error!(error = %e, "creating a session for a partner's user failed");
                    error_page("server_error", "Something went wrong on our side; try again in a moment.")
                }
            }
        }
        Ok(Opened::LoginRequired { account, target }) => {
            // Whoever this browser was logged in as, it is not (yet) this user: the
            // login page must ask, not carry the old session on to the target.
            if let Ok(Some(old)) = current(st, headers).await {
                let _ = session::destroy(st, &old).await;
            }
            see_other(&format!("/h5/login?account={}&next={}", encode(&account), encode(&target)))
        }
        Ok(Opened::Refused { code, message }) => error_page(code, message),
        Err(e) => {
            tracing::error!(error = %e, "opening a partner's link failed");
            error_page("server_error", "Something went wrong on our side; try again in a moment.")
        }
    }
}

async fn open_joint(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let token = url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "t").map(|(_, v)| v.into_owned());
    let token = token.unwrap_or_default();
    let opened = joint::open_link(&st, &token).await;
    land(&st, &headers, opened).await
}

async fn open_import(State(st): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let opened = import::open_import(&st, q.as_deref().unwrap_or("")).await;
    land(&st, &headers, opened).await
}
