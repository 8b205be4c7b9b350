//! `POST /open/v1/joint-login` (SPEC §9): the partner server's push of its user,
//! with the partner's field names; answers `{"success":true,"data":"<H5 URL>"}`.
//! Errors are U0029 (parameter), U0076 (no permission) and U9999 (service) only.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use opengate_shared::ErrorCode;

use super::error::{ok, ApiError};
use crate::auth::PartnerCtx;
use crate::inbound::{joint, InboundError};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/open/v1/joint-login", post(joint_login))
}

impl From<InboundError> for ApiError {
    fn from(e: InboundError) -> ApiError {
        match e {
            InboundError::Invalid(m) | InboundError::NotFound(m) | InboundError::Conflict(m) => ApiError::param(m),
            InboundError::NoPermission => {
                ApiError::new(ErrorCode::U0076, "the app lacks permission joint_login; apply in the developer console")
            }
            InboundError::Db(e) => ApiError::internal(e),
            InboundError::Internal(e) => ApiError::internal(e),
        }
    }
}

async fn joint_login(
    State(st): State<AppState>,
    Extension(ctx): Extension<PartnerCtx>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let url = joint::create_link(&st, &ctx.app_id, &bytes).await?;
    Ok(ok(url))
}
