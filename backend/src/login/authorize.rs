//! `GET /oauth/authorize` checks (SPEC §5.1) and the H5 consent step (§5.2–5.3):
//! an authorize request is checked once, kept server-side, and answered with an
//! access code bound to app, redirect URI, user, scopes, device and PKCE challenge.

use opengate_shared::ids::{AccessKey, AppId, DeviceId};
use url::Url;

use super::{hash_secret, new_public_id, new_secret, prefix, LoginError, Result};
use super::{AUTH_REQUEST_TTL_MS, CODE_TTL_MS};
use crate::domain::scope::{is_pkce_challenge, Scope, ScopeSet};
use crate::domain::{AppStatus, Permission};
use crate::state::AppState;
use crate::storage::apps::{self, AppRow, UrlList};
use crate::storage::oauth::PublicId;
use crate::storage::{keys, oauth};

/// The query of `/oauth/authorize`, as received.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub device_id: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// OpenID Connect: echoed in the id_token (replay protection for the client).
    pub nonce: Option<String>,
    /// OpenID Connect: `none`, `login`, `consent` (OIDC Core §3.1.2.1).
    pub prompt: Option<String>,
    /// OpenID Connect: the oldest login (seconds) the partner accepts.
    pub max_age: Option<String>,
    /// OpenID Connect: accepted; not used yet.
    pub login_hint: Option<String>,
}

/// Where `/oauth/authorize` sends the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Checked: on to the H5 login/consent page with this request id.
    Consent(String),
    /// Checked, with `prompt=none`: answer it from the browser's session, no page.
    Silent(String),
    /// No trusted redirect URI yet: show the H5 error page, never redirect.
    ErrorPage { error: &'static str, description: String },
    /// The redirect URI is trusted: report the error to the partner there.
    ErrorRedirect(String),
}

/// `redirect_uri` with `pairs` appended to its query.
pub fn with_query(redirect_uri: &str, pairs: &[(&str, Option<&str>)]) -> String {
    match Url::parse(redirect_uri) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    if let Some(v) = v {
                        q.append_pair(k, v);
                    }
                }
            }
            u.to_string()
        }
        // Registered URIs are validated absolute URLs; this is unreachable in practice.
        Err(_) => redirect_uri.to_owned(),
    }
}

/// The app named by `client_id`: one of its enabled access keys, or an app id. An
/// access key has the shape of an app id too, so keys are tried first.
async fn resolve_client(st: &AppState, client_id: &str) -> Result<Option<AppRow>> {
    if AccessKey::parse(client_id).is_ok() {
        if let Some(k) = keys::get_key(&st.db.pool, client_id).await? {
            if !k.enabled {
                return Ok(None);
            }
            return Ok(apps::get_app(&st.db.pool, &k.app_id).await?);
        }
    }
    if AppId::parse(client_id).is_err() {
        return Ok(None);
    }
    Ok(apps::get_app(&st.db.pool, client_id).await?)
}

/// Scopes an app may ask for: `openid`, `profile`, `mobile` with `login`; `wallet`
/// also needs the `pay` permission (docs/API.md "Scopes").
pub async fn entitled_scopes(st: &AppState, app_id: &str) -> Result<ScopeSet> {
    let perms = apps::permissions(&st.db.pool, app_id).await?;
    let has = |p: Permission| perms.iter().any(|(n, s)| n == p.as_str() && s == "approved");
    let mut v = Vec::new();
    if has(Permission::Login) {
        v.extend([Scope::Profile, Scope::Mobile]);
    }
    if has(Permission::Pay) {
        v.push(Scope::Wallet);
    }
    Ok(ScopeSet::from_scopes(v))
}

fn page(error: &'static str, description: impl Into<String>) -> AuthorizeOutcome {
    AuthorizeOutcome::ErrorPage { error, description: description.into() }
}

/// Checks an authorize request in the order of SPEC §5.1 and stores it.
pub async fn start(st: &AppState, p: &AuthorizeParams) -> Result<AuthorizeOutcome> {
    let Some(client_id) = p.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return Ok(page("invalid_request", "client_id is missing: give the app id (or one of its access keys)"));
    };
    let Some(app) = resolve_client(st, client_id).await? else {
        return Ok(page("invalid_client", format!("no app is registered as client_id {client_id:?}")));
    };
    if AppStatus::from_db(app.status) != AppStatus::Active {
        return Ok(page("invalid_client", "this app is suspended; its operator must reactivate it"));
    }
    let Some(redirect_uri) = p.redirect_uri.as_deref().filter(|r| !r.is_empty()) else {
        return Ok(page("invalid_request", "redirect_uri is missing"));
    };
    let registered = apps::list_urls(&st.db.pool, UrlList::RedirectUris, &app.id).await?;
    if !registered.iter().any(|r| r == redirect_uri) {
        return Ok(page(
            "invalid_redirect_uri",
            "redirect_uri is not registered for this app (it must equal a registered URI exactly)",
        ));
    }
    // From here on the redirect URI is trusted: errors go back to the partner.
    let state = p.state.as_deref();
    let back = |error: &str, desc: &str| {
        AuthorizeOutcome::ErrorRedirect(with_query(
            redirect_uri,
            &[("error", Some(error)), ("error_description", Some(desc)), ("state", state)],
        ))
    };
    if p.response_type.as_deref() != Some("code") {
        return Ok(back("unsupported_response_type", "response_type must be code"));
    }
    if state.is_some_and(|s| s.len() > 512) {
        return Ok(back("invalid_request", "state must be at most 512 characters"));
    }
    let scopes = match ScopeSet::parse(p.scope.as_deref().unwrap_or("")) {
        Ok(s) => s,
        Err(e) => return Ok(back("invalid_scope", &e)),
    };
    let entitled = entitled_scopes(st, &app.id).await?;
    if let Some(s) = scopes.iter().find(|s| !entitled.contains(*s)) {
        return Ok(back("invalid_scope", &format!("this app is not entitled to scope {}", s.as_str())));
    }
    let device_id = match p.device_id.as_deref().filter(|d| !d.is_empty()) {
        Some(d) if DeviceId::parse(d).is_err() => {
            return Ok(back("invalid_request", "device_id must be 1..64 characters of [A-Za-z0-9._-]"))
        }
        other => other,
    };
    let challenge = match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
        (None, None) => None,
        (Some(c), Some("S256")) if is_pkce_challenge(c) => Some(c),
        (Some(_), Some("S256")) => {
            return Ok(back("invalid_request", "code_challenge must be 43 characters of base64url (S256)"))
        }
        (Some(_), None | Some("plain")) | (None, Some(_)) => {
            return Ok(back("invalid_request", "PKCE needs code_challenge with code_challenge_method=S256"))
        }
        (Some(_), Some(_)) => return Ok(back("invalid_request", "code_challenge_method must be S256")),
    };
    let nonce = p.nonce.as_deref().filter(|n| !n.is_empty());
    if nonce.is_some_and(|n| n.len() > 512) {
        return Ok(back("invalid_request", "nonce must be at most 512 characters"));
    }
    let prompt = match super::oidc_prompt::parse(p.prompt.as_deref(), p.max_age.as_deref()) {
        Ok(x) => x,
        Err(e) => return Ok(back("invalid_request", &e)),
    };
    let now = st.clock.now_ms();
    let req = oauth::AuthRequest {
        id: new_secret(prefix::AUTH_REQUEST),
        app_id: app.id,
        redirect_uri: redirect_uri.to_owned(),
        scope: scopes.to_string(),
        state: state.map(str::to_owned),
        device_id: device_id.map(str::to_owned),
        code_challenge: challenge.map(str::to_owned),
        nonce: nonce.map(str::to_owned),
        prompt: prompt.prompt,
        max_age: prompt.max_age,
        // An OpenID Connect request names `openid` itself (OIDC Core §3.1.2.1).
        oidc: p.scope.as_deref().unwrap_or("").split(' ').any(|s| s == "openid"),
        expires_at: now + AUTH_REQUEST_TTL_MS,
        used_at: None,
    };
    oauth::insert_auth_request(&st.db.pool, &req, now).await?;
    if super::oidc_prompt::is_silent(&req) {
        return Ok(AuthorizeOutcome::Silent(req.id));
    }
    Ok(AuthorizeOutcome::Consent(req.id))
}

/// Why a pending request cannot be answered any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dead {
    NotFound,
    Expired,
    Used,
}

/// A live authorize request with its app.
pub struct Pending {
    pub req: oauth::AuthRequest,
    pub app: AppRow,
    pub requested: ScopeSet,
}

pub async fn pending(st: &AppState, id: &str) -> Result<std::result::Result<Pending, Dead>> {
    if !id.starts_with(prefix::AUTH_REQUEST) || id.len() > 64 {
        return Ok(Err(Dead::NotFound));
    }
    let Some(req) = oauth::get_auth_request(&st.db.pool, id).await? else { return Ok(Err(Dead::NotFound)) };
    if req.used_at.is_some() {
        return Ok(Err(Dead::Used));
    }
    if req.expires_at <= st.clock.now_ms() {
        return Ok(Err(Dead::Expired));
    }
    let Some(app) = apps::get_app(&st.db.pool, &req.app_id).await? else { return Ok(Err(Dead::NotFound)) };
    if AppStatus::from_db(app.status) != AppStatus::Active {
        return Ok(Err(Dead::NotFound));
    }
    let requested = ScopeSet::parse(&req.scope).map_err(|e| LoginError::Internal(anyhow::anyhow!(e)))?;
    Ok(Ok(Pending { req, app, requested }))
}

/// True when the user already granted this app every requested scope (SPEC §12).
pub async fn already_granted(st: &AppState, p: &Pending, user_id: &str) -> Result<bool> {
    let Some(granted) = oauth::grant_scope(&st.db.pool, user_id, &p.app.id).await? else { return Ok(false) };
    let granted = ScopeSet::parse(&granted).map_err(|e| LoginError::Internal(anyhow::anyhow!(e)))?;
    Ok(p.requested.is_subset_of(&granted))
}

/// The user's answer on the consent page.
pub enum Decision<'a> {
    Deny,
    Approve { scopes: ScopeSet, h5_device_id: Option<&'a str> },
}

/// Answers a pending request: the partner's redirect URI with `code` (or
/// `error=access_denied`), `state` and `device_id`. `Ok(Err(Dead::Used))` when the
/// request was answered already (double submit). `auth_time` (unix ms) is when the
/// user logged in, for the id_token.
pub async fn decide(
    st: &AppState,
    p: &Pending,
    user_id: &str,
    auth_time: i64,
    decision: Decision<'_>,
) -> Result<std::result::Result<String, Dead>> {
    let now = st.clock.now_ms();
    let state = p.req.state.as_deref();
    let (scopes, h5_device) = match decision {
        Decision::Deny => {
            if !oauth::use_auth_request(&st.db.pool, &p.req.id, now).await? {
                return Ok(Err(Dead::Used));
            }
            let url = with_query(
                &p.req.redirect_uri,
                &[
                    ("error", Some("access_denied")),
                    ("error_description", Some("the user denied access")),
                    ("state", state),
                ],
            );
            return Ok(Ok(url));
        }
        Decision::Approve { scopes, h5_device_id } => (scopes, h5_device_id),
    };
    if !scopes.is_subset_of(&p.requested) {
        return Err(LoginError::InvalidScope("scopes: only requested scopes can be granted".into()));
    }
    let device_id = match (p.req.device_id.as_deref(), h5_device) {
        (Some(d), _) => d.to_owned(),
        (None, Some(d)) if DeviceId::parse(d).is_ok() => d.to_owned(),
        (None, _) => {
            return Err(LoginError::InvalidRequest(
                "device_id: the partner gave none, so the page must send 1..64 characters of [A-Za-z0-9._-]".into(),
            ))
        }
    };
    let code = new_secret(prefix::CODE);
    let row = oauth::Code {
        used_at: None,
        ids: None,
        code_hash: hash_secret(&code),
        app_id: p.app.id.clone(),
        user_id: user_id.to_owned(),
        redirect_uri: p.req.redirect_uri.clone(),
        scope: scopes.to_string(),
        device_id: device_id.clone(),
        code_challenge: p.req.code_challenge.clone(),
        expires_at: now + CODE_TTL_MS,
        nonce: p.req.nonce.clone(),
        auth_time: Some(auth_time),
        // The partner chose the device: its tokens are bound to it (SPEC §13 userinfo).
        device_bound: p.req.device_id.is_some(),
        oidc: p.req.oidc,
    };
    let mut w = st.db.begin_write().await?;
    let tx = &mut w.tx;
    // The first statement writes, so SQLite takes its write lock before any read.
    if !oauth::use_auth_request(&mut **tx, &p.req.id, now).await? {
        return Ok(Err(Dead::Used));
    }
    let granted = match oauth::grant_scope(&mut **tx, user_id, &p.app.id).await? {
        Some(old) => {
            let old = ScopeSet::parse(&old).map_err(|e| LoginError::Internal(anyhow::anyhow!(e)))?;
            ScopeSet::from_scopes(old.iter().chain(scopes.iter()))
        }
        None => scopes.clone(),
    };
    oauth::upsert_grant(&mut **tx, user_id, &p.app.id, &granted.to_string(), now).await?;
    let union = new_public_id(prefix::UNION_ID);
    oauth::ensure_public_id(tx, PublicId::Union, user_id, &p.app.company_id, &union, now).await?;
    let open = new_public_id(prefix::OPEN_ID);
    oauth::ensure_public_id(tx, PublicId::Open, user_id, &p.app.id, &open, now).await?;
    oauth::insert_code(&mut **tx, &row, now).await?;
    w.commit().await?;
    Ok(Ok(with_query(&p.req.redirect_uri, &[("code", Some(&code)), ("state", state), ("device_id", Some(&device_id))])))
}
