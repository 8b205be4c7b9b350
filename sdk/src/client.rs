//! The signed HTTP client: builds each `/open/v1` request, signs exactly the path
//! and query reqwest will send (SPEC §4, via `opengate_shared::signing`), with a
//! fresh timestamp and nonce, and turns the envelope into `data` or an [`Error`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use opengate_shared::ids::{AccessKey, Nonce};
use opengate_shared::signing;
use opengate_shared::ErrorCode;
use rand::RngCore;
use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{ApiError, Error, Result};
use crate::AuthorizeUrl;

/// A partner server's connection to the platform, holding one key pair.
///
/// Cheap to clone (the connection pool is shared); make one and reuse it.
///
/// ```
/// let og = opengate_sdk::Client::new(
///     "http://127.0.0.1:8080",
///     "akexample000000000000001",
///     "Xq3v9LmT2bRk7WcYp0Hs4NfJd8GzA1eUo6KiV5tQwSx",
/// )?;
/// assert_eq!(og.access_key(), "akexample000000000000001");
/// // The secret key never shows in debug output.
/// assert!(!format!("{og:?}").contains("Xq3v9"));
/// # Ok::<(), opengate_sdk::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    access_key: String,
    secret_key: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("access_key", &self.access_key)
            .field("secret_key", &"[redacted]")
            .finish()
    }
}

/// One request before signing. `path` is already percent-encoded; `query` is the raw
/// query string (encoded, without `?`).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Call {
        Call { method: Method::GET, path: path.into(), query: String::new(), body: Vec::new(), headers: Vec::new() }
    }

    pub fn post(path: impl Into<String>) -> Call {
        Call { method: Method::POST, ..Call::get(path) }
    }

    /// A POST with a JSON body.
    pub fn post_json(path: impl Into<String>, body: &impl serde::Serialize) -> Result<Call> {
        let body = serde_json::to_vec(body).map_err(|e| Error::InvalidInput(format!("body: {e}")))?;
        Ok(Call { body, ..Call::post(path) })
    }
}

/// RFC 3986 encoding of one path segment or query component.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    signing::rfc3986_encode(s.as_bytes(), &mut out);
    out
}

/// One path segment, encoded; empty, `.` and `..` are refused (URL parsers treat
/// them, even percent-encoded, as a different path).
pub(crate) fn segment(field: &str, s: &str) -> Result<String> {
    let enc = encode(s);
    if enc.is_empty() || enc == "." || enc == ".." {
        return Err(Error::InvalidInput(format!("{field}: must not be empty, . or ..")));
    }
    Ok(enc)
}

/// `n` random bytes as unpadded base64url (`[A-Za-z0-9_-]`).
pub(crate) fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Client {
    /// A client for the platform at `base_url` (e.g. `https://og.example`) with one
    /// key pair. Requests time out after 30 s and never follow redirects.
    pub fn new(base_url: &str, access_key: &str, secret_key: &str) -> Result<Client> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()?;
        Client::with_http_client(http, base_url, access_key, secret_key)
    }

    /// The same with your own `reqwest::Client` (proxy, timeouts, TLS roots). Keep
    /// redirects off: a signed request must reach the platform as signed.
    pub fn with_http_client(
        http: reqwest::Client,
        base_url: &str,
        access_key: &str,
        secret_key: &str,
    ) -> Result<Client> {
        let url = Url::parse(base_url).map_err(|e| Error::InvalidInput(format!("base_url: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Error::InvalidInput("base_url: must be an http(s) URL such as https://og.example".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::InvalidInput("base_url: must not have a query or fragment".into()));
        }
        AccessKey::parse(access_key).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let secret_ok =
            secret_key.len() == 43 && secret_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !secret_ok {
            // Never echo the value.
            return Err(Error::InvalidInput("secret_key: must be the 43-character key shown at creation".into()));
        }
        Ok(Client {
            http,
            base_url: url.as_str().trim_end_matches('/').to_owned(),
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
        })
    }

    /// The platform's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The access key requests are signed with.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// An authorize-URL builder for this platform, with the access key as `client_id`
    /// (SPEC §5.1 accepts an app's access key there).
    pub fn authorize_url(&self, redirect_uri: &str) -> AuthorizeUrl {
        AuthorizeUrl::new(&self.base_url, &self.access_key, redirect_uri)
    }

    /// The `X-OG-Signature` of one request, for checking your own signing code:
    /// `path_and_query` as sent (percent-encoded), `timestamp` in unix seconds.
    ///
    /// ```
    /// // The test vector of SPEC §4.
    /// let og = opengate_sdk::Client::new("http://og.test", "akexample000000000000001",
    ///     "Xq3v9LmT2bRk7WcYp0Hs4NfJd8GzA1eUo6KiV5tQwSx")?;
    /// let body = br#"{"trade_no":"T-1001","amount":"12.50","currency":"PTS","subject":"Tea"}"#;
    /// let sig = og.signature("POST", "/open/v1/pay/orders", body, 1763784000, "n0nce-0123456789ABCDEF")?;
    /// assert_eq!(sig, "42020b324251cf32d7f044e9b4dea171810595c29ff1dac4931969c5954a21e6");
    /// # Ok::<(), opengate_sdk::Error>(())
    /// ```
    pub fn signature(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> Result<String> {
        Nonce::parse(nonce).map_err(|e| Error::InvalidInput(e.to_string()))?;
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        signing::sign_request(&self.secret_key, &self.access_key, method, path, query, timestamp, nonce, body)
            .map_err(|e| Error::InvalidInput(e.to_string()))
    }

    /// The signed request for `call` at `timestamp` with `nonce`.
    pub(crate) fn build(&self, call: &Call, timestamp: i64, nonce: &str) -> Result<reqwest::Request> {
        let mut raw = format!("{}{}", self.base_url, call.path);
        if !call.query.is_empty() {
            raw.push('?');
            raw.push_str(&call.query);
        }
        let url = Url::parse(&raw).map_err(|e| Error::InvalidInput(format!("url: {e}")))?;
        // Sign what goes on the request line, after the URL parser had its say.
        let sig = signing::sign_request(
            &self.secret_key,
            &self.access_key,
            call.method.as_str(),
            url.path(),
            url.query().unwrap_or(""),
            timestamp,
            nonce,
            &call.body,
        )
        .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let mut rb = self
            .http
            .request(call.method.clone(), url)
            .header("X-OG-AccessKey", &self.access_key)
            .header("X-OG-Timestamp", timestamp.to_string())
            .header("X-OG-Nonce", nonce)
            .header("X-OG-Signature", sig);
        for (name, value) in &call.headers {
            rb = rb.header(*name, value);
        }
        if !call.body.is_empty() {
            rb = rb.header(CONTENT_TYPE, "application/json; charset=utf-8").body(call.body.clone());
        }
        // A header value the caller gave (device id, token) that HTTP cannot carry.
        rb.build().map_err(|e| Error::InvalidInput(e.without_url().to_string()))
    }

    /// Sends `call` signed now with a fresh nonce; (HTTP status, headers, body).
    pub(crate) async fn send(&self, call: &Call) -> Result<(u16, HeaderMap, Vec<u8>)> {
        // 24 random bytes: 32 characters of [A-Za-z0-9_-], a valid nonce.
        let req = self.build(call, now_secs(), &random_token(24))?;
        let resp = self.http.execute(req).await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok((status, headers, body))
    }

    /// Sends `call` and decodes the envelope's `data`.
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let (status, headers, body) = self.send(call).await?;
        decode_envelope(status, &headers, &body)
    }
}

pub(crate) fn request_id_header(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

pub(crate) fn retry_after(headers: &HeaderMap) -> Option<u64> {
    headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// An [`ApiError`] from a code string; an unknown code is a protocol error.
pub(crate) fn api_error(status: u16, headers: &HeaderMap, code: &str, message: String, request_id: String) -> Error {
    match ErrorCode::parse(code) {
        Some(code) => Error::Api(ApiError {
            code,
            message,
            request_id,
            http_status: status,
            retry_after_secs: retry_after(headers),
        }),
        None => Error::Protocol {
            http_status: status,
            request_id: Some(request_id),
            detail: format!("unknown error code {code:?}: {message}"),
        },
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    success: bool,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_msg: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
}

/// `data` of a success envelope, or the error it carries (SPEC §4, §10).
pub(crate) fn decode_envelope<T: DeserializeOwned>(status: u16, headers: &HeaderMap, body: &[u8]) -> Result<T> {
    let protocol =
        |detail: String| Error::Protocol { http_status: status, request_id: request_id_header(headers), detail };
    let env: Envelope = serde_json::from_slice(body).map_err(|e| protocol(format!("not an envelope: {e}")))?;
    let request_id = env.request_id.or_else(|| request_id_header(headers)).unwrap_or_default();
    if env.success {
        let data = env.data.unwrap_or(serde_json::Value::Null);
        return serde_json::from_value(data).map_err(|e| Error::Protocol {
            http_status: status,
            request_id: Some(request_id),
            detail: format!("data: {e}"),
        });
    }
    let code = env.error_code.ok_or_else(|| protocol("success is false but errorCode is missing".into()))?;
    Err(api_error(status, headers, &code, env.error_msg.unwrap_or_default(), request_id))
}

#[cfg(test)]
pub(crate) mod tests;
