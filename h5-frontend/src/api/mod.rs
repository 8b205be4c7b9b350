//! Calls to the platform. The H5 talks only to its own origin.

use gloo_net::http::Request;

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub live: bool,
    pub ready: bool,
}

async fn status_of(path: &str) -> Result<bool, String> {
    let resp = Request::get(path).send().await.map_err(|e| e.to_string())?;
    Ok(resp.ok())
}

/// Liveness and readiness of the platform.
pub async fn health() -> Result<Health, String> {
    let live = status_of("/healthz").await?;
    let ready = status_of("/readyz").await?;
    Ok(Health { live, ready })
}
