//! Key pairs and their IP bindings, and the one lookup every signed request makes.

use sqlx::{Any, Executor, Row};

pub async fn count_enabled<'e, E: Executor<'e, Database = Any>>(ex: E, app_id: &str) -> sqlx::Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_keys WHERE app_id = $1 AND enabled = 1")
        .bind(app_id)
        .fetch_one(ex)
        .await?;
    Ok(n)
}

pub async fn insert_key<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    access_key: &str,
    app_id: &str,
    secret_enc: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO access_keys (access_key, app_id, secret_enc, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, $4, $4)",
    )
    .bind(access_key)
    .bind(app_id)
    .bind(secret_enc)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct KeyRow {
    pub access_key: String,
    pub app_id: String,
    pub enabled: bool,
    pub created_at: i64,
}

pub async fn get_key<'e, E: Executor<'e, Database = Any>>(ex: E, access_key: &str) -> sqlx::Result<Option<KeyRow>> {
    let row = sqlx::query("SELECT access_key, app_id, enabled, created_at FROM access_keys WHERE access_key = $1")
        .bind(access_key)
        .fetch_optional(ex)
        .await?;
    row.map(|r| key_row(&r)).transpose()
}

fn key_row(r: &sqlx::any::AnyRow) -> sqlx::Result<KeyRow> {
    Ok(KeyRow {
        access_key: r.try_get("access_key")?,
        app_id: r.try_get("app_id")?,
        enabled: r.try_get::<i64, _>("enabled")? == 1,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn list_keys<'e, E: Executor<'e, Database = Any>>(ex: E, app_id: &str) -> sqlx::Result<Vec<KeyRow>> {
    let rows = sqlx::query(
        "SELECT access_key, app_id, enabled, created_at FROM access_keys WHERE app_id = $1 ORDER BY created_at, access_key",
    )
    .bind(app_id)
    .fetch_all(ex)
    .await?;
    rows.iter().map(key_row).collect()
}

pub async fn set_enabled<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    access_key: &str,
    enabled: bool,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE access_keys SET enabled = $2, updated_at = $3 WHERE access_key = $1")
        .bind(access_key)
        .bind(i64::from(enabled))
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn delete_bindings<'e, E: Executor<'e, Database = Any>>(ex: E, access_key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM key_ip_bindings WHERE access_key = $1").bind(access_key).execute(ex).await.map(|_| ())
}

pub async fn delete_key<'e, E: Executor<'e, Database = Any>>(ex: E, access_key: &str) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM access_keys WHERE access_key = $1").bind(access_key).execute(ex).await?;
    Ok(r.rows_affected() == 1)
}

pub async fn add_binding<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    access_key: &str,
    cidr: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO key_ip_bindings (access_key, cidr, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(access_key)
    .bind(cidr)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn remove_binding<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    access_key: &str,
    cidr: &str,
) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM key_ip_bindings WHERE access_key = $1 AND cidr = $2")
        .bind(access_key)
        .bind(cidr)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn bindings<'e, E: Executor<'e, Database = Any>>(ex: E, access_key: &str) -> sqlx::Result<Vec<String>> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT cidr FROM key_ip_bindings WHERE access_key = $1 ORDER BY cidr")
        .bind(access_key)
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// What request authentication needs to know about a key, in one round trip.
#[derive(Debug, Clone)]
pub struct AuthKey {
    pub app_id: String,
    pub secret_enc: String,
    pub enabled: bool,
    pub app_status: i64,
    pub bindings: Vec<String>,
}

pub async fn auth_lookup<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    access_key: &str,
) -> sqlx::Result<Option<AuthKey>> {
    let rows = sqlx::query(
        "SELECT k.app_id, k.secret_enc, k.enabled, a.status, b.cidr \
         FROM access_keys k JOIN apps a ON a.id = k.app_id \
         LEFT JOIN key_ip_bindings b ON b.access_key = k.access_key \
         WHERE k.access_key = $1",
    )
    .bind(access_key)
    .fetch_all(ex)
    .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let mut key = AuthKey {
        app_id: first.try_get(0)?,
        secret_enc: first.try_get(1)?,
        enabled: first.try_get::<i64, _>(2)? == 1,
        app_status: first.try_get(3)?,
        bindings: Vec::new(),
    };
    for r in &rows {
        if let Some(c) = r.try_get::<Option<String>, _>(4)? {
            key.bindings.push(c);
        }
    }
    Ok(Some(key))
}
