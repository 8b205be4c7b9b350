//! The JSON of `/api/h5/*`: what the H5 app and the backend say to each other.
//!
//! Every call sends the session cookie (`og_session`, HttpOnly). Every state-changing
//! call (POST) also sends the header [`CSRF_HEADER`] with the `csrf_token` of the
//! current [`SessionInfo`]; without it the answer is 403 `csrf`. Errors are
//! [`H5Error`] with an HTTP status of 4xx/5xx.

use serde::{Deserialize, Serialize};

/// Header carrying the session's CSRF token on every state-changing call.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// Name of the session cookie (HttpOnly; the app never reads it).
pub const SESSION_COOKIE: &str = "og_session";

/// Key in the browser's local storage for the device id the H5 makes when the
/// partner app gives none (SPEC §5.11). Not a secret.
pub const DEVICE_ID_STORAGE_KEY: &str = "og_device_id";

/// `GET /api/h5/session` (also the answer of login and logout). Creates an anonymous
/// session (and sets the cookie) when there is none, so a CSRF token always exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub csrf_token: String,
    /// `None` when nobody is logged in.
    pub user: Option<SessionUser>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub nickname: String,
    /// Masked mobile or the e-mail address, for "logged in as …".
    pub account: String,
}

/// `POST /api/h5/login`: `account` is a mobile number or an e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub account: String,
    pub password: String,
}

/// One scope on the consent page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeItem {
    /// `openid`, `profile`, `mobile` or `wallet`.
    pub scope: String,
    /// `openid` is required (always granted); the others can be unticked.
    pub required: bool,
}

/// `GET /api/h5/authorize/{request_id}[?device_id=…]` (needs a logged-in session,
/// else 401 `login_required`). The page sends its own device id in the query (when
/// it has one) so that a returning user who already granted everything can be sent
/// on at once even when the partner gave no device id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeView {
    pub app_id: String,
    pub app_name: String,
    pub logo_url: Option<String>,
    pub scopes: Vec<ScopeItem>,
    /// True when the partner app gave no device id: the H5 then sends its own
    /// (stable per browser, kept under [`DEVICE_ID_STORAGE_KEY`]).
    pub needs_device_id: bool,
    /// Set when the user already granted every requested scope: the code has been
    /// issued and the browser should go here at once (no consent screen).
    pub redirect: Option<String>,
}

/// `POST /api/h5/authorize/{request_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub approve: bool,
    /// The ticked scopes (`openid` may be left out; it is always granted).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The H5's own device id, used only when the partner app gave none.
    #[serde(default)]
    pub device_id: Option<String>,
}

/// Where the browser goes next (the partner's redirect URI with code or error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectResponse {
    pub redirect: String,
}

/// One row of "Authorized apps" (`GET /api/h5/grants`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub app_id: String,
    pub app_name: String,
    pub logo_url: Option<String>,
    pub scopes: Vec<String>,
    /// Unix seconds of the first grant.
    pub granted_at: i64,
}

/// `POST /api/h5/grants/{app_id}/revoke` answers `{"revoked": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeResponse {
    pub revoked: bool,
}

/// Error body of every `/api/h5/*` failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct H5Error {
    /// Stable machine code: `login_required`, `bad_credentials`, `locked`, `csrf`,
    /// `invalid_request`, `not_found`, `expired`, `used`, `invalid_scope`, `internal`.
    pub error: String,
    /// English text for logs and as a fallback on screen.
    pub message: String,
}
