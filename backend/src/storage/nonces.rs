//! Seen request nonces, shared by every node through the database, so a request
//! replayed against another node is refused too.

use sqlx::{Any, Executor};

/// Records the nonce; returns false when it was already seen for this key within the
/// window (a replay). A row older than the window is overwritten, not counted.
pub async fn remember<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    access_key: &str,
    nonce: &str,
    now_ms: i64,
    window_ms: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO request_nonces (access_key, nonce, seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (access_key, nonce) DO UPDATE SET seen_at = excluded.seen_at \
         WHERE request_nonces.seen_at < $4",
    )
    .bind(access_key)
    .bind(nonce)
    .bind(now_ms)
    .bind(now_ms - window_ms)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Deletes nonces seen before `before_ms`; returns how many.
pub async fn purge<'e, E: Executor<'e, Database = Any>>(ex: E, before_ms: i64) -> sqlx::Result<u64> {
    let r = sqlx::query("DELETE FROM request_nonces WHERE seen_at < $1").bind(before_ms).execute(ex).await?;
    Ok(r.rows_affected())
}
