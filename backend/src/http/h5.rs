//! Serves the built H5 app under `/h5/`, with `index.html` for client-side routes.

use std::path::Path;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

use crate::state::AppState;

pub fn router(dir: &Path) -> Router<AppState> {
    let base = Router::new().route("/", get(|| async { Redirect::temporary("/h5/") }));
    let index = dir.join("index.html");
    if index.is_file() {
        let serve = ServeDir::new(dir).precompressed_gzip().fallback(ServeFile::new(index));
        base.nest_service("/h5", serve)
    } else {
        tracing::warn!(dir = %dir.display(), "the H5 app is not built; /h5/ will explain how to build it");
        base.route("/h5", get(not_built)).route("/h5/", get(not_built)).route("/h5/{*rest}", get(not_built))
    }
}

async fn not_built() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>\
             <title>OpenGate</title><p>The H5 app is not built. Run <code>trunk build --release</code> \
             in the repository (the README's run command does it), then restart the server.</p>",
        ),
    )
}
