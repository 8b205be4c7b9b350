//! Serves the built H5 app under `/h5/`, with `index.html` for client-side routes,
//! and the security headers every `/h5/*` answer carries (ADR 0010):
//! a strict Content-Security-Policy whose only inline script is allowed by its
//! SHA-256 (computed from the built `index.html` at start), framing forbidden
//! (clickjacking on consent and pay pages), no sniffing, no referrer.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};

use crate::state::AppState;

/// Where Trunk builds the extra bundle (ADR 0017), inside the H5's directory.
pub const EXTRA_DIR: &str = "extra";

/// Whether a client-side route (the path below `/h5`) is a page of the extra bundle
/// (ADR 0017: the status page, authorized apps, account, payment history, the
/// developer console); `Route::is_extra` in the H5 says the same. The server answers
/// these with the extra bundle's page, every other route with the first-load page.
fn is_extra_page(path: &str) -> bool {
    let path = path.strip_prefix("/h5").unwrap_or(path);
    let path = if path.len() > 1 { path.strip_suffix('/').unwrap_or(path) } else { path };
    matches!(path, "" | "/" | "/apps" | "/account" | "/account/payments" | "/console") || path.starts_with("/console/")
}

pub fn router(dir: &Path, https: bool) -> Router<AppState> {
    let base = Router::new().route("/", get(|| async { Redirect::temporary("/h5/") }));
    let index = dir.join("index.html");
    let extra_index = dir.join(EXTRA_DIR).join("index.html");
    let html = std::fs::read_to_string(&index).ok();
    let extra_html = std::fs::read_to_string(&extra_index).ok();
    let both = format!("{}{}", html.as_deref().unwrap_or(""), extra_html.as_deref().unwrap_or(""));
    let headers = Arc::new(SecurityHeaders::new(&both, https));
    let h5 = if html.is_some() {
        precompress(dir);
        precompress(&dir.join(EXTRA_DIR));
        let first = ServeFile::new(index).precompressed_gzip();
        let extra = extra_html.is_some().then(|| ServeFile::new(extra_index).precompressed_gzip());
        // Not a file of the build: a client-side route, answered with its bundle's page.
        let pages = Router::new().fallback(move |req: Request| page(first.clone(), extra.clone(), req));
        let serve = ServeDir::new(dir).precompressed_gzip().append_index_html_on_directories(false).fallback(pages);
        Router::new().nest_service("/h5", serve)
    } else {
        tracing::warn!(dir = %dir.display(), "the H5 app is not built; /h5/ will explain how to build it");
        Router::new().route("/h5", get(not_built)).route("/h5/", get(not_built)).route("/h5/{*rest}", get(not_built))
    };
    base.merge(h5.layer(from_fn_with_state(headers, add_headers)))
}

/// The page of a client-side route. Without the extra bundle its pages explain how
/// to build it: the first-load page would only send the browser back here, again
/// and again.
async fn page(first: ServeFile, extra: Option<ServeFile>, req: Request) -> Response {
    if !is_extra_page(req.uri().path()) {
        return first.oneshot(req).await.into_response();
    }
    match extra {
        Some(extra) => extra.oneshot(req).await.into_response(),
        None => not_built().await.into_response(),
    }
}

/// The headers of every `/h5/*` answer.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    fixed: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    pub fn new(index_html: &str, https: bool) -> SecurityHeaders {
        let mut fixed = vec![
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp(index_html)).unwrap_or(STRICTEST)),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
            ),
            (HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin")),
            (HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin")),
        ];
        if https {
            fixed.push((header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000")));
        }
        SecurityHeaders { fixed }
    }
}

/// Used only if the computed policy were not a valid header value: nothing runs.
const STRICTEST: HeaderValue = HeaderValue::from_static("default-src 'none'");

/// The policy: our own files only; the one inline module script Trunk writes is
/// allowed by its hash; WebAssembly may be compiled; partner logos are https images.
pub fn csp(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html)
        .map(|body| {
            let digest = Sha256::digest(body.as_bytes());
            format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
        })
        .collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' data: https:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The bodies of `<script>` elements without `src`, exactly as the browser hashes them.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || loop {
        let start = rest.find("<script")?;
        let after = &rest[start..];
        let open_end = after.find('>')?;
        let tag = &after[..open_end];
        let body_start = &after[open_end + 1..];
        let close = body_start.find("</script>")?;
        let body = &body_start[..close];
        rest = &body_start[close..];
        if !tag.contains(" src=") {
            return Some(body);
        }
    })
}

async fn add_headers(State(h): State<Arc<SecurityHeaders>>, req: Request, next: Next) -> Response {
    let hashed_asset = is_hashed_asset(req.uri().path());
    let mut resp = next.run(req).await;
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = resp.headers_mut();
    for (k, v) in &h.fixed {
        headers.insert(k.clone(), v.clone());
    }
    // Pages must be revalidated (a new build changes the script names and the policy);
    // Trunk's file names carry a content hash, so those never change.
    let cache = if is_html || !hashed_asset { "no-cache" } else { "public, max-age=31536000, immutable" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    resp
}

/// `/h5/name-0123456789abcdef.ext` or `…_bg.wasm`: a file name with Trunk's hash, a
/// 64-bit number in hex without leading zeros (so sometimes fewer than 16 digits).
fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, h)| (8..=16).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Writes `name.gz` beside every text or wasm file of the build that lacks a fresh
/// one, so browsers download the compressed bytes and the server never compresses
/// per request. Written to a temporary name and renamed: nodes that start together
/// on one build directory never see half a file.
fn precompress(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "html" | "js" | "wasm" | "css" | "svg" | "json") {
            continue;
        }
        let gz = path.with_extension(format!("{ext}.gz"));
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if matches!((modified(&path), modified(&gz)), (Some(src), Some(z)) if z >= src) {
            continue;
        }
        if let Err(e) = gzip_file(&path, &gz) {
            tracing::warn!(file = %path.display(), error = %e, "cannot write a gzip copy; the file is served uncompressed");
        }
    }
}

/// Zopfli writes ordinary gzip (every browser reads it) about 5 % smaller than
/// `gzip -9`; it is slow (seconds for the wasm), which is paid once per build since
/// a fresh copy is kept.
fn gzip_file(src: &Path, gz: &Path) -> std::io::Result<()> {
    let data = std::fs::read(src)?;
    let mut out = Vec::with_capacity(data.len() / 3);
    zopfli::compress(zopfli::Options::default(), zopfli::Format::Gzip, data.as_slice(), &mut out)?;
    let tmp = gz.with_extension(format!("tmp{}", rand::random::<u64>()));
    std::fs::write(&tmp, out)?;
    std::fs::rename(&tmp, gz)
}

async fn not_built() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Html(
            "<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>\
             <title>OpenGate</title><p>The H5 app is not built. Run <code>source scripts/lib.sh &amp;&amp; build_h5</code> \
             in the repository (the README's run command does it; it builds both bundles), then restart the server.</p>",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = "<script type=\"module\">a()</script><script src=\"/x.js\"></script><script>b</script>";
        let bodies: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(bodies, vec!["a()", "b"]);
        // printf 'a()' | openssl dgst -sha256 -binary | base64
        let want = "script-src 'self' 'wasm-unsafe-eval' 'sha256-qVpDBgj7bpq5hMAcGp3AOc79J3Y1Z4HvySTwKrWDoy4=' \
                    'sha256-PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0=';";
        assert!(csp(html).contains(want), "{}", csp(html));
        assert!(csp("").starts_with("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; "));
    }

    #[test]
    fn extra_pages_by_path() {
        for p in ["/", "", "/h5/", "/apps", "/account/", "/account/payments", "/console", "/console/app_1/orders/o"] {
            assert!(is_extra_page(p), "{p}");
        }
        for p in ["/login", "/authorize", "/pay/ord_1", "/error", "/accounts", "/consoles", "/no/such/page"] {
            assert!(!is_extra_page(p), "{p}");
        }
    }

    #[test]
    fn recognises_trunk_hashed_names() {
        assert!(is_hashed_asset("/h5/h5-frontend-6080d3a75cf6802c_bg.wasm"));
        assert!(is_hashed_asset("/h5/h5-frontend-6080d3a75cf6802c.js"));
        assert!(is_hashed_asset("/h5/style-c1dd03a9c64b33c1.css"));
        assert!(is_hashed_asset("/h5/h5-frontend-4a220b1da609a6.js"), "leading zeros are dropped");
        assert!(!is_hashed_asset("/h5/pay/ord_123"));
        assert!(!is_hashed_asset("/h5/"));
    }
}
