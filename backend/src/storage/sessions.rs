//! H5 browser sessions and failed-login counters.

use sqlx::{Any, Executor, Row};

pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id_hash: &str,
    user_id: Option<&str>,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO h5_sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

/// A live session with its user (if logged in).
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub csrf_token: String,
    pub user_id: Option<String>,
    pub nickname: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// When the session was made: for a logged-in session, when the user logged in
    /// (a login always makes a new session).
    pub created_at: i64,
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id_hash: &str,
    now: i64,
) -> sqlx::Result<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT s.csrf_token, s.user_id, s.created_at, u.nickname, u.mobile, u.email FROM h5_sessions s \
         LEFT JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2",
    )
    .bind(id_hash)
    .bind(now)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(SessionRow {
            csrf_token: r.try_get("csrf_token")?,
            user_id: r.try_get("user_id")?,
            nickname: r.try_get("nickname")?,
            mobile: r.try_get("mobile")?,
            email: r.try_get("email")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

pub async fn delete<'e, E: Executor<'e, Database = Any>>(ex: E, id_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM h5_sessions WHERE id_hash = $1").bind(id_hash).execute(ex).await.map(|_| ())
}

/// Ends every H5 session of a user (the operator changed their password or PIN);
/// returns how many there were.
pub async fn delete_for_user<'e, E: Executor<'e, Database = Any>>(ex: E, user_id: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM h5_sessions WHERE user_id = $1").bind(user_id).execute(ex).await?.rows_affected())
}

pub async fn purge_expired<'e, E: Executor<'e, Database = Any>>(ex: E, now: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM h5_sessions WHERE expires_at <= $1").bind(now).execute(ex).await?.rows_affected())
}

/// `(failures, window_start, locked_until)` for an account.
pub async fn failures<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    account: &str,
) -> sqlx::Result<Option<(i64, i64, i64)>> {
    sqlx::query_as("SELECT failures, window_start, locked_until FROM login_failures WHERE account = $1")
        .bind(account)
        .fetch_optional(ex)
        .await
}

pub async fn set_failures<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    account: &str,
    failures: i64,
    window_start: i64,
    locked_until: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO login_failures (account, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (account) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, \
         locked_until = excluded.locked_until",
    )
    .bind(account)
    .bind(failures)
    .bind(window_start)
    .bind(locked_until)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn clear_failures<'e, E: Executor<'e, Database = Any>>(ex: E, account: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE account = $1").bind(account).execute(ex).await.map(|_| ())
}
