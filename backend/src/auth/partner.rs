//! Signed partner requests (SPEC §4, §12). Runs before routing for every path under
//! `/open/v1`, so an unknown endpoint is only revealed to a correctly signed caller.
//! The checks run in the order the SPEC gives, each with its own error code.

use std::net::{IpAddr, SocketAddr};

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use opengate_shared::ids::{AccessKey, Nonce};
use opengate_shared::signing::{self, SigningInput};
use opengate_shared::ErrorCode;

use crate::auth::key_cache::CachedKey;
use crate::domain::{ip, IpRule};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::storage::keys;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

/// Who is calling, put in the request's extensions once authenticated.
#[derive(Debug, Clone)]
pub struct PartnerCtx {
    pub app_id: String,
    pub access_key: String,
    pub client_ip: IpAddr,
}

pub fn is_open_api_path(path: &str) -> bool {
    path == "/open/v1" || path.starts_with("/open/v1/")
}

/// Middleware: authenticates `/open/v1/*`, passes everything else through.
pub async fn require_signature(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if !is_open_api_path(req.uri().path()) {
        return next.run(req).await;
    }
    let jsonapi = crate::http::jsonapi::is_jsonapi_path(req.uri().path());
    let (err, retry_after) = match authenticate(&st, req).await {
        Ok(req) => match over_limit(&st, &req) {
            None => return next.run(req).await,
            Some(secs) => (
                ApiError::new(
                    ErrorCode::U0401,
                    format!(
                        "rate limited: retry after {secs} s (an app may make {} requests per second)",
                        st.config.rate_limit_per_second
                    ),
                ),
                Some(secs),
            ),
        },
        Err(e) => (e, None),
    };
    let mut resp = if jsonapi { crate::http::jsonapi::error_response(err) } else { err.into_response() };
    if let Some(secs) = retry_after {
        resp.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
    }
    resp
}

/// `Some(seconds to wait)` when the calling app is over its request limit (U0401).
fn over_limit(st: &AppState, req: &Request) -> Option<u64> {
    let app_id = &req.extensions().get::<PartnerCtx>()?.app_id;
    let wait = st.limiter.check(app_id).err()?;
    metrics::counter!("opengate_rate_limited_total").increment(1);
    Some(crate::auth::rate_limit::retry_after_secs(wait))
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn missing(what: &str) -> ApiError {
    ApiError::new(ErrorCode::U0101, format!("{what}; see docs/API.md \"Signing requests\""))
}

async fn authenticate(st: &AppState, req: Request) -> Result<Request, ApiError> {
    let (parts, body) = req.into_parts();
    let h = &parts.headers;

    // 1. Headers present and well formed.
    let (Some(ak), Some(ts), Some(nonce), Some(sig)) = (
        header(h, signing::HEADER_ACCESS_KEY),
        header(h, signing::HEADER_TIMESTAMP),
        header(h, signing::HEADER_NONCE),
        header(h, signing::HEADER_SIGNATURE),
    ) else {
        return Err(missing("X-OG-AccessKey, X-OG-Timestamp, X-OG-Nonce and X-OG-Signature are all required"));
    };
    let timestamp: i64 = match ts.parse() {
        Ok(t) if !ts.is_empty() && ts.bytes().all(|b| b.is_ascii_digit()) && ts.len() <= 12 => t,
        _ => return Err(missing("X-OG-Timestamp must be unix seconds (digits only)")),
    };
    if Nonce::parse(nonce).is_err() {
        return Err(missing("X-OG-Nonce must be 16..64 characters of [A-Za-z0-9_-]"));
    }
    if !signing::is_signature_format(sig) {
        return Err(missing("X-OG-Signature must be 64 lowercase hex characters"));
    }
    if AccessKey::parse(ak).is_err() {
        return Err(ApiError::new(ErrorCode::U0102, "X-OG-AccessKey is not an access key (ak + 22 of [a-z0-9])"));
    }

    // 2–3. Key exists and is enabled; the app is active.
    let key = lookup_key(st, ak).await?;

    // 4. Client IP allowed.
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no peer address on the connection")))?;
    let client_ip = ip::client_ip(peer, header(h, &st.config.client_ip_header), &st.config.trusted_proxies);
    if !key.allows(client_ip) {
        return Err(ApiError::new(
            ErrorCode::U0103,
            format!("client IP {client_ip} is not bound to this access key; bind it in the developer console"),
        ));
    }

    // 5. Timestamp within ±300 s, inclusive.
    let now = st.clock.now_secs();
    if (now - timestamp).abs() > signing::TIMESTAMP_WINDOW_SECS {
        return Err(ApiError::new(
            ErrorCode::U0104,
            format!("X-OG-Timestamp is more than 300 s from server time {now}; sync your clock (NTP)"),
        ));
    }

    // 6. Signature over the exact bytes received.
    let bytes = to_bytes(body, st.config.max_body_bytes).await.map_err(|_| {
        ApiError::param(format!("body: larger than {} bytes, or not fully received", st.config.max_body_bytes))
    })?;
    let query = parts.uri.query().unwrap_or("");
    let cq = signing::canonical_query(query).map_err(|e| ApiError::param(e.to_string()))?;
    let bh = signing::body_hash(&bytes);
    let input = SigningInput {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        canonical_query: &cq,
        access_key: ak,
        timestamp: ts,
        nonce,
        body_hash: &bh,
    };
    if !signing::verify(key.secret.expose_secret(), &input.string_to_sign(), sig) {
        return Err(ApiError::new(
            ErrorCode::U0105,
            "signature mismatch; check the string to sign against docs/API.md (test vectors included)",
        ));
    }

    // 7. Nonce not seen for this key in the last 900 s (recorded only now, after the
    //    signature verified, so a forger cannot burn nonces).
    let fresh =
        st.nonces.remember(ak, nonce, st.clock.now_ms()).await.map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    if !fresh {
        return Err(ApiError::new(
            ErrorCode::U0106,
            "X-OG-Nonce was already used; send a new random nonce with every request",
        ));
    }

    let ctx = PartnerCtx { app_id: key.app_id.clone(), access_key: ak.to_owned(), client_ip };
    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(ctx);
    Ok(req)
}

/// The key from the cache, or from the database (then cached). Unknown, disabled and
/// suspended-app keys are never cached.
pub(crate) async fn lookup_key(st: &AppState, ak: &str) -> Result<Arc<CachedKey>, ApiError> {
    if let Some(k) = st.key_cache.get(ak) {
        return Ok(k);
    }
    let key = match keys::auth_lookup(&st.db.pool, ak).await? {
        Some(k) if k.enabled && k.app_status == 0 => k,
        _ => return Err(ApiError::new(ErrorCode::U0102, "unknown or disabled access key, or the app is not active")),
    };
    let secret = crate::admin::open_key_secret(st, ak, &key.secret_enc).map_err(ApiError::internal)?;
    let cached = Arc::new(CachedKey {
        app_id: key.app_id,
        secret: SecretString::from(secret),
        bindings: key.bindings.iter().filter_map(|c| IpRule::parse(c).ok()).collect(),
    });
    st.key_cache.put(ak, cached.clone());
    Ok(cached)
}
