//! The JSON of `/api/console/*`: the developer console of an app's admin account
//! (SPEC §3, §11). Same session cookie and CSRF rule as `/api/h5/*`; errors are
//! [`crate::h5api::H5Error`]. Only the app's admin account sees or changes an app:
//! anyone else gets 404 `not_found`, as if the app did not exist.
//!
//! Routes (`{app}` is an app id, `{key}` an access key):
//! - `GET  /api/console/apps` → [`ConsoleApps`] (empty for a user who administers none)
//! - `GET  /api/console/apps/{app}` → [`ConsoleApp`]
//! - `POST /api/console/apps/{app}/keys` → [`CreatedKey`] (the secret key, shown once)
//! - `POST /api/console/apps/{app}/keys/{key}/enable` | `/disable` | `/delete` → [`ConsoleApp`]
//! - `POST /api/console/apps/{app}/keys/{key}/ip-bindings` [`ValueRequest`] → [`ConsoleApp`]
//! - `POST /api/console/apps/{app}/keys/{key}/ip-bindings/remove` [`ValueRequest`] → [`ConsoleApp`]
//! - `POST /api/console/apps/{app}/redirect-uris` | `/redirect-uris/remove` [`ValueRequest`] → [`ConsoleApp`]
//! - `POST /api/console/apps/{app}/return-hosts` | `/return-hosts/remove` [`ValueRequest`] → [`ConsoleApp`]
//! - `POST /api/console/apps/{app}/notify-url` [`NotifyUrlRequest`] → [`ConsoleApp`]
//! - `POST /api/console/apps/{app}/notify-secret/rotate` → [`RotatedSecret`] (shown once)
//! - `POST /api/console/apps/{app}/permissions/{permission}/apply` → [`ConsoleApp`]
//! - `GET  /api/console/apps/{app}/orders?limit=&before=&trade_no=` → [`OrderPage`]
//! - `GET  /api/console/apps/{app}/orders/{order_id}/deliveries` → [`DeliveryLog`]
//! - `GET  /api/console/apps/{app}/statement?date=YYYY-MM-DD` → the day's statement CSV
//!   (SPEC §13, as `/open/v1/pay/statements`; a download, not JSON)
//!
//! Error codes besides the H5 ones: `conflict` (409: e.g. the most active keys already,
//! or applying for a permission the app has), `invalid_request` (400, message names
//! the field), `not_found` (404).

use serde::{Deserialize, Serialize};

/// The apps the logged-in account administers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleApps {
    pub apps: Vec<AppSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSummary {
    pub app_id: String,
    pub company_id: String,
    pub name: String,
    /// False while the operator has suspended the app.
    pub active: bool,
}

/// Everything the admin manages for one app. Never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleApp {
    pub app_id: String,
    pub company_id: String,
    pub name: String,
    pub logo_url: Option<String>,
    pub active: bool,
    /// Every permission there is, with its state for this app.
    pub permissions: Vec<PermissionView>,
    pub keys: Vec<KeyView>,
    /// How many keys may be enabled at once.
    pub max_active_keys: i64,
    pub redirect_uris: Vec<String>,
    /// Hosts allowed for return URLs (the notify URL's host is allowed too).
    pub return_hosts: Vec<String>,
    pub notify_url: Option<String>,
    /// While set (unix seconds), the previous notify secret still signs too.
    pub previous_secret_valid_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionView {
    /// `login`, `pay`, `user_lookup` or `joint_login`.
    pub permission: String,
    /// `approved`, `applied`, `refused`, or `None` when never applied for.
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub access_key: String,
    pub enabled: bool,
    /// Unix seconds.
    pub created_at: i64,
    /// Addresses or CIDR ranges; empty means the key is not IP-checked.
    pub ip_bindings: Vec<String>,
}

/// A key pair just created. The secret key is never shown again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub access_key: String,
    pub secret_key: String,
    pub app: ConsoleApp,
}

/// A notify secret just made. It is never shown again; the previous one keeps
/// signing until `app.previous_secret_valid_until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotatedSecret {
    pub notify_secret: String,
    pub app: ConsoleApp,
}

/// One value to add or remove: an IP rule, a redirect URI or a return host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRequest {
    pub value: String,
}

/// Sets (a URL) or clears (`null`) the notify URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyUrlRequest {
    pub notify_url: Option<String>,
}

/// Newest orders first. `next_before` goes into `?before=` for the next page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPage {
    pub orders: Vec<OrderSummary>,
    pub next_before: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub order_id: String,
    pub trade_no: String,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    pub fail_reason: Option<String>,
    /// Exactly the currency's decimals (`"12.50"`).
    pub amount: String,
    pub currency: String,
    pub subject: String,
    /// Unix seconds.
    pub created_at: i64,
    pub paid_at: Option<i64>,
    /// The state of the newest notification (`pending`, `delivered`, `exhausted`),
    /// `None` when none was made.
    pub notification: Option<String>,
}

/// Every notification of one order, newest first, each with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryLog {
    pub order_id: String,
    pub notifications: Vec<NotificationLog>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationLog {
    /// The `webhook-id`.
    pub id: String,
    pub event_type: String,
    pub url: String,
    /// `pending`, `delivered` or `exhausted`.
    pub status: String,
    /// Unix seconds.
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub attempts: Vec<AttemptLog>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptLog {
    pub attempt: i64,
    /// Unix seconds.
    pub started_at: i64,
    pub latency_ms: i64,
    /// `None` when no HTTP answer came (timeout, refused, …; see `error`).
    pub http_status: Option<i64>,
    pub error: Option<String>,
}
