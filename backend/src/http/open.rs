//! `/open/v1/*` endpoints that belong to no other module. Requests arrive here
//! already authenticated (see `auth::partner`).

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use opengate_shared::error::PingData;

use super::error::ok;
use crate::auth::PartnerCtx;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/open/v1/ping", get(ping))
}

/// Lets partners check their signing: answers who the platform thinks they are.
async fn ping(State(st): State<AppState>, Extension(ctx): Extension<PartnerCtx>) -> Response {
    ok(PingData {
        app_id: ctx.app_id,
        access_key: ctx.access_key,
        client_ip: ctx.client_ip.to_string(),
        server_time: st.clock.now_secs(),
    })
}
