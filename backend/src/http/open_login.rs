//! The native, signed face of login (SPEC §5.4–5.10): `/open/v1/oauth/token`,
//! `/revoke`, `/introspect` and `/open/v1/user/info`, in the SPEC envelope.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use opengate_shared::ErrorCode;
use serde::Deserialize;

use super::error::{ok, ApiError};
use crate::auth::PartnerCtx;
use crate::login::{tokens, LoginError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open/v1/oauth/token", post(token))
        .route("/open/v1/oauth/revoke", post(revoke))
        .route("/open/v1/oauth/introspect", post(introspect))
        .route("/open/v1/user/info", get(user_info))
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> ApiError {
        match e {
            LoginError::InvalidRequest(m) | LoginError::InvalidScope(m) | LoginError::UnsupportedGrantType(m) => {
                ApiError::param(m)
            }
            LoginError::InvalidGrant(m) => ApiError::new(ErrorCode::U0201, format!("invalid_grant: {m}")),
            LoginError::InvalidToken(m) => ApiError::new(ErrorCode::U0202, m),
            LoginError::DeviceMismatch(m) => ApiError::new(ErrorCode::U0203, m),
            LoginError::InsufficientScope(m) => ApiError::new(ErrorCode::U0204, m),
            LoginError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// A JSON body into `T`; a problem is U0029 naming the field when serde can.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::param("body: a JSON object is required"));
    }
    serde_json::from_slice(bytes).map_err(|e| ApiError::param(format!("body: {e}")))
}

fn required<'a>(v: &'a Option<String>, field: &'static str) -> Result<&'a str, ApiError> {
    v.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| ApiError::param(format!("{field}: is required")))
}

#[derive(Deserialize)]
struct TokenBody {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

async fn token(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: TokenBody = body(&bytes)?;
    let set = match required(&b.grant_type, "grant_type")? {
        "authorization_code" => {
            let code = required(&b.code, "code")?;
            let redirect_uri = required(&b.redirect_uri, "redirect_uri")?;
            tokens::exchange_code(&st, &ctx.app_id, code, redirect_uri, b.code_verifier.as_deref()).await?
        }
        "refresh_token" => {
            let rt = required(&b.refresh_token, "refresh_token")?;
            tokens::refresh(&st, &ctx.app_id, rt, b.scope.as_deref()).await?
        }
        _ => return Err(ApiError::param("grant_type: must be authorization_code or refresh_token")),
    };
    Ok(ok(set))
}

#[derive(Deserialize)]
struct TokenOnly {
    token: Option<String>,
    #[allow(dead_code)]
    token_type_hint: Option<String>,
}

async fn revoke(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: TokenOnly = body(&bytes)?;
    tokens::revoke(&st, &ctx.app_id, required(&b.token, "token")?).await?;
    Ok(ok(serde_json::json!({"revoked": true})))
}

async fn introspect(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: TokenOnly = body(&bytes)?;
    Ok(ok(tokens::introspect(&st, &ctx.app_id, required(&b.token, "token")?).await?))
}

#[derive(Deserialize)]
struct InfoQuery {
    scope: Option<String>,
}

async fn user_info(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Query(q): Query<InfoQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let device = headers.get("x-og-device-id").and_then(|v| v.to_str().ok()).filter(|d| !d.is_empty());
    let info = tokens::user_info(&st, &ctx.app_id, bearer, device, q.scope.as_deref()).await?;
    Ok(ok(info))
}
