//! Calls to the platform. The H5 talks only to its own origin (the session cookie goes
//! along by itself); every call goes through [`request`], which adds the CSRF header on
//! POST and turns every failure into the contract's [`H5Error`].

pub mod console;

use gloo_net::http::{Request, RequestBuilder};
use opengate_shared::h5api::{
    AccountView, AuthorizeView, ConfirmRequest, ConsentRequest, GrantView, H5Error, LoginRequest, NicknameSet,
    PayResult, PayView, PaymentHistory, PinSet, RedirectResponse, RevokeResponse, SessionInfo, SetNicknameRequest,
    SetPinRequest, SourcePayRequest, CSRF_HEADER,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::nav::encode_uri_component;

/// `H5Error::error` when the server could not be reached at all.
pub const NETWORK_ERROR: &str = "network";
/// `H5Error::error` when a 2xx answer was not the JSON we expected.
pub const BAD_RESPONSE: &str = "bad_response";
/// `H5Error::error` when the session is gone: the page goes to the login page.
pub const LOGIN_REQUIRED: &str = "login_required";
/// `H5Error::error` when the CSRF token is stale (the session ended meanwhile).
pub const CSRF: &str = "csrf";
/// `H5Error::error` when the request was refused as it stands; the message names the
/// field, in English.
pub const INVALID_REQUEST: &str = "invalid_request";

/// The status of an `http_NNN` code (a non-2xx answer that was not our JSON).
pub fn http_status_of(code: &str) -> Option<&str> {
    code.strip_prefix("http_").filter(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Errors worth a "Try again" button: the network, or the server failing (5xx).
pub fn is_retryable(err: &H5Error) -> bool {
    match err.error.as_str() {
        NETWORK_ERROR | BAD_RESPONSE | "internal" => true,
        code => http_status_of(code).is_some_and(|s| s.starts_with('5')),
    }
}

/// How a call is made. Every POST carries the CSRF token of the current session.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Method<'a> {
    Get,
    Post { csrf: &'a str },
}

// The browser's or the parser's detail is dropped: pages say these two by their code
// alone, and formatting the details (JSON and I/O error texts) would cost the first
// load kilobytes (ADR 0017). The browser's developer tools show the failed request.
fn network_error<E>(_detail: E) -> H5Error {
    H5Error::new(NETWORK_ERROR, "Cannot reach OpenGate.")
}

pub(crate) fn bad_response<E>(_detail: E) -> H5Error {
    H5Error::new(BAD_RESPONSE, "Unexpected answer from OpenGate.")
}

/// Sends one call and reads the answer: its text for a 2xx, else the [`H5Error`] of
/// its body (or a synthetic one when the body is not that shape). Not generic, so
/// the browser plumbing is in the bundle once.
pub(crate) async fn send(method: Method<'_>, path: &str, json: Option<String>) -> Result<String, H5Error> {
    let builder: RequestBuilder = match method {
        Method::Get => Request::get(path),
        Method::Post { csrf } => Request::post(path).header(CSRF_HEADER, csrf),
    }
    .header("Accept", "application/json");
    let sent = match json {
        Some(json) => {
            builder.header("Content-Type", "application/json").body(json).map_err(network_error)?.send().await
        }
        None => builder.send().await,
    };
    let resp = sent.map_err(network_error)?;
    let status = resp.status();
    let text = resp.text().await;
    if resp.ok() {
        return text.map_err(bad_response);
    }
    match text.ok().and_then(|body| serde_json::from_str::<H5Error>(&body).ok()) {
        Some(err) => Err(err),
        None => Err(H5Error::new(
            format!("http_{status}"),
            format!("OpenGate answered with HTTP status {status}. Please try again."),
        )),
    }
}

/// The one request helper: JSON in, JSON out; every failure is an [`H5Error`].
pub(crate) async fn request<T, B>(method: Method<'_>, path: &str, body: Option<&B>) -> Result<T, H5Error>
where
    T: DeserializeOwned,
    B: Serialize + ?Sized,
{
    let json = body.map(serde_json::to_string).transpose().map_err(network_error)?;
    request_json(method, path, json).await
}

/// [`request`] with a body already written as JSON.
pub(crate) async fn request_json<T: DeserializeOwned>(
    method: Method<'_>,
    path: &str,
    json: Option<String>,
) -> Result<T, H5Error> {
    let text = send(method, path, json).await?;
    serde_json::from_str(&text).map_err(bad_response)
}

/// Liveness and readiness of the platform.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub live: bool,
    pub ready: bool,
}

async fn status_of(path: &str) -> Result<bool, String> {
    let resp = Request::get(path).send().await.map_err(|_| String::from("unreachable"))?;
    Ok(resp.ok())
}

/// Liveness and readiness of the platform (plain status codes, no JSON contract).
pub async fn health() -> Result<Health, String> {
    let live = status_of("/healthz").await?;
    let ready = status_of("/readyz").await?;
    Ok(Health { live, ready })
}

/// `GET /api/h5/session` (creates an anonymous session when there is none).
pub async fn session() -> Result<SessionInfo, H5Error> {
    request(Method::Get, "/api/h5/session", None::<&()>).await
}

/// `POST /api/h5/login`. The answer carries the new session's CSRF token.
pub async fn login(csrf: &str, req: &LoginRequest) -> Result<SessionInfo, H5Error> {
    request(Method::Post { csrf }, "/api/h5/login", Some(req)).await
}

/// `POST /api/h5/logout`.
pub async fn logout(csrf: &str) -> Result<SessionInfo, H5Error> {
    request(Method::Post { csrf }, "/api/h5/logout", None::<&()>).await
}

/// `GET /api/h5/authorize/{request_id}?device_id=…`: the page's own device id goes
/// along so that a user who granted everything before is sent on at once.
pub async fn authorize_view(request_id: &str, device_id: Option<&str>) -> Result<AuthorizeView, H5Error> {
    let mut path = format!("/api/h5/authorize/{}", encode_uri_component(request_id));
    if let Some(d) = device_id {
        path.push_str("?device_id=");
        path.push_str(&encode_uri_component(d));
    }
    request(Method::Get, &path, None::<&()>).await
}

/// `POST /api/h5/authorize/{request_id}`: agree or deny.
pub async fn consent(csrf: &str, request_id: &str, req: &ConsentRequest) -> Result<RedirectResponse, H5Error> {
    let path = format!("/api/h5/authorize/{}", encode_uri_component(request_id));
    request(Method::Post { csrf }, &path, Some(req)).await
}

/// `GET /api/h5/grants`.
pub async fn grants() -> Result<Vec<GrantView>, H5Error> {
    request(Method::Get, "/api/h5/grants", None::<&()>).await
}

/// `POST /api/h5/grants/{app_id}/revoke`.
pub async fn revoke(csrf: &str, app_id: &str) -> Result<RevokeResponse, H5Error> {
    let path = format!("/api/h5/grants/{}/revoke", encode_uri_component(app_id));
    request(Method::Post { csrf }, &path, None::<&()>).await
}

/// `GET /api/h5/pay/{order_id}`: the order, the user's balance and PIN state.
pub async fn pay_view(order_id: &str) -> Result<PayView, H5Error> {
    let path = format!("/api/h5/pay/{}", encode_uri_component(order_id));
    request(Method::Get, &path, None::<&()>).await
}

/// `POST /api/h5/pay/{order_id}/confirm` with the payment PIN.
pub async fn pay_confirm(csrf: &str, order_id: &str, req: &ConfirmRequest) -> Result<PayResult, H5Error> {
    let path = format!("/api/h5/pay/{}/confirm", encode_uri_component(order_id));
    request(Method::Post { csrf }, &path, Some(req)).await
}

/// `POST /api/h5/account/nickname`.
pub async fn set_nickname(csrf: &str, req: &SetNicknameRequest) -> Result<NicknameSet, H5Error> {
    request(Method::Post { csrf }, "/api/h5/account/nickname", Some(req)).await
}

/// `POST /api/h5/pay/{order_id}/source`: pay in a partner source's currency.
pub async fn pay_source(csrf: &str, order_id: &str, req: &SourcePayRequest) -> Result<PayResult, H5Error> {
    let path = format!("/api/h5/pay/{}/source", encode_uri_component(order_id));
    request(Method::Post { csrf }, &path, Some(req)).await
}

/// `POST /api/h5/pay/{order_id}/cancel`: the order becomes `failed` (`cancelled`).
pub async fn pay_cancel(csrf: &str, order_id: &str) -> Result<PayResult, H5Error> {
    let path = format!("/api/h5/pay/{}/cancel", encode_uri_component(order_id));
    request(Method::Post { csrf }, &path, None::<&()>).await
}

/// `GET /api/h5/account`.
pub async fn account() -> Result<AccountView, H5Error> {
    request(Method::Get, "/api/h5/account", None::<&()>).await
}

/// `GET /api/h5/account/payments`: the user's payments and their refunds.
pub async fn payments() -> Result<PaymentHistory, H5Error> {
    request(Method::Get, "/api/h5/account/payments", None::<&()>).await
}

/// `POST /api/h5/account/pin`: set or change the payment PIN.
pub async fn set_pin(csrf: &str, req: &SetPinRequest) -> Result<PinSet, H5Error> {
    request(Method::Post { csrf }, "/api/h5/account/pin", Some(req)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn network_and_server_failures_are_retried() {
        for code in ["network", "bad_response", "internal", "http_502", "http_500"] {
            assert!(is_retryable(&H5Error::new(code, "")), "{code}");
        }
        for code in ["http_404", "wrong_pin", "login_required", "http_5", "http_5xx"] {
            assert!(!is_retryable(&H5Error::new(code, "")), "{code}");
        }
        assert_eq!(http_status_of("http_503"), Some("503"));
        assert_eq!(http_status_of("internal"), None);
    }
}
