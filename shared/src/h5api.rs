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
    /// `invalid_request`, `not_found`, `expired`, `used`, `invalid_scope`, `internal`;
    /// on pay pages also `wrong_pin`, `pin_locked`, `pin_not_set`,
    /// `insufficient_balance`, `already_paid`, `order_failed`, `not_payer`, `frozen`;
    /// on console calls also `conflict`.
    pub error: String,
    /// English text for logs and as a fallback on screen.
    pub message: String,
    /// `wrong_pin`: how many tries are left before the PIN locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries_left: Option<u32>,
    /// `locked` and `pin_locked`: when (unix seconds) the user may try again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<i64>,
}

impl H5Error {
    /// An error with only a code and a message.
    pub fn new(error: impl Into<String>, message: impl Into<String>) -> H5Error {
        H5Error { error: error.into(), message: message.into(), tries_left: None, retry_at: None }
    }
}

// ---------------------------------------------------------------------------------
// Pay (SPEC §6.2–6.3) and the account page (SPEC §7).
// ---------------------------------------------------------------------------------

/// `GET /api/h5/pay/{order_id}` (needs a logged-in session, else 401
/// `login_required`; 404 `not_found` for an unknown order; 403 `not_payer` when the
/// partner restricted the order to another user). Amounts are decimal strings with
/// exactly the currency's decimals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayView {
    pub order_id: String,
    pub trade_no: String,
    pub merchant_name: String,
    pub merchant_logo_url: Option<String>,
    pub subject: String,
    /// In the app's pricing currency.
    pub amount: String,
    pub currency: String,
    /// What the user pays, in the settlement asset (rounded up).
    pub settle_amount: String,
    pub settle_currency: String,
    pub rate: String,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    /// `expired`, `cancelled` or `closed` when failed.
    pub fail_reason: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
    /// The user's balance in the settlement asset.
    pub balance: String,
    /// False: the user must set a payment PIN first (account page).
    pub pin_set: bool,
    /// Unix seconds until which the PIN is locked after 5 wrong tries.
    pub pin_locked_until: Option<i64>,
    /// Where to send the browser when the order is finished (the partner's
    /// `return_url` with `order_id`, `trade_no` and `status`), if it gave one.
    pub return_to: Option<String>,
    /// Partner sites the user came from that can take this payment in their own
    /// currency (SPEC §9): `POST /api/h5/pay/{order_id}/source`.
    #[serde(default)]
    pub sources: Vec<SourceOption>,
}

/// Paying in a partner source's own currency, at its fixed rate (rounded up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceOption {
    pub code: String,
    pub name: String,
    pub amount: String,
    pub currency: String,
}

/// `POST /api/h5/pay/{order_id}/source`: pay through the source's deduction
/// endpoint. Errors as for confirm, plus `source_refused` (409, the partner's words)
/// and `source_pending` (503: not confirmed yet; trying again reuses the same debit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcePayRequest {
    pub source: String,
    pub pin: String,
}

/// `POST /api/h5/pay/{order_id}/confirm`. Errors (`H5Error::error`): `wrong_pin`
/// (message says how many tries are left), `pin_locked` (429, `Retry-After`),
/// `pin_not_set`, `insufficient_balance` (order stays pending), `expired`,
/// `already_paid`, `order_failed`, `not_payer`, `not_found`, `invalid_request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmRequest {
    /// Exactly 6 digits.
    pub pin: String,
}

/// Answer of confirm and cancel: the order's new state and where to go next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayResult {
    pub status: String,
    pub fail_reason: Option<String>,
    pub return_to: Option<String>,
}

/// One balance on the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceView {
    pub asset: String,
    pub amount: String,
}

/// `GET /api/h5/account` (logged in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub nickname: String,
    pub account: String,
    pub pin_set: bool,
    pub pin_locked_until: Option<i64>,
    pub balances: Vec<BalanceView>,
}

/// `GET /api/h5/account/payments` (logged in; issue 16): the user's paid orders,
/// newest first (at most [`PAYMENTS_LIMIT`]), each with its refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentHistory {
    pub payments: Vec<PaymentItem>,
}

/// How many payments the history shows.
pub const PAYMENTS_LIMIT: i64 = 50;

/// One paid order. Amounts are decimal strings; times unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentItem {
    pub order_id: String,
    pub merchant_name: String,
    pub subject: String,
    /// The order's status (`paid`: a refund leaves it so, SPEC §13).
    pub status: String,
    /// The price, in the order's pricing currency.
    pub amount: String,
    pub currency: String,
    /// What left the user's balance, in the settlement asset.
    pub settle_amount: String,
    pub settle_currency: String,
    /// Refunded so far, in the pricing currency.
    pub refunded_amount: String,
    pub paid_at: Option<i64>,
    /// Oldest first.
    pub refunds: Vec<RefundItem>,
}

/// One refund of a payment (`pending`, `succeeded` or `failed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundItem {
    pub refund_no: String,
    pub status: String,
    /// In the order's pricing currency.
    pub amount: String,
    /// Back to the user, in the settlement asset.
    pub settle_amount: String,
    pub created_at: i64,
    pub refunded_at: Option<i64>,
}

/// `POST /api/h5/account/pin`: set the payment PIN (first time: `current_pin` is
/// None) or change it (`current_pin` required; a wrong one counts towards the lock).
/// Errors: `wrong_pin`, `pin_locked`, `invalid_request` (not 6 digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPinRequest {
    pub current_pin: Option<String>,
    pub new_pin: String,
}

/// Answer of `POST /api/h5/account/pin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinSet {
    pub pin_set: bool,
}

/// `POST /api/h5/account/nickname`: the name the pages show and apps read with the
/// `profile` scope. Errors: `invalid_request` (see [`nickname`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNicknameRequest {
    pub nickname: String,
}

/// The answer: the name as stored (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NicknameSet {
    pub nickname: String,
}

/// Most characters (Unicode scalar values) in a nickname.
pub const NICKNAME_MAX: usize = 64;

/// The nickname rule, one copy for the page and the server: trimmed, 1..=64
/// characters, no control characters and none of the invisible or
/// direction-changing ones that can make a name look like another.
pub fn nickname(raw: &str) -> Option<&str> {
    let name = raw.trim();
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    };
    let len = name.chars().count();
    ((1..=NICKNAME_MAX).contains(&len) && !name.chars().any(hidden)).then_some(name)
}

/// True for exactly six ASCII digits: the shape of a payment PIN.
pub fn is_pin_shape(pin: &str) -> bool {
    pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicknames_are_trimmed_bounded_and_visible() {
        assert_eq!(nickname("  Tea Lover "), Some("Tea Lover"));
        assert_eq!(nickname("茶友 🍵"), Some("茶友 🍵"));
        assert_eq!(nickname(&"가".repeat(NICKNAME_MAX)).map(|n| n.chars().count()), Some(NICKNAME_MAX));
        assert_eq!(nickname(&"가".repeat(NICKNAME_MAX + 1)), None, "characters are counted, not bytes");
        for bad in ["", "   ", "a\nb", "tab\there", "nul\0", "rtl\u{202e}evil", "zero\u{200b}width", "bom\u{feff}"] {
            assert_eq!(nickname(bad), None, "{bad:?}");
        }
    }
}
