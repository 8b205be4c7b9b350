//! The user lookup of SPEC §9 in JSON:API 1.1 (`application/vnd.api+json`):
//! `GET /open/v1/users?filter[cellPhone]=…`, `…?filter[userName]=…` (collections,
//! empty when nothing matches) and `GET /open/v1/users/{id}`. Signed like every
//! `/open/v1` call, permission `user_lookup`. Every error on these paths, including
//! authentication, is a JSON:API error object whose `code` is the §10 code.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use opengate_shared::ErrorCode;
use serde_json::{json, Value};

use super::error::ApiError;
use super::telemetry::current_request_id;
use crate::auth::PartnerCtx;
use crate::inbound::adapter::is_mobile;
use crate::state::AppState;
use crate::storage::users::{self, LookupRow};
use crate::storage::{apps, oauth};

pub const MEDIA_TYPE: &str = "application/vnd.api+json";

pub fn router() -> Router<AppState> {
    Router::new().route("/open/v1/users", get(search)).route("/open/v1/users/{id}", get(one))
}

pub fn is_jsonapi_path(path: &str) -> bool {
    path == "/open/v1/users" || path.starts_with("/open/v1/users/")
}

fn title(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::U0029 => "Parameter error",
        ErrorCode::U0076 => "No permission",
        ErrorCode::U0404 => "Not found",
        ErrorCode::U0401 => "Too many requests",
        ErrorCode::U9999 => "Service error",
        _ => "Authentication failed",
    }
}

/// An [`ApiError`] as a JSON:API error document (logged like any other first).
pub fn error_response(e: ApiError) -> Response {
    if let Some(src) = &e.source {
        tracing::error!(error = %format!("{src:#}"), code = %e.code, "request failed");
    }
    let status = StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({
        "jsonapi": {"version": "1.1"},
        "errors": [{
            "id": current_request_id(),
            "status": status.as_u16().to_string(),
            "code": e.code.to_string(),
            "title": title(e.code),
            "detail": e.msg,
        }]
    });
    document(status, body)
}

fn document(status: StatusCode, body: Value) -> Response {
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    resp
}

struct JsonApiError(ApiError);

impl From<ApiError> for JsonApiError {
    fn from(e: ApiError) -> Self {
        JsonApiError(e)
    }
}

impl From<sqlx::Error> for JsonApiError {
    fn from(e: sqlx::Error) -> Self {
        JsonApiError(ApiError::internal(e))
    }
}

impl IntoResponse for JsonApiError {
    fn into_response(self) -> Response {
        error_response(self.0)
    }
}

type JResult = Result<Response, JsonApiError>;

fn base(st: &AppState) -> &str {
    st.config.public_base_url.trim_end_matches('/')
}

async fn require_permission(st: &AppState, app_id: &str) -> Result<(), JsonApiError> {
    if !apps::has_permission(&st.db.pool, app_id, "user_lookup").await? {
        return Err(ApiError::new(
            ErrorCode::U0076,
            "the app lacks permission user_lookup; apply in the developer console",
        )
        .into());
    }
    Ok(())
}

/// One `users` resource. `openId` is the caller's for this user (made on first sight,
/// as at first login or payment, so the partner can match them later).
async fn resource(st: &AppState, app_id: &str, u: &LookupRow) -> Result<Value, JsonApiError> {
    let open_id = match oauth::ids_for(&st.db.pool, &u.id, app_id).await? {
        Some((open_id, _)) => open_id,
        None => crate::pay::confirm::payer_open_id(st, &u.id, app_id)
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!("making an open_id: {e}")))?,
    };
    let mut attributes = json!({
        "userName": u.username.clone().or_else(|| u.mobile.clone()).unwrap_or_else(|| u.id.clone()),
        "nickName": u.nickname,
        "status": if u.status == 0 { 0 } else { 1 },
        "createTime": u.created_at / 1000,
        "updateTime": u.updated_at / 1000,
        "openId": open_id,
    });
    if let (Some(m), Some(obj)) = (&u.mobile, attributes.as_object_mut()) {
        obj.insert("cellPhone".into(), Value::String(m.clone()));
    }
    Ok(json!({
        "type": "users",
        "id": u.id,
        "attributes": attributes,
        "links": {"self": format!("{}/open/v1/users/{}", base(st), u.id)},
    }))
}

async fn search(State(st): State<AppState>, Extension(ctx): Extension<PartnerCtx>, RawQuery(q): RawQuery) -> JResult {
    require_permission(&st, &ctx.app_id).await?;
    let raw = q.unwrap_or_default();
    let mut filter: Option<(String, String)> = None;
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        if !matches!(k.as_ref(), "filter[cellPhone]" | "filter[userName]") {
            return Err(ApiError::param(format!(
                "{k}: unknown parameter; filter by filter[cellPhone] or filter[userName]"
            ))
            .into());
        }
        if filter.replace((k.into_owned(), v.into_owned())).is_some() {
            return Err(ApiError::param("filter: give exactly one of filter[cellPhone] or filter[userName]").into());
        }
    }
    let Some((name, value)) = filter else {
        return Err(ApiError::param("filter: give filter[cellPhone] or filter[userName]").into());
    };
    let rows = if name == "filter[cellPhone]" {
        if !is_mobile(&value) {
            return Err(ApiError::param("filter[cellPhone]: must be 6..15 digits, optionally with a leading +").into());
        }
        users::lookup_by_mobile(&st.db.pool, &value).await?
    } else {
        if value.is_empty() || value.chars().count() > 64 {
            return Err(ApiError::param("filter[userName]: must have 1..64 characters").into());
        }
        users::lookup_by_username(&st.db.pool, &value).await?
    };
    let mut data = Vec::with_capacity(rows.len());
    for u in &rows {
        data.push(resource(&st, &ctx.app_id, u).await?);
    }
    let query = url::form_urlencoded::Serializer::new(String::new()).append_pair(&name, &value).finish();
    let self_link = format!("{}/open/v1/users?{query}", base(&st));
    Ok(document(StatusCode::OK, json!({"jsonapi": {"version": "1.1"}, "links": {"self": self_link}, "data": data})))
}

async fn one(State(st): State<AppState>, Extension(ctx): Extension<PartnerCtx>, Path(id): Path<String>) -> JResult {
    require_permission(&st, &ctx.app_id).await?;
    let found = if id.len() <= 64 { users::lookup_by_id(&st.db.pool, &id).await? } else { None };
    let Some(u) = found else {
        return Err(ApiError::new(ErrorCode::U0404, format!("no user {id}")).into());
    };
    let data = resource(&st, &ctx.app_id, &u).await?;
    Ok(document(
        StatusCode::OK,
        json!({"jsonapi": {"version": "1.1"}, "links": {"self": format!("{}/open/v1/users/{}", base(&st), u.id)}, "data": data}),
    ))
}
