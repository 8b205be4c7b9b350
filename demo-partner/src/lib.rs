//! A runnable demo partner ("Demo Shop") built only on the partner SDK: it logs
//! users in with OpenGate (authorize URL with state + PKCE, code exchange,
//! `user/info`), sells one product (order → pay page → back to the shop), and
//! receives the platform's notifications at `/notify`, verified by the SDK and
//! stored idempotently; the order page says whether the notification or the query
//! API proved the payment. Everything lives in memory.
//!
//! `main.rs` is the command line; tests start [`router`] on a port of their own.

#![warn(missing_docs)]

mod html;
mod routes;
pub mod settings;
mod store;

use std::future::Future;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use opengate_sdk::{Client, NotificationVerifier};

pub use settings::Settings;

/// The demo shop's routes, ready to serve.
///
/// ```no_run
/// # async fn f(settings: opengate_demo_partner::Settings) -> Result<(), Box<dyn std::error::Error>> {
/// let listener = tokio::net::TcpListener::bind(settings.listen).await?;
/// let app = opengate_demo_partner::router(settings)?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
pub fn router(settings: Settings) -> Result<Router, String> {
    let og = Client::new(&settings.platform_url, &settings.access_key, &settings.secret_key)
        .map_err(|e| format!("partner client: {e}"))?;
    let verifier =
        NotificationVerifier::new(&settings.notify_secrets).map_err(|e| format!("notification verifier: {e}"))?;
    let demo = routes::Demo { og, verifier, settings: Arc::new(settings), store: Arc::default() };
    Ok(Router::new()
        .route("/", get(routes::home))
        .route("/login", get(routes::login))
        .route("/callback", get(routes::callback))
        .route("/logout", post(routes::logout))
        .route("/buy", post(routes::buy))
        .route("/orders/{trade_no}", get(routes::order))
        .route("/orders/{trade_no}/refund", post(routes::refund))
        .route("/notify", post(routes::notify))
        .with_state(demo))
}

/// Serves the demo shop on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let app = router(settings)?;
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(|e| format!("server: {e}"))
}
