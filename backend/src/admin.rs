//! Operator use-cases (SPEC §3, §11): onboarding companies and apps, permissions,
//! key pairs, IP bindings, URLs, notify secrets, users, currencies and funding.
//! The command line, the demo seeding and the tests all go through here.

use opengate_shared::amount::{format_amount, parse_amount};
use opengate_shared::ids::{AccessKey, AppId, CompanyId};

use crate::crypto;
use crate::domain::{IpRule, Permission, PermissionStatus};
use crate::state::AppState;
use crate::storage::{self, apps, apps::UrlList, is_unique_violation, keys, ledger, users};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Other(#[from] anyhow::Error),
}

type Result<T> = std::result::Result<T, AdminError>;

/// A key pair just created: the only time the secret is ever shown.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub access_key: String,
    pub secret_key: String,
}

/// An app just created, with its notify secret (shown once).
#[derive(Debug, Clone)]
pub struct CreatedApp {
    pub app_id: String,
    pub company_id: String,
    pub admin_user_id: String,
    pub notify_secret: String,
}

fn key_aad(access_key: &str) -> String {
    format!("access_key:{access_key}")
}

fn notify_aad(app_id: &str) -> String {
    format!("notify_secret:{app_id}")
}

pub async fn create_user(
    st: &AppState,
    mobile: Option<&str>,
    email: Option<&str>,
    password: Option<&str>,
    nickname: &str,
) -> Result<String> {
    if mobile.is_none() && email.is_none() {
        return Err(AdminError::Invalid("a user needs a mobile number or an e-mail address".into()));
    }
    if let Some(m) = mobile {
        if !opengate_shared::ids::is_mobile(m) {
            return Err(AdminError::Invalid(format!("mobile {m:?} must be 6..15 digits, optionally with a leading +")));
        }
    }
    if let Some(e) = email {
        if !e.contains('@') || e.len() > 254 || e.chars().any(char::is_whitespace) {
            return Err(AdminError::Invalid(format!("e-mail {e:?} is not an address")));
        }
    }
    if let Some(p) = password {
        crate::password::check_new(p).map_err(AdminError::Invalid)?;
    }
    let Some(nickname) = opengate_shared::h5api::nickname(nickname) else {
        return Err(AdminError::Invalid(
            "nickname must have 1..64 characters, without control or invisible characters".into(),
        ));
    };
    let hash = password.map(crate::password::hash).transpose()?;
    let id = crypto::new_id("usr");
    let new = users::NewUser {
        id: &id,
        mobile,
        email: email.map(str::trim),
        password_hash: hash.as_deref(),
        nickname,
        now: st.clock.now_ms(),
    };
    users::insert_user(&st.db.pool, &new).await.map_err(|e| {
        if is_unique_violation(&e) {
            AdminError::Conflict("a user with this mobile or e-mail already exists".into())
        } else {
            e.into()
        }
    })?;
    Ok(id)
}

async fn require_user(st: &AppState, who: &str) -> Result<users::UserRow> {
    users::find(&st.db.pool, who)
        .await?
        .ok_or_else(|| AdminError::NotFound(format!("no user {who:?} (give a user id, mobile or e-mail)")))
}

pub async fn create_company(st: &AppState, id: &str, name: &str) -> Result<bool> {
    let id = CompanyId::parse(id).map_err(|e| AdminError::Invalid(e.to_string()))?;
    if apps::company_exists(&st.db.pool, id.as_str()).await? {
        return Ok(false);
    }
    match apps::insert_company(&st.db.pool, id.as_str(), name, st.clock.now_ms()).await {
        Ok(()) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Creates an app under a company (created when missing), bound for ever to one
/// admin account, with permission `login`. Its admin account's trading and
/// withdrawal are frozen.
pub async fn create_app(st: &AppState, company_id: &str, app_id: &str, name: &str, admin: &str) -> Result<CreatedApp> {
    let company = CompanyId::parse(company_id).map_err(|e| AdminError::Invalid(e.to_string()))?;
    let app = AppId::parse(app_id).map_err(|e| AdminError::Invalid(e.to_string()))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AdminError::Invalid("app name must have 1..64 characters".into()));
    }
    let admin_user = require_user(st, admin).await?;
    if apps::get_app(&st.db.pool, app.as_str()).await?.is_some() {
        return Err(AdminError::Conflict(format!(
            "app {app} already exists: app ids are never reused and an app's admin account can never be changed"
        )));
    }
    create_company(st, company.as_str(), company.as_str()).await?;
    let now = st.clock.now_ms();
    let notify_secret = crypto::new_notify_secret();
    let enc = st.secrets.seal(&notify_secret, &notify_aad(app.as_str()));
    let mut tx = st.db.pool.begin().await?;
    let new = apps::NewApp {
        id: app.as_str(),
        company_id: company.as_str(),
        name,
        admin_user_id: &admin_user.id,
        notify_secret_enc: &enc,
        now,
    };
    if let Err(e) = apps::insert_app(&mut *tx, &new).await {
        return Err(if is_unique_violation(&e) {
            AdminError::Conflict(format!("app {app} already exists: app ids are never reused"))
        } else {
            e.into()
        });
    }
    apps::set_permission(&mut *tx, app.as_str(), Permission::Login.as_str(), PermissionStatus::Approved.as_str(), now)
        .await?;
    users::freeze_trading_and_withdrawal(&mut *tx, &admin_user.id, now).await?;
    tx.commit().await?;
    Ok(CreatedApp {
        app_id: app.to_string(),
        company_id: company.to_string(),
        admin_user_id: admin_user.id,
        notify_secret,
    })
}

async fn require_app(st: &AppState, app_id: &str) -> Result<apps::AppRow> {
    apps::get_app(&st.db.pool, app_id).await?.ok_or_else(|| AdminError::NotFound(format!("no app {app_id:?}")))
}

/// Sets a permission's state: the admin applies, the operator approves or refuses.
pub async fn set_permission(st: &AppState, app_id: &str, permission: &str, status: PermissionStatus) -> Result<()> {
    let p = Permission::parse(permission).map_err(AdminError::Invalid)?;
    if p == Permission::Login && status != PermissionStatus::Approved {
        return Err(AdminError::Invalid("permission login comes with every app and cannot be withdrawn".into()));
    }
    require_app(st, app_id).await?;
    apps::set_permission(&st.db.pool, app_id, p.as_str(), status.as_str(), st.clock.now_ms()).await?;
    Ok(())
}

pub async fn set_app_active(st: &AppState, app_id: &str, active: bool) -> Result<()> {
    st.key_cache.invalidate_all();
    if !apps::set_status(&st.db.pool, app_id, if active { 0 } else { 1 }, st.clock.now_ms()).await? {
        return Err(AdminError::NotFound(format!("no app {app_id:?}")));
    }
    st.key_cache.invalidate_all();
    Ok(())
}

/// Creates a key pair; refused when the app already has the maximum of enabled keys.
pub async fn create_key(st: &AppState, app_id: &str) -> Result<CreatedKey> {
    let now = st.clock.now_ms();
    let access_key = crypto::new_access_key();
    let secret_key = crypto::new_secret_key();
    let enc = st.secrets.seal(&secret_key, &key_aad(&access_key));
    let mut tx = st.db.pool.begin().await?;
    if !apps::lock_app(&mut *tx, app_id, now).await? {
        return Err(AdminError::NotFound(format!("no app {app_id:?}")));
    }
    let active = keys::count_enabled(&mut *tx, app_id).await?;
    if active >= st.config.max_active_keys {
        return Err(AdminError::Conflict(format!(
            "app {app_id} already has {active} active key pairs (the most allowed is {}); disable or delete one first",
            st.config.max_active_keys
        )));
    }
    keys::insert_key(&mut *tx, &access_key, app_id, &enc, now).await?;
    tx.commit().await?;
    Ok(CreatedKey { access_key, secret_key })
}

async fn require_key(st: &AppState, access_key: &str) -> Result<keys::KeyRow> {
    AccessKey::parse(access_key).map_err(|e| AdminError::Invalid(e.to_string()))?;
    keys::get_key(&st.db.pool, access_key).await?.ok_or_else(|| AdminError::NotFound(format!("no key {access_key:?}")))
}

pub async fn set_key_enabled(st: &AppState, access_key: &str, enabled: bool) -> Result<()> {
    st.key_cache.invalidate_all();
    let key = require_key(st, access_key).await?;
    let now = st.clock.now_ms();
    let mut tx = st.db.pool.begin().await?;
    apps::lock_app(&mut *tx, &key.app_id, now).await?;
    if enabled && !key.enabled {
        let active = keys::count_enabled(&mut *tx, &key.app_id).await?;
        if active >= st.config.max_active_keys {
            return Err(AdminError::Conflict(format!(
                "app {} already has {active} active key pairs (the most allowed is {}); disable or delete one first",
                key.app_id, st.config.max_active_keys
            )));
        }
    }
    keys::set_enabled(&mut *tx, access_key, enabled, now).await?;
    tx.commit().await?;
    st.key_cache.invalidate_all();
    Ok(())
}

pub async fn delete_key(st: &AppState, access_key: &str) -> Result<()> {
    st.key_cache.invalidate_all();
    require_key(st, access_key).await?;
    let mut tx = st.db.pool.begin().await?;
    keys::delete_bindings(&mut *tx, access_key).await?;
    keys::delete_key(&mut *tx, access_key).await?;
    tx.commit().await?;
    st.key_cache.invalidate_all();
    Ok(())
}

/// Binds a key to an address or range; returns the normalised rule.
pub async fn bind_ip(st: &AppState, access_key: &str, rule: &str) -> Result<String> {
    st.key_cache.invalidate_all();
    let rule = IpRule::parse(rule).map_err(AdminError::Invalid)?;
    require_key(st, access_key).await?;
    keys::add_binding(&st.db.pool, access_key, &rule.as_string(), st.clock.now_ms()).await?;
    st.key_cache.invalidate_all();
    Ok(rule.as_string())
}

pub async fn unbind_ip(st: &AppState, access_key: &str, rule: &str) -> Result<()> {
    st.key_cache.invalidate_all();
    let rule = IpRule::parse(rule).map_err(AdminError::Invalid)?;
    require_key(st, access_key).await?;
    if !keys::remove_binding(&st.db.pool, access_key, &rule.as_string()).await? {
        return Err(AdminError::NotFound(format!("key {access_key} has no binding {}", rule.as_string())));
    }
    st.key_cache.invalidate_all();
    Ok(())
}

/// The plaintext secret of a key, for signing checks inside the server only.
pub fn open_key_secret(
    st: &AppState,
    access_key: &str,
    secret_enc: &str,
) -> std::result::Result<String, crypto::OpenError> {
    st.secrets.open(secret_enc, &key_aad(access_key))
}

/// A redirect URI must be absolute, without a fragment (RFC 6749 §3.1.2); custom
/// schemes (`myapp://callback`) are allowed for native apps.
pub fn validate_redirect_uri(uri: &str) -> Result<()> {
    let parsed = url::Url::parse(uri)
        .map_err(|_| AdminError::Invalid(format!("redirect URI {uri:?} is not an absolute URI")))?;
    if parsed.fragment().is_some() {
        return Err(AdminError::Invalid("a redirect URI must not have a #fragment".into()));
    }
    // The consent page sends the browser there from our own origin: a scheme that
    // runs or embeds content would run it as us.
    if matches!(parsed.scheme(), "javascript" | "data" | "vbscript" | "file" | "blob" | "about") {
        return Err(AdminError::Invalid(format!(
            "a redirect URI cannot use the {}: scheme (use https://, or your app's own scheme)",
            parsed.scheme()
        )));
    }
    if uri.len() > 512 {
        return Err(AdminError::Invalid("a redirect URI must be at most 512 characters".into()));
    }
    Ok(())
}

fn validate_http_url(what: &str, u: &str) -> Result<url::Url> {
    let parsed = url::Url::parse(u).map_err(|_| AdminError::Invalid(format!("{what} {u:?} is not an absolute URL")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(AdminError::Invalid(format!("{what} must be an http(s) URL with a host")));
    }
    if u.len() > 512 {
        return Err(AdminError::Invalid(format!("{what} must be at most 512 characters")));
    }
    Ok(parsed)
}

pub async fn add_redirect_uri(st: &AppState, app_id: &str, uri: &str) -> Result<()> {
    validate_redirect_uri(uri)?;
    require_app(st, app_id).await?;
    apps::add_url(&st.db.pool, UrlList::RedirectUris, app_id, uri, st.clock.now_ms()).await?;
    Ok(())
}

pub async fn remove_redirect_uri(st: &AppState, app_id: &str, uri: &str) -> Result<()> {
    if !apps::remove_url(&st.db.pool, UrlList::RedirectUris, app_id, uri).await? {
        return Err(AdminError::NotFound(format!("app {app_id} has no redirect URI {uri}")));
    }
    Ok(())
}

/// Sets the notify URL; its host also becomes an allowed return-URL host.
pub async fn set_notify_url(st: &AppState, app_id: &str, u: Option<&str>) -> Result<()> {
    if let Some(u) = u {
        validate_http_url("notify URL", u)?;
    }
    if !apps::set_notify_url(&st.db.pool, app_id, u, st.clock.now_ms()).await? {
        return Err(AdminError::NotFound(format!("no app {app_id:?}")));
    }
    Ok(())
}

/// Allows return URLs (and notify URLs) under this host.
pub async fn add_return_host(st: &AppState, app_id: &str, host: &str) -> Result<()> {
    let host = host.trim().to_ascii_lowercase();
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !ok {
        return Err(AdminError::Invalid(format!("{host:?} is not a host name (e.g. shop.example.com)")));
    }
    require_app(st, app_id).await?;
    apps::add_url(&st.db.pool, UrlList::ReturnHosts, app_id, &host, st.clock.now_ms()).await?;
    Ok(())
}

pub async fn remove_return_host(st: &AppState, app_id: &str, host: &str) -> Result<()> {
    let host = host.trim().to_ascii_lowercase();
    if !apps::remove_url(&st.db.pool, UrlList::ReturnHosts, app_id, &host).await? {
        return Err(AdminError::NotFound(format!("app {app_id} has no return host {host}")));
    }
    Ok(())
}

/// New notify secret; the previous one keeps signing for 24 h (SPEC §3).
pub async fn rotate_notify_secret(st: &AppState, app_id: &str) -> Result<String> {
    let app = require_app(st, app_id).await?;
    let now = st.clock.now_ms();
    let secret = crypto::new_notify_secret();
    let enc = st.secrets.seal(&secret, &notify_aad(app_id));
    apps::rotate_notify_secret(&st.db.pool, app_id, &enc, &app.notify_secret_enc, now + 24 * 3600 * 1000, now).await?;
    Ok(secret)
}

/// The notify secrets that sign right now: the current one, and the previous one
/// while its 24 h overlap lasts.
pub async fn notify_secrets(st: &AppState, app_id: &str) -> Result<Vec<String>> {
    let app = require_app(st, app_id).await?;
    let aad = notify_aad(app_id);
    let mut out = vec![st.secrets.open(&app.notify_secret_enc, &aad).map_err(|e| anyhow::anyhow!(e))?];
    if let (Some(prev), Some(until)) = (&app.prev_notify_secret_enc, app.prev_notify_secret_until) {
        if until > st.clock.now_ms() {
            out.push(st.secrets.open(prev, &aad).map_err(|e| anyhow::anyhow!(e))?);
        }
    }
    Ok(out)
}

pub async fn set_currency(st: &AppState, code: &str, decimals: i64) -> Result<()> {
    let ok = (2..=12).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !ok {
        return Err(AdminError::Invalid(format!("currency code {code:?} must be 2..12 of A-Z0-9")));
    }
    if !(0..=8).contains(&decimals) {
        return Err(AdminError::Invalid("decimals must be within 0..=8".into()));
    }
    if let Some(existing) = ledger::currency_decimals(&st.db.pool, code).await? {
        if existing != decimals {
            // Stored amounts are minor units: new decimals would silently rescale them.
            return Err(AdminError::Conflict(format!(
                "currency {code} has {existing} decimals; balances and orders are stored in its minor units, \
                 so its decimals cannot change (create a new currency instead)"
            )));
        }
        return Ok(());
    }
    ledger::upsert_currency(&st.db.pool, code, decimals, st.clock.now_ms()).await?;
    Ok(())
}

/// Sets an app's pricing currency and its fixed rate to the settlement asset
/// (SPEC §6). New orders use it; existing orders keep the rate they were made with.
pub async fn set_pricing(st: &AppState, app_id: &str, currency: &str, settle: &str, rate: &str) -> Result<String> {
    require_app(st, app_id).await?;
    for code in [currency, settle] {
        if ledger::currency_decimals(&st.db.pool, code).await?.is_none() {
            return Err(AdminError::NotFound(format!(
                "no currency {code:?}; create it with `opengate currency set {code} <decimals>`"
            )));
        }
    }
    let rate = opengate_shared::pay::Rate::parse(rate).map_err(|e| AdminError::Invalid(format!("rate: {e}")))?;
    let rate = rate.to_string();
    storage::pay::set_pricing(&st.db.pool, app_id, currency, settle, &rate, st.clock.now_ms()).await?;
    Ok(rate)
}

/// Every notification of an order with each attempt (the delivery log).
pub async fn order_deliveries(st: &AppState, order_id: &str) -> Result<Vec<storage::notify::Delivery>> {
    if storage::pay::get_order(&st.db.pool, order_id).await?.is_none() {
        return Err(AdminError::NotFound(format!("no order {order_id:?}")));
    }
    Ok(storage::notify::deliveries_of_order(&st.db.pool, order_id).await?)
}

/// Funds a user's balance (operator credit, journaled). Returns the new balance as text.
pub async fn credit(st: &AppState, who: &str, asset: &str, amount: &str, reference: &str) -> Result<String> {
    let user = require_user(st, who).await?;
    let decimals = ledger::currency_decimals(&st.db.pool, asset).await?.ok_or_else(|| {
        AdminError::NotFound(format!("no currency {asset:?}; create it with `opengate currency set`"))
    })?;
    let d = u32::try_from(decimals).map_err(|_| AdminError::Invalid("bad currency decimals".into()))?;
    let minor = parse_amount(amount, d).map_err(|e| AdminError::Invalid(format!("amount: {e}")))?;
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    if !crate::pay::settle::operator_credit(&mut w.tx, &user.id, asset, minor, reference, now).await? {
        return Err(AdminError::Invalid("amount: the balance would overflow".into()));
    }
    w.commit().await?;
    let total = ledger::balances(&st.db.pool, &user.id)
        .await?
        .into_iter()
        .find(|(a, _)| a == asset)
        .map(|(_, v)| v)
        .unwrap_or(0);
    Ok(format_amount(total, d))
}

/// Everything about an app an operator looks at (no secrets).
#[derive(Debug, serde::Serialize)]
pub struct AppReport {
    pub app_id: String,
    pub company_id: String,
    pub name: String,
    pub admin_user_id: String,
    pub active: bool,
    pub permissions: Vec<(String, String)>,
    pub redirect_uris: Vec<String>,
    pub return_hosts: Vec<String>,
    pub notify_url: Option<String>,
    pub keys: Vec<KeyReport>,
}

#[derive(Debug, serde::Serialize)]
pub struct KeyReport {
    pub access_key: String,
    pub enabled: bool,
    pub ip_bindings: Vec<String>,
}

pub async fn app_report(st: &AppState, app_id: &str) -> Result<AppReport> {
    let app = require_app(st, app_id).await?;
    let pool = &st.db.pool;
    let mut key_reports = Vec::new();
    for k in keys::list_keys(pool, app_id).await? {
        key_reports.push(KeyReport {
            ip_bindings: keys::bindings(pool, &k.access_key).await?,
            access_key: k.access_key,
            enabled: k.enabled,
        });
    }
    Ok(AppReport {
        active: app.status == 0,
        permissions: apps::permissions(pool, app_id).await?,
        redirect_uris: apps::list_urls(pool, UrlList::RedirectUris, app_id).await?,
        return_hosts: apps::list_urls(pool, UrlList::ReturnHosts, app_id).await?,
        notify_url: app.notify_url,
        keys: key_reports,
        app_id: app.id,
        company_id: app.company_id,
        name: app.name,
        admin_user_id: app.admin_user_id,
    })
}

/// Re-exported for tests that look at users directly.
pub use storage::users::UserRow;

pub async fn find_user(st: &AppState, who: &str) -> Result<UserRow> {
    require_user(st, who).await
}
