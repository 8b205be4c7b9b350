//! OpenID Connect endpoints (SPEC §13): `GET /.well-known/openid-configuration`
//! (Discovery 1.0), `GET /oauth/jwks` (RFC 7517) and `GET|POST /oauth/userinfo`
//! (OIDC Core §5.3, bearer tokens per RFC 6750).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::login::{oidc, LoginError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
}

async fn discovery(State(st): State<AppState>) -> Response {
    let iss = oidc::issuer(&st);
    Json(serde_json::json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/oauth/authorize"),
        "token_endpoint": format!("{iss}/oauth/token"),
        "userinfo_endpoint": format!("{iss}/oauth/userinfo"),
        "jwks_uri": format!("{iss}/oauth/jwks"),
        "revocation_endpoint": format!("{iss}/oauth/revoke"),
        "introspection_endpoint": format!("{iss}/oauth/introspect"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        // open_id differs per app and is not derivable across apps.
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "EdDSA"],
        "scopes_supported": ["openid", "profile", "mobile", "wallet"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "union_id", "nickname", "picture", "mobile"
        ],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "service_documentation": format!("{iss}/h5/"),
    }))
    .into_response()
}

async fn jwks(State(st): State<AppState>) -> Response {
    match st.oidc_keys.current(&st).await {
        Ok(ks) => {
            let body = ks.jwks(st.clock.now_ms());
            // Shorter than the publish delay, so relying parties see a new key before it signs.
            let max_age = (st.config.oidc_key_publish_secs / 2).clamp(0, 300);
            let cc = HeaderValue::from_str(&format!("public, max-age={max_age}"))
                .unwrap_or(HeaderValue::from_static("no-cache"));
            ([(header::CACHE_CONTROL, cc)], [(header::CONTENT_TYPE, "application/jwk-set+json")], Json(body))
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "JWKS unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "signing keys unavailable; retry").into_response()
        }
    }
}

/// RFC 6750 §3: 401 with `WWW-Authenticate: Bearer error=…`.
fn bearer_error(status: StatusCode, error: &'static str, description: &str) -> Response {
    let challenge = format!(
        "Bearer realm=\"OpenGate\", error=\"{error}\", error_description=\"{}\"",
        description.replace('"', "'")
    );
    let mut resp =
        (status, Json(serde_json::json!({"error": error, "error_description": description}))).into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// The token from `Authorization: Bearer` or (POST) a form body's `access_token`.
/// `Err(())` when both are given (RFC 6750 §2: one method only).
fn bearer(headers: &HeaderMap, body: &[u8]) -> Result<Option<String>, ()> {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_owned());
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let body_token = if is_form {
        url::form_urlencoded::parse(body).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
    } else {
        None
    };
    match (header_token, body_token) {
        (Some(_), Some(_)) => Err(()),
        (h, b) => Ok(h.or(b)),
    }
}

async fn userinfo(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let token = match bearer(&headers, &body) {
        Ok(t) => t,
        Err(()) => {
            return bearer_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "give the access token once: Authorization header or access_token, not both",
            )
        }
    };
    match oidc::userinfo(&st, token.as_deref()).await {
        Ok(v) => ([(header::CACHE_CONTROL, "no-store")], Json(v)).into_response(),
        Err(LoginError::Internal(e)) => {
            tracing::error!(error = %format!("{e:#}"), "userinfo failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(serde_json::json!({"error": "server_error"}))).into_response()
        }
        Err(LoginError::InsufficientScope(m)) => bearer_error(StatusCode::FORBIDDEN, "insufficient_scope", &m),
        Err(e) => bearer_error(StatusCode::UNAUTHORIZED, "invalid_token", &e.to_string()),
    }
}
