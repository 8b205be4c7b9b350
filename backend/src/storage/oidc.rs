//! OpenID Connect: the platform's signing keys (sealed private halves) and each app's
//! id_token algorithm (ADR 0014).

use sqlx::{Any, Executor};

/// One signing key as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub kid: String,
    pub alg: String,
    pub generation: i64,
    pub public_jwk: String,
    pub private_sealed: String,
    pub created_at: i64,
    pub active_from: i64,
}

/// Every stored key, oldest generation first per algorithm.
pub async fn list_keys<'e, E: Executor<'e, Database = Any>>(ex: E) -> sqlx::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, alg, generation, public_jwk, private_sealed, created_at, active_from FROM oidc_keys \
         ORDER BY alg, generation",
    )
    .fetch_all(ex)
    .await
}

/// Inserts a key unless its (alg, generation) exists; true when this one was stored.
pub async fn insert_key<'e, E: Executor<'e, Database = Any>>(ex: E, k: &KeyRow) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO oidc_keys (kid, alg, generation, public_jwk, private_sealed, created_at, active_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&k.kid)
    .bind(&k.alg)
    .bind(k.generation)
    .bind(&k.public_jwk)
    .bind(&k.private_sealed)
    .bind(k.created_at)
    .bind(k.active_from)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The highest generation of `alg` (0 when there is none).
pub async fn max_generation<'e, E: Executor<'e, Database = Any>>(ex: E, alg: &str) -> sqlx::Result<i64> {
    let (g,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(generation) FROM oidc_keys WHERE alg = $1").bind(alg).fetch_one(ex).await?;
    Ok(g.unwrap_or(0))
}

pub async fn delete_key<'e, E: Executor<'e, Database = Any>>(ex: E, kid: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM oidc_keys WHERE kid = $1").bind(kid).execute(ex).await?.rows_affected())
}

/// The app's `id_token_signed_response_alg`, when set.
pub async fn client_alg<'e, E: Executor<'e, Database = Any>>(ex: E, app_id: &str) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT id_token_alg FROM oidc_clients WHERE app_id = $1")
        .bind(app_id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn set_client_alg<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    alg: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO oidc_clients (app_id, id_token_alg, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (app_id) DO UPDATE SET id_token_alg = excluded.id_token_alg, updated_at = excluded.updated_at",
    )
    .bind(app_id)
    .bind(alg)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// `(nickname, avatar_url, mobile)` of a user, for id_token claims.
pub async fn profile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Option<(String, Option<String>, Option<String>)>> {
    sqlx::query_as("SELECT nickname, avatar_url, mobile FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(ex)
        .await
}
