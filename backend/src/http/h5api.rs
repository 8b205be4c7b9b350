//! `/api/h5/*`: what the H5 pages call (SPEC §7). Session cookie (HttpOnly,
//! SameSite=Lax, Secure over HTTPS); every POST must carry the session's CSRF token
//! in `X-CSRF-Token`. Errors are `shared::h5api::H5Error` JSON.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use opengate_shared::h5api::{
    AuthorizeView, ConsentRequest, GrantView, H5Error, LoginRequest, RedirectResponse, RevokeResponse, ScopeItem,
    CSRF_HEADER, SESSION_COOKIE,
};

use crate::domain::scope::{Scope, ScopeSet};
use crate::login::authorize::{self, Dead, Decision};
use crate::login::oidc_prompt;
use crate::login::session::{self, LoginRefused, Session};
use crate::login::LoginError;
use crate::state::AppState;
use crate::storage::oauth;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/h5/session", get(get_session))
        .route("/api/h5/login", post(login))
        .route("/api/h5/logout", post(logout))
        .route("/api/h5/authorize/{id}", get(view_request).post(answer_request))
        .route("/api/h5/grants", get(list_grants))
        .route("/api/h5/grants/{app_id}/revoke", post(revoke_grant))
}

/// An `/api/h5` failure.
#[derive(Debug)]
pub struct H5ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    tries_left: Option<u32>,
    retry_at: Option<i64>,
}

impl H5ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> H5ApiError {
        H5ApiError { status, code, message: message.into(), tries_left: None, retry_at: None }
    }

    /// Adds how many tries are left (`wrong_pin`).
    pub(crate) fn with_tries_left(mut self, n: u32) -> H5ApiError {
        self.tries_left = Some(n);
        self
    }

    /// Adds when (unix ms) the user may try again (`retry_at`, unix seconds).
    pub(crate) fn with_retry_at(mut self, until_ms: i64) -> H5ApiError {
        self.retry_at = Some(until_ms.div_euclid(1000));
        self
    }

    pub(crate) fn login_required() -> H5ApiError {
        H5ApiError::new(StatusCode::UNAUTHORIZED, "login_required", "please log in first")
    }

    fn dead(d: Dead) -> H5ApiError {
        match d {
            Dead::NotFound => H5ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "this login link is not valid; go back to the app and start again",
            ),
            Dead::Expired => H5ApiError::new(
                StatusCode::GONE,
                "expired",
                "this login link has expired; go back to the app and start again",
            ),
            Dead::Used => H5ApiError::new(
                StatusCode::GONE,
                "used",
                "this login link was already used; go back to the app and start again",
            ),
        }
    }
}

impl From<LoginError> for H5ApiError {
    fn from(e: LoginError) -> H5ApiError {
        match e {
            LoginError::InvalidScope(m) => H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_scope", m),
            LoginError::InvalidRequest(m) => H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", m),
            LoginError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "H5 request failed");
                H5ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong; try again")
            }
            other => H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", other.to_string()),
        }
    }
}

impl From<sqlx::Error> for H5ApiError {
    fn from(e: sqlx::Error) -> H5ApiError {
        LoginError::from(e).into()
    }
}

impl IntoResponse for H5ApiError {
    fn into_response(self) -> Response {
        let body = H5Error {
            error: self.code.to_owned(),
            message: self.message,
            tries_left: self.tries_left,
            retry_at: self.retry_at,
        };
        (self.status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
    }
}

pub(crate) type H5Result<T> = Result<T, H5ApiError>;

pub(crate) fn no_store<T: serde::Serialize>(v: T) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(v)).into_response()
}

/// The value of our session cookie, if the browser sent one.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == SESSION_COOKIE).then(|| v.to_owned())
    })
}

pub(crate) fn set_cookie(st: &AppState, value: &str) -> HeaderValue {
    let secure = if st.config.https() { "; Secure" } else { "" };
    let v = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        st.config.session_ttl_secs
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("og_session=; Path=/"))
}

pub(crate) async fn current(st: &AppState, headers: &HeaderMap) -> H5Result<Option<Session>> {
    match session_cookie(headers) {
        Some(c) => Ok(session::load(st, &c).await?),
        None => Ok(None),
    }
}

/// The session of a state-changing call, after its CSRF check.
pub(crate) async fn checked(st: &AppState, headers: &HeaderMap) -> H5Result<Session> {
    let csrf_refused =
        || H5ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or stale CSRF token: reload the page and try again");
    let s = current(st, headers).await?.ok_or_else(csrf_refused)?;
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::crypto::constant_eq(sent.as_bytes(), s.csrf_token.as_bytes()) {
        return Err(csrf_refused());
    }
    Ok(s)
}

pub(crate) fn user_of(s: Option<Session>) -> H5Result<(Session, String)> {
    let s = s.ok_or_else(H5ApiError::login_required)?;
    let uid = s.user_id.clone().ok_or_else(H5ApiError::login_required)?;
    Ok((s, uid))
}

/// JSON body of at most 16 KiB into `T`, or `invalid_request` naming the problem.
pub(crate) async fn json_body<T: serde::de::DeserializeOwned>(req: Request) -> H5Result<T> {
    let bytes = axum::body::to_bytes(req.into_body(), 16 * 1024)
        .await
        .map_err(|_| H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", "body too large (16 KiB at most)"))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("body: {e}")))
}

/// Starts a session (anonymous when `user_id` is None) and answers with its info and cookie.
async fn new_session(st: &AppState, user_id: Option<&str>) -> H5Result<Response> {
    let cookie = session::create(st, user_id).await?;
    let s = session::load(st, &cookie)
        .await?
        .ok_or_else(|| H5ApiError::from(LoginError::Internal(anyhow::anyhow!("new session not found"))))?;
    let mut resp = no_store(s.info);
    resp.headers_mut().insert(header::SET_COOKIE, set_cookie(st, &cookie));
    Ok(resp)
}

async fn get_session(State(st): State<AppState>, headers: HeaderMap) -> H5Result<Response> {
    if let Some(s) = current(&st, &headers).await? {
        return Ok(no_store(s.info));
    }
    new_session(&st, None).await
}

async fn login(State(st): State<AppState>, req: Request) -> H5Result<Response> {
    let headers = req.headers().clone();
    let old = checked(&st, &headers).await?;
    let body: LoginRequest = json_body(req).await?;
    let user_id = match session::check_password(&st, &body.account, &body.password).await? {
        Ok(id) => id,
        Err(LoginRefused::BadCredentials) => {
            return Err(H5ApiError::new(StatusCode::UNAUTHORIZED, "bad_credentials", "wrong account or password"))
        }
        Err(LoginRefused::Locked(until)) => {
            let mins = ((until - st.clock.now_ms()) / 60_000).max(1);
            let mut resp = H5ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                format!("too many failed logins; try again in {mins} minutes"),
            )
            .with_retry_at(until)
            .into_response();
            if let Ok(v) = HeaderValue::from_str(&(mins * 60).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(resp);
        }
    };
    // A new session id on login: a planted cookie cannot ride along (session fixation).
    session::destroy(&st, &old).await?;
    new_session(&st, Some(&user_id)).await
}

async fn logout(State(st): State<AppState>, headers: HeaderMap) -> H5Result<Response> {
    let old = checked(&st, &headers).await?;
    session::destroy(&st, &old).await?;
    new_session(&st, None).await
}

fn scope_items(s: &ScopeSet) -> Vec<ScopeItem> {
    s.iter().map(|sc| ScopeItem { scope: sc.as_str().to_owned(), required: sc == Scope::OpenId }).collect()
}

#[derive(serde::Deserialize)]
struct ViewQuery {
    device_id: Option<String>,
}

async fn view_request(
    State(st): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ViewQuery>,
    headers: HeaderMap,
) -> H5Result<Response> {
    let (session, user_id) = user_of(current(&st, &headers).await?)?;
    let p = authorize::pending(&st, &id).await?.map_err(H5ApiError::dead)?;
    fresh_login(&st, &p, &session).await?;
    let mut view = AuthorizeView {
        app_id: p.app.id.clone(),
        app_name: p.app.name.clone(),
        logo_url: p.app.logo_url.clone(),
        scopes: scope_items(&p.requested),
        needs_device_id: p.req.device_id.is_none(),
        redirect: None,
    };
    // Already granted everything asked: no second consent screen (SPEC §12). The device
    // is the partner's, else the page's own (sent as `?device_id=`).
    let device_known = p.req.device_id.is_some() || q.device_id.is_some();
    if device_known && !oidc_prompt::consent_forced(&p.req) && authorize::already_granted(&st, &p, &user_id).await? {
        let decision = Decision::Approve { scopes: p.requested.clone(), h5_device_id: q.device_id.as_deref() };
        let redirect = authorize::decide(&st, &p, &user_id, session.login_at, decision).await?;
        view.redirect = Some(redirect.map_err(H5ApiError::dead)?);
    }
    Ok(no_store(view))
}

async fn answer_request(State(st): State<AppState>, Path(id): Path<String>, req: Request) -> H5Result<Response> {
    let headers = req.headers().clone();
    let s = checked(&st, &headers).await?;
    let (session, user_id) = user_of(Some(s))?;
    let body: ConsentRequest = json_body(req).await?;
    let p = authorize::pending(&st, &id).await?.map_err(H5ApiError::dead)?;
    fresh_login(&st, &p, &session).await?;
    let decision = if body.approve {
        let mut v = Vec::new();
        for name in &body.scopes {
            v.push(Scope::parse(name).ok_or_else(|| {
                H5ApiError::new(StatusCode::BAD_REQUEST, "invalid_scope", format!("scopes: unknown scope {name:?}"))
            })?);
        }
        Decision::Approve { scopes: ScopeSet::from_scopes(v), h5_device_id: body.device_id.as_deref() }
    } else {
        Decision::Deny
    };
    let redirect = authorize::decide(&st, &p, &user_id, session.login_at, decision).await?.map_err(H5ApiError::dead)?;
    Ok(no_store(RedirectResponse { redirect }))
}

/// `prompt=login` or `max_age` (OIDC): a session too old for the request ends, and the
/// page is told `login_required`, so the H5 shows its login page and comes back.
async fn fresh_login(st: &AppState, p: &authorize::Pending, s: &Session) -> H5Result<()> {
    if oidc_prompt::login_fresh(&p.req, s.login_at, st.clock.now_ms()) {
        return Ok(());
    }
    session::destroy(st, s).await?;
    Err(H5ApiError::login_required())
}

async fn list_grants(State(st): State<AppState>, headers: HeaderMap) -> H5Result<Response> {
    let (_, user_id) = user_of(current(&st, &headers).await?)?;
    let rows = oauth::grants_of(&st.db.pool, &user_id).await?;
    let list: Vec<GrantView> = rows
        .into_iter()
        .map(|(app_id, app_name, logo_url, scope, created)| GrantView {
            app_id,
            app_name,
            logo_url,
            scopes: scope.split(' ').map(str::to_owned).collect(),
            granted_at: created.div_euclid(1000),
        })
        .collect();
    Ok(no_store(list))
}

/// Revokes every token of (user, app) at once, and forgets the consent (SPEC §5.8).
async fn revoke_grant(
    State(st): State<AppState>,
    Path(app_id): Path<String>,
    headers: HeaderMap,
) -> H5Result<Response> {
    let s = checked(&st, &headers).await?;
    let (_, user_id) = user_of(Some(s))?;
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    let families = oauth::revoke_families_of(&mut w.tx, &user_id, &app_id, now).await?;
    let had_grant = oauth::delete_grant(&mut *w.tx, &user_id, &app_id).await?;
    w.commit().await?;
    if families == 0 && !had_grant {
        return Err(H5ApiError::new(StatusCode::NOT_FOUND, "not_found", "this app is not authorized"));
    }
    Ok(no_store(RevokeResponse { revoked: true }))
}
