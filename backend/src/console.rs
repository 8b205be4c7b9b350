//! Developer-console use-cases (SPEC §3, §11): what an app's admin account may see
//! and change of its own app. Every call first proves that the logged-in user is the
//! app's admin; for anyone else the app does not exist. The changes themselves go
//! through [`crate::admin`], the same code the operator's command line uses.

use opengate_shared::amount::format_amount;
use opengate_shared::console::{
    AppSummary, AttemptLog, ConsoleApp, ConsoleApps, DeliveryLog, KeyView, NotificationLog, OrderPage, OrderSummary,
    PermissionView,
};

use crate::admin::{self, AdminError};
use crate::domain::{Permission, PermissionStatus};
use crate::state::AppState;
use crate::storage::{self, apps, apps::UrlList, keys};

type Result<T> = std::result::Result<T, AdminError>;

/// Orders per console page when the caller does not say; at most [`MAX_PAGE`].
pub const DEFAULT_PAGE: i64 = 20;
pub const MAX_PAGE: i64 = 100;

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn not_found(app_id: &str) -> AdminError {
    AdminError::NotFound(format!("no app {app_id:?} administered by this account"))
}

/// The app, when `user_id` is its admin account.
async fn owned(st: &AppState, user_id: &str, app_id: &str) -> Result<apps::AppRow> {
    match apps::get_app(&st.db.pool, app_id).await? {
        Some(app) if app.admin_user_id == user_id => Ok(app),
        _ => Err(not_found(app_id)),
    }
}

/// The key, when it belongs to an app `user_id` administers.
async fn owned_key(st: &AppState, user_id: &str, app_id: &str, access_key: &str) -> Result<()> {
    owned(st, user_id, app_id).await?;
    match keys::get_key(&st.db.pool, access_key).await? {
        Some(k) if k.app_id == app_id => Ok(()),
        _ => Err(AdminError::NotFound(format!("app {app_id} has no key {access_key:?}"))),
    }
}

pub async fn my_apps(st: &AppState, user_id: &str) -> Result<ConsoleApps> {
    let rows = storage::console::apps_of_admin(&st.db.pool, user_id).await?;
    Ok(ConsoleApps {
        apps: rows
            .into_iter()
            .map(|(app_id, company_id, name, status)| AppSummary { app_id, company_id, name, active: status == 0 })
            .collect(),
    })
}

pub async fn app(st: &AppState, user_id: &str, app_id: &str) -> Result<ConsoleApp> {
    let app = owned(st, user_id, app_id).await?;
    let pool = &st.db.pool;
    let granted = apps::permissions(pool, app_id).await?;
    let permissions = Permission::ALL
        .iter()
        .map(|p| PermissionView {
            permission: p.as_str().to_owned(),
            status: granted.iter().find(|(name, _)| name == p.as_str()).map(|(_, s)| s.clone()),
        })
        .collect();
    let mut key_views = Vec::new();
    for k in keys::list_keys(pool, app_id).await? {
        key_views.push(KeyView {
            ip_bindings: keys::bindings(pool, &k.access_key).await?,
            access_key: k.access_key,
            enabled: k.enabled,
            created_at: secs(k.created_at),
        });
    }
    let now = st.clock.now_ms();
    Ok(ConsoleApp {
        permissions,
        keys: key_views,
        max_active_keys: st.config.max_active_keys,
        redirect_uris: apps::list_urls(pool, UrlList::RedirectUris, app_id).await?,
        return_hosts: apps::list_urls(pool, UrlList::ReturnHosts, app_id).await?,
        previous_secret_valid_until: app.prev_notify_secret_until.filter(|&t| t > now).map(secs),
        active: app.status == 0,
        notify_url: app.notify_url,
        logo_url: app.logo_url,
        name: app.name,
        company_id: app.company_id,
        app_id: app.id,
    })
}

pub async fn create_key(st: &AppState, user_id: &str, app_id: &str) -> Result<admin::CreatedKey> {
    owned(st, user_id, app_id).await?;
    let key = admin::create_key(st, app_id).await?;
    tracing::info!(app_id, access_key = %key.access_key, "console: key created");
    Ok(key)
}

/// What can be done to one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Enable,
    Disable,
    Delete,
}

pub async fn key_action(st: &AppState, user_id: &str, app_id: &str, access_key: &str, action: KeyAction) -> Result<()> {
    owned_key(st, user_id, app_id, access_key).await?;
    match action {
        KeyAction::Enable => admin::set_key_enabled(st, access_key, true).await?,
        KeyAction::Disable => admin::set_key_enabled(st, access_key, false).await?,
        KeyAction::Delete => admin::delete_key(st, access_key).await?,
    }
    tracing::info!(app_id, access_key, ?action, "console: key changed");
    Ok(())
}

pub async fn bind_ip(st: &AppState, user_id: &str, app_id: &str, access_key: &str, rule: &str) -> Result<()> {
    owned_key(st, user_id, app_id, access_key).await?;
    admin::bind_ip(st, access_key, rule).await?;
    Ok(())
}

pub async fn unbind_ip(st: &AppState, user_id: &str, app_id: &str, access_key: &str, rule: &str) -> Result<()> {
    owned_key(st, user_id, app_id, access_key).await?;
    admin::unbind_ip(st, access_key, rule).await
}

/// The app's URL lists: redirect URIs and return hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlAction {
    AddRedirectUri,
    RemoveRedirectUri,
    AddReturnHost,
    RemoveReturnHost,
}

pub async fn url_action(st: &AppState, user_id: &str, app_id: &str, value: &str, action: UrlAction) -> Result<()> {
    owned(st, user_id, app_id).await?;
    match action {
        UrlAction::AddRedirectUri => admin::add_redirect_uri(st, app_id, value).await,
        UrlAction::RemoveRedirectUri => admin::remove_redirect_uri(st, app_id, value).await,
        UrlAction::AddReturnHost => admin::add_return_host(st, app_id, value).await,
        UrlAction::RemoveReturnHost => admin::remove_return_host(st, app_id, value).await,
    }
}

pub async fn set_notify_url(st: &AppState, user_id: &str, app_id: &str, url: Option<&str>) -> Result<()> {
    owned(st, user_id, app_id).await?;
    admin::set_notify_url(st, app_id, url.map(str::trim).filter(|u| !u.is_empty())).await
}

pub async fn rotate_notify_secret(st: &AppState, user_id: &str, app_id: &str) -> Result<String> {
    owned(st, user_id, app_id).await?;
    let secret = admin::rotate_notify_secret(st, app_id).await?;
    tracing::info!(app_id, "console: notify secret rotated");
    Ok(secret)
}

/// The admin applies for a permission; the operator approves or refuses it. An
/// application already made stands; a refused one may be made again.
pub async fn apply(st: &AppState, user_id: &str, app_id: &str, permission: &str) -> Result<()> {
    owned(st, user_id, app_id).await?;
    let p = Permission::parse(permission).map_err(AdminError::Invalid)?;
    let current = apps::permissions(&st.db.pool, app_id).await?;
    match current.iter().find(|(name, _)| name == p.as_str()).and_then(|(_, s)| PermissionStatus::parse(s)) {
        Some(PermissionStatus::Approved) => Err(AdminError::Conflict(format!("app {app_id} already has {p}"))),
        Some(PermissionStatus::Applied) => Ok(()),
        None | Some(PermissionStatus::Refused) => {
            admin::set_permission(st, app_id, p.as_str(), PermissionStatus::Applied).await?;
            tracing::info!(app_id, permission = p.as_str(), "console: permission applied for");
            Ok(())
        }
    }
}

/// `before` is the `next_before` of the previous page: `<created_at ms>.<order id>`.
pub async fn orders(
    st: &AppState,
    user_id: &str,
    app_id: &str,
    before: Option<&str>,
    trade_no: Option<&str>,
    limit: Option<i64>,
) -> Result<OrderPage> {
    owned(st, user_id, app_id).await?;
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AdminError::Invalid(format!("limit must be within 1..={MAX_PAGE}")));
    }
    let before = before
        .map(|b| {
            b.split_once('.')
                .and_then(|(t, id)| Some((t.parse::<i64>().ok()?, id)))
                .ok_or_else(|| AdminError::Invalid("before must be the next_before of the previous page".into()))
        })
        .transpose()?;
    let mut rows = storage::console::orders_page(&st.db.pool, app_id, before, trade_no, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_before = if more { rows.last().map(|r| format!("{}.{}", r.order.created_at, r.order.id)) } else { None };
    let orders = rows
        .into_iter()
        .map(|r| {
            let o = r.order;
            OrderSummary {
                amount: format_amount(o.amount, u32::try_from(o.price_decimals).unwrap_or(0)),
                created_at: secs(o.created_at),
                paid_at: o.paid_at.map(secs),
                notification: r.notification,
                order_id: o.id,
                trade_no: o.trade_no,
                status: o.status,
                fail_reason: o.fail_reason,
                currency: o.currency,
                subject: o.subject,
            }
        })
        .collect();
    Ok(OrderPage { orders, next_before })
}

pub async fn deliveries(st: &AppState, user_id: &str, app_id: &str, order_id: &str) -> Result<DeliveryLog> {
    owned(st, user_id, app_id).await?;
    match storage::pay::get_order(&st.db.pool, order_id).await? {
        Some(o) if o.app_id == app_id => {}
        _ => return Err(AdminError::NotFound(format!("app {app_id} has no order {order_id:?}"))),
    }
    let notifications = storage::notify::deliveries_of_order(&st.db.pool, order_id)
        .await?
        .into_iter()
        .map(|d| NotificationLog {
            id: d.id,
            event_type: d.event_type,
            url: d.url,
            status: d.status,
            created_at: secs(d.created_at),
            next_attempt_at: d.next_attempt_at.map(secs),
            delivered_at: d.delivered_at.map(secs),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptLog {
                    attempt: a.attempt,
                    started_at: secs(a.started_at),
                    latency_ms: a.latency_ms,
                    http_status: a.http_status,
                    error: a.error,
                })
                .collect(),
        })
        .collect();
    Ok(DeliveryLog { order_id: order_id.to_owned(), notifications })
}

/// The app's statement of one UTC day (SPEC §13), the CSV its partner server downloads
/// from `/open/v1/pay/statements`, and whether the day is over (the file is final).
pub async fn statement(st: &AppState, user_id: &str, app_id: &str, date: &str) -> Result<(String, bool)> {
    owned(st, user_id, app_id).await?;
    crate::pay::statement::daily(st, app_id, date).await.map_err(|e| match e {
        crate::pay::PayError::Invalid(m) => AdminError::Invalid(m),
        crate::pay::PayError::NoPermission => AdminError::Conflict(e.to_string()),
        crate::pay::PayError::Internal(err) => AdminError::Other(err),
        other => AdminError::Other(anyhow::anyhow!("statement: {other}")),
    })
}
