//! HTTP routes. Each module exports `router()`; [`app`] merges them and wraps them
//! in the layers every request goes through.

pub mod console;
pub mod error;
pub mod h5;
pub mod h5_inbound;
pub mod h5api;
pub mod h5pay;
pub mod health;
pub mod jsonapi;
pub mod oauth;
pub mod oidc;
pub mod open;
pub mod open_inbound;
pub mod open_login;
pub mod open_pay;
pub mod telemetry;

use axum::extract::Request;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::Router;
use opengate_shared::ErrorCode;

use crate::auth::partner::{is_open_api_path, require_signature};
use crate::state::AppState;
use error::ApiError;

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    // Install the metrics recorder before the first request is counted.
    let _ = telemetry::prometheus();
    let h5 = h5::router(&state.config.h5_dir, state.config.https());
    Router::new()
        .merge(health::router())
        .merge(open::router())
        .merge(open_login::router())
        .merge(oauth::router())
        .merge(oidc::router())
        .merge(h5api::router())
        .merge(h5pay::router())
        .merge(console::router())
        .merge(open_pay::router())
        .merge(open_inbound::router())
        .merge(jsonapi::router())
        .merge(h5_inbound::router())
        .route_layer(from_fn(telemetry::mark_route))
        .merge(h5)
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(from_fn_with_state(state.clone(), require_signature))
        .layer(from_fn(telemetry::telemetry))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .with_state(state)
}

async fn not_found(req: Request) -> Response {
    if is_open_api_path(req.uri().path()) {
        // Only reached by correctly signed requests: authentication runs first.
        let e = ApiError::new(ErrorCode::U0404, format!("no endpoint {} {}", req.method(), req.uri().path()));
        if jsonapi::is_jsonapi_path(req.uri().path()) {
            return jsonapi::error_response(e);
        }
        return ApiError::new(ErrorCode::U0404, format!("no endpoint {} {}", req.method(), req.uri().path()))
            .into_response();
    }
    (axum::http::StatusCode::NOT_FOUND, "not found").into_response()
}
