//! Seen request nonces kept in the database: the shared table (several nodes) and
//! the append-only log (one node). See `auth::nonce_batch` and ADR 0003.

use sqlx::{Any, Executor};

/// Deletes nonces seen before `before_ms` from both tables; returns how many.
pub async fn purge<'e, E: Executor<'e, Database = Any> + Copy>(ex: E, before_ms: i64) -> sqlx::Result<u64> {
    let a = sqlx::query("DELETE FROM request_nonces WHERE seen_at < $1").bind(before_ms).execute(ex).await?;
    let b = sqlx::query("DELETE FROM request_nonce_log WHERE seen_at < $1").bind(before_ms).execute(ex).await?;
    Ok(a.rows_affected() + b.rows_affected())
}
