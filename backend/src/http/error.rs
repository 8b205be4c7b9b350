//! The one error type of the HTTP layer. Its wire form is `shared`'s envelope; its
//! status comes from the SPEC §10 code. Internal errors are logged once, here, and
//! never sent.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use opengate_shared::{ApiEnvelope, ErrorCode};

use super::telemetry::current_request_id;

#[derive(Debug, thiserror::Error)]
#[error("{code}: {msg}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub msg: Cow<'static, str>,
    #[source]
    pub source: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(code: ErrorCode, msg: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError { code, msg: msg.into(), source: None }
    }

    /// U0029 naming the field: `"amount: must be positive"`.
    pub fn param(msg: impl Into<Cow<'static, str>>) -> ApiError {
        ApiError::new(ErrorCode::U0029, msg)
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> ApiError {
        ApiError {
            code: ErrorCode::U9999,
            msg: "internal error; retry later or contact the operator with the requestId".into(),
            source: Some(e.into()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(src) = &self.source {
            tracing::error!(error = %format!("{src:#}"), code = %self.code, "request failed");
        }
        let status = StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body: ApiEnvelope<()> = ApiEnvelope::err(self.code, self.msg, current_request_id());
        (status, Json(body)).into_response()
    }
}

/// A success envelope: `{"success":true,"data":…,"requestId":…}`.
pub fn ok<T: serde::Serialize>(data: T) -> Response {
    Json(ApiEnvelope::ok(data, current_request_id())).into_response()
}
