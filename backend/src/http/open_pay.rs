//! The partner's side of payments (SPEC §6, §13): `/open/v1/pay/orders*` and
//! `/open/v1/pay/refunds/*`, signed, in the SPEC envelope. Every call needs permission `pay` (else U0076).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use opengate_shared::ErrorCode;

use super::error::{ok, ApiError};
use crate::auth::PartnerCtx;
use crate::pay::{self, orders, refund, statement, PayError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open/v1/pay/orders", post(create))
        .route("/open/v1/pay/orders/{trade_no}", get(query))
        .route("/open/v1/pay/orders/{trade_no}/notify", post(resend))
        .route("/open/v1/pay/orders/{trade_no}/close", post(close))
        .route("/open/v1/pay/orders/{trade_no}/refunds", post(create_refund).get(order_refunds))
        .route("/open/v1/pay/refunds/{refund_no}", get(one_refund))
        .route("/open/v1/pay/refunds/{refund_no}/notify", post(resend_refund))
        .route("/open/v1/pay/statements", get(statement))
}

impl From<PayError> for ApiError {
    fn from(e: PayError) -> ApiError {
        let msg = e.to_string();
        match e {
            PayError::Invalid(m) => ApiError::param(m),
            PayError::NoPermission => ApiError::new(ErrorCode::U0076, msg),
            PayError::Conflict(_) | PayError::RefundConflict(_) => ApiError::new(ErrorCode::U0301, msg),
            PayError::RefundNotFound => ApiError::new(ErrorCode::U0303, msg),
            PayError::AlreadyPaid => ApiError::new(ErrorCode::U0302, msg),
            PayError::NotFound => ApiError::new(ErrorCode::U0303, "order not found (no such trade_no in this app)"),
            PayError::BadState(m) => ApiError::new(ErrorCode::U0304, m),
            PayError::Internal(e) => ApiError::internal(e),
            // User-side refusals never reach the partner API; keep them honest anyway.
            other => ApiError::new(ErrorCode::U0304, other.to_string()),
        }
    }
}

/// `close` and `notify` take an empty body (SPEC §12); `{}` is tolerated.
fn empty_body(bytes: &[u8]) -> Result<(), ApiError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() || trimmed == b"{}" {
        return Ok(());
    }
    Err(ApiError::param("body: must be empty"))
}

async fn create(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let o = orders::create(&st, &ctx.app_id, &bytes).await?;
    Ok(ok(pay::view(&st, &o)))
}

async fn query(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Path(trade_no): Path<String>,
) -> Result<Response, ApiError> {
    let o = orders::latest(&st, &ctx.app_id, &trade_no).await?;
    Ok(ok(pay::view(&st, &o)))
}

async fn close(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Path(trade_no): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    empty_body(&bytes)?;
    let o = orders::close(&st, &ctx.app_id, &trade_no).await?;
    Ok(ok(pay::view(&st, &o)))
}

async fn resend(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Path(trade_no): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    empty_body(&bytes)?;
    let (id, kind) = orders::resend(&st, &ctx.app_id, &trade_no).await?;
    Ok(ok(serde_json::json!({"notification_id": id, "type": kind, "status": "queued"})))
}

async fn create_refund(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Path(trade_no): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let r = refund::create(&st, &ctx.app_id, &trade_no, &bytes).await?;
    Ok(ok(refund::view(&r)))
}

async fn order_refunds(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Path(trade_no): Path<String>,
) -> Result<Response, ApiError> {
    let rs = refund::of_order(&st, &ctx.app_id, &trade_no).await?;
    Ok(ok(rs.iter().map(refund::view).collect::<Vec<_>>()))
}

async fn one_refund(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Path(refund_no): Path<String>,
) -> Result<Response, ApiError> {
    let r = refund::one(&st, &ctx.app_id, &refund_no).await?;
    Ok(ok(refund::view(&r)))
}

/// `GET /open/v1/pay/statements?date=YYYY-MM-DD`: CSV, not the envelope (errors are).
/// `X-OG-Statement-Final: true` once the day is over and the file can no longer change.
async fn statement(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let mut date = None;
    for (k, v) in url::form_urlencoded::parse(q.as_deref().unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "date" if date.is_none() => date = Some(v.into_owned()),
            "date" => return Err(ApiError::param("date: give it once")),
            other => return Err(ApiError::param(format!("{other}: unknown parameter"))),
        }
    }
    let date = date.ok_or_else(|| ApiError::param("date: is required (YYYY-MM-DD, a UTC day)"))?;
    let (csv, last) = statement::daily(&st, &ctx.app_id, &date).await?;
    let mut resp = csv.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert("x-og-statement-final", HeaderValue::from_static(if last { "true" } else { "false" }));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"statement-{date}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

async fn resend_refund(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    Path(refund_no): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    empty_body(&bytes)?;
    let (id, kind) = refund::resend(&st, &ctx.app_id, &refund_no).await?;
    Ok(ok(serde_json::json!({"notification_id": id, "type": kind, "status": "queued"})))
}
