//! The standard OAuth 2.0 face of login (SPEC §5): `GET /oauth/authorize`,
//! `POST /oauth/token` (RFC 6749), `/oauth/revoke` (RFC 7009), `/oauth/introspect`
//! (RFC 7662) and the RFC 8414 metadata, so off-the-shelf client libraries work.
//! Client authentication: `client_secret_basic` or `client_secret_post`, with the
//! access key as client_id and the secret key as client_secret; IP bindings apply.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use secrecy::ExposeSecret;

use crate::auth::partner::lookup_key;
use crate::domain::ip;
use crate::login::authorize::{self, AuthorizeOutcome, AuthorizeParams};
use crate::login::{tokens, LoginError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize_get))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/introspect", post(introspect))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
}

/// `GET /oauth/authorize`: checks, then on to the H5 consent page; errors before the
/// redirect URI is trusted go to the H5 error page, never to the partner.
async fn authorize_get(State(st): State<AppState>, Query(p): Query<AuthorizeParams>, headers: HeaderMap) -> Response {
    match authorize::start(&st, &p).await {
        Ok(AuthorizeOutcome::Consent(id)) => Redirect::to(&format!("/h5/authorize?request={id}")).into_response(),
        Ok(AuthorizeOutcome::Silent(id)) => match silent(&st, &id, &headers).await {
            Ok(url) => Redirect::to(&url).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "authorize (prompt=none) failed");
                Redirect::to("/h5/error?error=server_error&error_description=try+again+later").into_response()
            }
        },
        Ok(AuthorizeOutcome::ErrorRedirect(url)) => Redirect::to(&url).into_response(),
        Ok(AuthorizeOutcome::ErrorPage { error, description }) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("error", error)
                .append_pair("error_description", &description)
                .finish();
            Redirect::to(&format!("/h5/error?{query}")).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "authorize failed");
            Redirect::to("/h5/error?error=server_error&error_description=try+again+later").into_response()
        }
    }
}

/// `prompt=none`: answered from the browser's H5 session cookie (sent with this
/// top-level navigation: SameSite=Lax).
async fn silent(st: &AppState, id: &str, headers: &HeaderMap) -> anyhow::Result<String> {
    let session =
        crate::http::h5api::current(st, headers).await.map_err(|_| anyhow::anyhow!("session lookup failed"))?;
    let user = session.as_ref().and_then(|s| s.user_id.as_deref().map(|u| (u, s.login_at)));
    Ok(crate::login::oidc_prompt::answer_silently(st, id, user).await?)
}

/// An RFC 6749 §5.2 error answer.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    basic_challenge: bool,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError { status, error, description: description.into(), basic_challenge: false }
    }

    fn request(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
}

impl From<LoginError> for OAuthError {
    fn from(e: LoginError) -> OAuthError {
        match e {
            LoginError::InvalidRequest(m) => OAuthError::request(m),
            LoginError::InvalidScope(m) => OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", m),
            LoginError::UnsupportedGrantType(m) => {
                OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", m)
            }
            LoginError::InvalidGrant(m) => OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", m),
            LoginError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "token endpoint failed");
                OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error; retry later")
            }
            other => OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", other.to_string()),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.error, "error_description": self.description});
        let mut resp = (self.status, no_store_headers(), Json(body)).into_response();
        if self.basic_challenge {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Basic realm=\"OpenGate\""));
        }
        resp
    }
}

fn no_store_headers() -> [(header::HeaderName, &'static str); 2] {
    [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")]
}

/// Form body, each parameter at most once (RFC 6749 §3.2).
fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, OAuthError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(OAuthError::request("the body must be application/x-www-form-urlencoded"));
    }
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.to_string()).is_some() {
            return Err(OAuthError::request(format!("parameter {k} is given more than once")));
        }
    }
    Ok(out)
}

/// Authenticates the client; returns its app id.
async fn client_auth(
    st: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<String, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let (id, secret, used_basic) = match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => return Err(OAuthError::request("use one client authentication method, not two")),
        (Some(b64), None) => {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
                .and_then(|r| String::from_utf8(r).ok())
                .ok_or_else(|| OAuthError::request("Authorization: Basic value is not base64 of id:secret"))?;
            let (i, s) =
                raw.split_once(':').ok_or_else(|| OAuthError::request("Authorization: Basic needs id:secret"))?;
            let dec =
                |x: &str| url::form_urlencoded::parse(format!("a={x}").as_bytes()).next().map(|(_, v)| v.to_string());
            (dec(i).unwrap_or_default(), dec(s).unwrap_or_default(), true)
        }
        (None, Some(s)) => (form.get("client_id").cloned().unwrap_or_default(), s.clone(), false),
        (None, None) => {
            let mut e = OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication required: HTTP Basic (access key : secret key) or client_id + client_secret",
            );
            e.basic_challenge = true;
            return Err(e);
        }
    };
    let refused = |used_basic: bool| {
        let mut e = OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown or disabled client, or wrong secret (client_id is an access key)",
        );
        e.basic_challenge = used_basic;
        e
    };
    if opengate_shared::ids::AccessKey::parse(&id).is_err() {
        return Err(refused(used_basic));
    }
    let key = lookup_key(st, &id).await.map_err(|_| refused(used_basic))?;
    if !crate::crypto::constant_eq(secret.as_bytes(), key.secret.expose_secret().as_bytes()) {
        return Err(refused(used_basic));
    }
    let client_ip = ip::client_ip(
        peer.ip(),
        headers.get(st.config.client_ip_header.as_str()).and_then(|v| v.to_str().ok()),
        &st.config.trusted_proxies,
    );
    if !key.allows(client_ip) {
        let mut e = OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            format!("client IP {client_ip} is not bound to this access key"),
        );
        e.basic_challenge = used_basic;
        return Err(e);
    }
    if form.get("client_id").is_some_and(|c| c != &id) {
        return Err(OAuthError::request("client_id does not match the authenticated client"));
    }
    Ok(key.app_id.clone())
}

/// The form body and the authenticated client's app id.
async fn authed_form(
    st: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(HashMap<String, String>, String), OAuthError> {
    let form = parse_form(headers, body)?;
    let app_id = client_auth(st, peer, headers, &form).await?;
    Ok((form, app_id))
}

fn need<'a>(form: &'a HashMap<String, String>, name: &str) -> Result<&'a str, OAuthError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::request(format!("{name} is missing")))
}

async fn token(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = async {
        let (form, app_id) = authed_form(&st, peer, &headers, &body).await?;
        let set = match need(&form, "grant_type")? {
            "authorization_code" => {
                let code = need(&form, "code")?;
                let redirect_uri = need(&form, "redirect_uri")?;
                let verifier = form.get("code_verifier").map(String::as_str);
                tokens::exchange_code(&st, &app_id, code, redirect_uri, verifier).await?
            }
            "refresh_token" => {
                let rt = need(&form, "refresh_token")?;
                tokens::refresh(&st, &app_id, rt, form.get("scope").map(String::as_str)).await?
            }
            other => {
                return Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    format!("grant_type {other:?} is not supported (authorization_code, refresh_token)"),
                ))
            }
        };
        Ok::<_, OAuthError>((no_store_headers(), Json(set)).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

async fn revoke(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = async {
        let (form, app_id) = authed_form(&st, peer, &headers, &body).await?;
        tokens::revoke(&st, &app_id, need(&form, "token")?).await?;
        Ok::<_, OAuthError>((StatusCode::OK, no_store_headers()).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

async fn introspect(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = async {
        let (form, app_id) = authed_form(&st, peer, &headers, &body).await?;
        let answer = tokens::introspect(&st, &app_id, need(&form, "token")?).await?;
        Ok::<_, OAuthError>((no_store_headers(), Json(answer)).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// RFC 8414 authorization server metadata.
async fn metadata(State(st): State<AppState>) -> Response {
    let base = st.config.public_base_url.trim_end_matches('/');
    Json(serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "introspection_endpoint": format!("{base}/oauth/introspect"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "scopes_supported": ["openid", "profile", "mobile", "wallet"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "service_documentation": format!("{base}/h5/"),
    }))
    .into_response()
}
