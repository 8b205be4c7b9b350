//! Companies, apps, permissions, redirect URIs, return hosts, notify settings.

use sqlx::{Any, Executor, Row};

pub async fn company_exists<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM companies WHERE id = $1").bind(id).fetch_optional(ex).await?.is_some())
}

pub async fn insert_company<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    name: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO companies (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

pub struct NewApp<'a> {
    pub id: &'a str,
    pub company_id: &'a str,
    pub name: &'a str,
    pub admin_user_id: &'a str,
    pub notify_secret_enc: &'a str,
    pub now: i64,
}

pub async fn insert_app<'e, E: Executor<'e, Database = Any>>(ex: E, a: &NewApp<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO apps (id, company_id, name, admin_user_id, status, notify_secret_enc, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $6)",
    )
    .bind(a.id)
    .bind(a.company_id)
    .bind(a.name)
    .bind(a.admin_user_id)
    .bind(a.notify_secret_enc)
    .bind(a.now)
    .execute(ex)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct AppRow {
    pub id: String,
    pub company_id: String,
    pub name: String,
    pub logo_url: Option<String>,
    pub admin_user_id: String,
    pub status: i64,
    pub notify_url: Option<String>,
    pub notify_secret_enc: String,
    pub prev_notify_secret_enc: Option<String>,
    pub prev_notify_secret_until: Option<i64>,
    pub created_at: i64,
}

pub async fn get_app<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<Option<AppRow>> {
    let row = sqlx::query(
        "SELECT id, company_id, name, logo_url, admin_user_id, status, notify_url, notify_secret_enc, \
         prev_notify_secret_enc, prev_notify_secret_until, created_at FROM apps WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(AppRow {
            id: r.try_get("id")?,
            company_id: r.try_get("company_id")?,
            name: r.try_get("name")?,
            logo_url: r.try_get("logo_url")?,
            admin_user_id: r.try_get("admin_user_id")?,
            status: r.try_get("status")?,
            notify_url: r.try_get("notify_url")?,
            notify_secret_enc: r.try_get("notify_secret_enc")?,
            prev_notify_secret_enc: r.try_get("prev_notify_secret_enc")?,
            prev_notify_secret_until: r.try_get("prev_notify_secret_until")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Takes the app's row lock (PostgreSQL) or the write lock (SQLite) for the rest of
/// the transaction, so that count-then-insert rules (≤ N keys) hold under concurrency.
/// Returns false when the app does not exist.
pub async fn lock_app<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE apps SET updated_at = $2 WHERE id = $1").bind(id).bind(now).execute(ex).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_status<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    status: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE apps SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_profile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    name: &str,
    logo_url: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE apps SET name = $2, logo_url = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(name)
        .bind(logo_url)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_notify_url<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    url: Option<&str>,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE apps SET notify_url = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(url)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The new secret signs from now on; the previous one keeps signing until `prev_until`.
pub async fn rotate_notify_secret<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    new_enc: &str,
    prev_enc: &str,
    prev_until: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE apps SET notify_secret_enc = $2, prev_notify_secret_enc = $3, prev_notify_secret_until = $4, \
         updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(new_enc)
    .bind(prev_enc)
    .bind(prev_until)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_permission<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    permission: &str,
    status: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO app_permissions (app_id, permission, status, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (app_id, permission) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
    )
    .bind(app_id)
    .bind(permission)
    .bind(status)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// `(permission, status)` pairs of an app.
pub async fn permissions<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as("SELECT permission, status FROM app_permissions WHERE app_id = $1 ORDER BY permission")
        .bind(app_id)
        .fetch_all(ex)
        .await
}

pub async fn has_permission<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    permission: &str,
) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM app_permissions WHERE app_id = $1 AND permission = $2 AND status = 'approved'")
        .bind(app_id)
        .bind(permission)
        .fetch_optional(ex)
        .await?
        .is_some())
}

/// Which of the app's URL lists a value belongs to.
#[derive(Debug, Clone, Copy)]
pub enum UrlList {
    RedirectUris,
    ReturnHosts,
}

impl UrlList {
    fn table_and_column(self) -> (&'static str, &'static str) {
        match self {
            UrlList::RedirectUris => ("app_redirect_uris", "uri"),
            UrlList::ReturnHosts => ("app_return_hosts", "host"),
        }
    }
}

/// Adds a value; false when it was already there.
pub async fn add_url<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    list: UrlList,
    app_id: &str,
    value: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let (t, c) = list.table_and_column();
    let sql = format!("INSERT INTO {t} (app_id, {c}, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
    let r = sqlx::query(&sql).bind(app_id).bind(value).bind(now).execute(ex).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove_url<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    list: UrlList,
    app_id: &str,
    value: &str,
) -> sqlx::Result<bool> {
    let (t, c) = list.table_and_column();
    let sql = format!("DELETE FROM {t} WHERE app_id = $1 AND {c} = $2");
    let r = sqlx::query(&sql).bind(app_id).bind(value).execute(ex).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn list_urls<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    list: UrlList,
    app_id: &str,
) -> sqlx::Result<Vec<String>> {
    let (t, c) = list.table_and_column();
    let sql = format!("SELECT {c} FROM {t} WHERE app_id = $1 ORDER BY {c}");
    let rows: Vec<(String,)> = sqlx::query_as(&sql).bind(app_id).fetch_all(ex).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
