//! Login state: union/open ids, authorize requests, grants, access codes, token
//! families, access and refresh tokens. Codes and tokens are looked up by the
//! SHA-256 hash of their value; the values themselves are never stored.

use sqlx::{Any, AnyConnection, Executor, Row};

/// Which stable public id: `union_id` per (user, company) or `open_id` per (user, app).
#[derive(Debug, Clone, Copy)]
pub enum PublicId {
    Union,
    Open,
}

impl PublicId {
    /// `(table, owner column, id column)`.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            PublicId::Union => ("union_ids", "company_id", "union_id"),
            PublicId::Open => ("open_ids", "app_id", "open_id"),
        }
    }
}

/// Creates the user's id under `owner` (company or app) unless it exists; returns the
/// stored one, so the first value ever made is the one kept.
pub async fn ensure_public_id(
    conn: &mut sqlx::AnyConnection,
    kind: PublicId,
    user_id: &str,
    owner: &str,
    fresh: &str,
    now: i64,
) -> sqlx::Result<String> {
    let (table, owner_col, id_col) = kind.names();
    let insert = format!(
        "INSERT INTO {table} (user_id, {owner_col}, {id_col}, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, {owner_col}) DO NOTHING"
    );
    sqlx::query(&insert).bind(user_id).bind(owner).bind(fresh).bind(now).execute(&mut *conn).await?;
    let select = format!("SELECT {id_col} FROM {table} WHERE user_id = $1 AND {owner_col} = $2");
    let (id,): (String,) = sqlx::query_as(&select).bind(user_id).bind(owner).fetch_one(&mut *conn).await?;
    Ok(id)
}

/// `(open_id, union_id)` of a user as seen by an app (both exist once consent was given).
pub async fn ids_for<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT o.open_id, u.union_id FROM open_ids o JOIN apps a ON a.id = o.app_id \
         JOIN union_ids u ON u.user_id = o.user_id AND u.company_id = a.company_id \
         WHERE o.user_id = $1 AND o.app_id = $2",
    )
    .bind(user_id)
    .bind(app_id)
    .fetch_optional(ex)
    .await
}

#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub id: String,
    pub app_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub device_id: Option<String>,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    /// The request named scope `openid` itself: its login gets id_tokens.
    pub oidc: bool,
    /// OIDC `prompt` (space-separated values) and `max_age` (seconds).
    pub prompt: Option<String>,
    pub max_age: Option<i64>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_auth_request<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    r: &AuthRequest,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth_requests (id, app_id, redirect_uri, scope, state, device_id, code_challenge, created_at, \
         expires_at, nonce, prompt, max_age, oidc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&r.id)
    .bind(&r.app_id)
    .bind(&r.redirect_uri)
    .bind(&r.scope)
    .bind(&r.state)
    .bind(&r.device_id)
    .bind(&r.code_challenge)
    .bind(now)
    .bind(r.expires_at)
    .bind(&r.nonce)
    .bind(&r.prompt)
    .bind(r.max_age)
    .bind(i64::from(r.oidc))
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn get_auth_request<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<AuthRequest>> {
    let row = sqlx::query(
        "SELECT id, app_id, redirect_uri, scope, state, device_id, code_challenge, expires_at, used_at, nonce, \
         prompt, max_age, oidc \
         FROM auth_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(AuthRequest {
            id: r.try_get("id")?,
            app_id: r.try_get("app_id")?,
            redirect_uri: r.try_get("redirect_uri")?,
            scope: r.try_get("scope")?,
            state: r.try_get("state")?,
            device_id: r.try_get("device_id")?,
            code_challenge: r.try_get("code_challenge")?,
            nonce: r.try_get("nonce")?,
            prompt: r.try_get("prompt")?,
            oidc: r.try_get::<i64, _>("oidc")? != 0,
            max_age: r.try_get("max_age")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
        })
    })
    .transpose()
}

/// Marks the request used; false when it already was (a double submit).
pub async fn use_auth_request<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE auth_requests SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The scopes a user has granted an app (space-separated), if any.
pub async fn grant_scope<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
) -> sqlx::Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT scope FROM grants WHERE user_id = $1 AND app_id = $2")
        .bind(user_id)
        .bind(app_id)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn upsert_grant<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
    scope: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO grants (user_id, app_id, scope, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (user_id, app_id) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(scope)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// `(app_id, app name, logo, scope, created_at ms)` of every grant of a user.
pub async fn grants_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<(String, String, Option<String>, String, i64)>> {
    sqlx::query_as(
        "SELECT g.app_id, a.name, a.logo_url, g.scope, g.created_at FROM grants g JOIN apps a ON a.id = g.app_id \
         WHERE g.user_id = $1 ORDER BY g.created_at, g.app_id",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await
}

pub async fn delete_grant<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
) -> sqlx::Result<bool> {
    let r = sqlx::query("DELETE FROM grants WHERE user_id = $1 AND app_id = $2")
        .bind(user_id)
        .bind(app_id)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct Code {
    /// Set when read back: whether (when) the code was used.
    pub used_at: Option<i64>,
    /// Set when read back: `(open_id, union_id)` of the user for the code's app.
    pub ids: Option<(String, String)>,
    pub code_hash: String,
    pub app_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub device_id: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    /// OpenID Connect: the authorize request's nonce, the login time (unix ms), and
    /// whether the partner chose the device.
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    pub device_bound: bool,
    /// An OpenID Connect login (id_tokens are issued).
    pub oidc: bool,
}

pub async fn insert_code<'e, E: Executor<'e, Database = Any>>(ex: E, c: &Code, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth_codes (code_hash, app_id, user_id, redirect_uri, scope, device_id, code_challenge, \
         created_at, expires_at, nonce, auth_time, device_bound, oidc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(&c.code_hash)
    .bind(&c.app_id)
    .bind(&c.user_id)
    .bind(&c.redirect_uri)
    .bind(&c.scope)
    .bind(&c.device_id)
    .bind(&c.code_challenge)
    .bind(now)
    .bind(c.expires_at)
    .bind(&c.nonce)
    .bind(c.auth_time)
    .bind(i64::from(c.device_bound))
    .bind(i64::from(c.oidc))
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn get_code<'e, E: Executor<'e, Database = Any>>(ex: E, code_hash: &str) -> sqlx::Result<Option<Code>> {
    let row = sqlx::query(
        "SELECT c.code_hash, c.app_id, c.user_id, c.redirect_uri, c.scope, c.device_id, c.code_challenge, \
         c.expires_at, c.used_at, c.nonce, c.auth_time, c.device_bound, c.oidc, o.open_id, un.union_id FROM auth_codes c JOIN apps a ON a.id = c.app_id \
         LEFT JOIN open_ids o ON o.user_id = c.user_id AND o.app_id = c.app_id \
         LEFT JOIN union_ids un ON un.user_id = c.user_id AND un.company_id = a.company_id \
         WHERE c.code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        let open_id: Option<String> = r.try_get("open_id")?;
        let union_id: Option<String> = r.try_get("union_id")?;
        Ok(Code {
            used_at: r.try_get("used_at")?,
            ids: open_id.zip(union_id),
            code_hash: r.try_get("code_hash")?,
            app_id: r.try_get("app_id")?,
            user_id: r.try_get("user_id")?,
            redirect_uri: r.try_get("redirect_uri")?,
            scope: r.try_get("scope")?,
            device_id: r.try_get("device_id")?,
            code_challenge: r.try_get("code_challenge")?,
            expires_at: r.try_get("expires_at")?,
            nonce: r.try_get("nonce")?,
            auth_time: r.try_get("auth_time")?,
            device_bound: r.try_get::<i64, _>("device_bound")? != 0,
            oidc: r.try_get::<i64, _>("oidc")? != 0,
        })
    })
    .transpose()
}

/// Adds 1 to one shard of the revocation epoch; call it in the transaction that
/// revokes, after the revoking statement (ADR 0011).
async fn bump_epoch(conn: &mut AnyConnection) -> sqlx::Result<()> {
    let shard = i64::from(rand::random::<u8>() % 16);
    sqlx::query("UPDATE token_epoch SET gen = gen + 1 WHERE shard = $1").bind(shard).execute(conn).await.map(|_| ())
}

/// The revocation epoch: changes whenever any token is revoked.
pub async fn token_epoch<'e, E: Executor<'e, Database = Any>>(ex: E) -> sqlx::Result<i64> {
    let (gen,): (i64,) = sqlx::query_as("SELECT CAST(SUM(gen) AS BIGINT) FROM token_epoch").fetch_one(ex).await?;
    Ok(gen)
}

/// Runs a revoking statement and bumps the epoch when it changed a row.
async fn revoking<'q>(
    conn: &mut AnyConnection,
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
) -> sqlx::Result<u64> {
    let n = q.execute(&mut *conn).await?.rows_affected();
    if n > 0 {
        bump_epoch(conn).await?;
    }
    Ok(n)
}

/// Revokes a token family. Like every revoke below, it takes the connection of the
/// caller's write transaction, so the epoch bump commits with it.
pub async fn revoke_family(conn: &mut AnyConnection, id: &str, now: i64) -> sqlx::Result<()> {
    let q = sqlx::query("UPDATE token_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now);
    revoking(conn, q).await.map(|_| ())
}

pub async fn family_revoked<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<bool> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT revoked_at FROM token_families WHERE id = $1").bind(id).fetch_optional(ex).await?;
    Ok(row.is_none_or(|r| r.0.is_some()))
}

pub async fn revoke_families_of_code(conn: &mut AnyConnection, code_hash: &str, now: i64) -> sqlx::Result<u64> {
    let q = sqlx::query("UPDATE token_families SET revoked_at = $2 WHERE code_hash = $1 AND revoked_at IS NULL")
        .bind(code_hash)
        .bind(now);
    revoking(conn, q).await
}

pub async fn revoke_families_of(conn: &mut AnyConnection, user_id: &str, app_id: &str, now: i64) -> sqlx::Result<u64> {
    let q = sqlx::query(
        "UPDATE token_families SET revoked_at = $3 WHERE user_id = $1 AND app_id = $2 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(now);
    revoking(conn, q).await
}

pub async fn insert_access<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    family_id: &str,
    scope: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO access_tokens (token_hash, family_id, scope, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(scope)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_refresh<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    family_id: &str,
    access_hash: &str,
    scope: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, access_hash, scope, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(access_hash)
    .bind(scope)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

/// A token with what its family says about it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub family_id: String,
    pub app_id: String,
    pub user_id: String,
    pub device_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// The token or its family is revoked.
    pub revoked: bool,
    /// Refresh tokens only: the access token issued with it.
    pub access_hash: Option<String>,
    /// Access tokens only: `(open_id, union_id)` of the user for the token's app.
    pub ids: Option<(String, String)>,
    /// Access tokens only: `(nickname, avatar_url, mobile)`.
    pub profile: Option<(String, Option<String>, Option<String>)>,
    /// The family's OpenID Connect facts (see [`Code`]).
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    pub device_bound: bool,
    pub oidc: bool,
}

fn token_row(r: &sqlx::any::AnyRow, refresh: bool) -> sqlx::Result<TokenRow> {
    let t_rev: Option<i64> = r.try_get("t_revoked")?;
    let f_rev: Option<i64> = r.try_get("f_revoked")?;
    Ok(TokenRow {
        family_id: r.try_get("family_id")?,
        app_id: r.try_get("app_id")?,
        user_id: r.try_get("user_id")?,
        device_id: r.try_get("device_id")?,
        scope: r.try_get("scope")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: if refresh { r.try_get("used_at")? } else { None },
        revoked: t_rev.is_some() || f_rev.is_some(),
        access_hash: if refresh { Some(r.try_get("access_hash")?) } else { None },
        ids: if refresh { None } else { Some((r.try_get("open_id")?, r.try_get("union_id")?)) },
        profile: if refresh {
            None
        } else {
            Some((r.try_get("nickname")?, r.try_get("avatar_url")?, r.try_get("mobile")?))
        },
        nonce: r.try_get("nonce")?,
        auth_time: r.try_get("auth_time")?,
        device_bound: r.try_get::<i64, _>("device_bound")? != 0,
        oidc: r.try_get::<i64, _>("oidc")? != 0,
    })
}

pub async fn access_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> sqlx::Result<Option<TokenRow>> {
    // One round trip for everything introspection and user/info need.
    let row = sqlx::query(
        "SELECT t.family_id, f.app_id, f.user_id, f.device_id, t.scope, t.created_at, t.expires_at, \
         t.revoked_at AS t_revoked, f.revoked_at AS f_revoked, f.nonce, f.auth_time, f.device_bound, f.oidc, \
         o.open_id, un.union_id, \
         us.nickname, us.avatar_url, us.mobile \
         FROM access_tokens t JOIN token_families f ON f.id = t.family_id \
         JOIN apps a ON a.id = f.app_id \
         JOIN open_ids o ON o.user_id = f.user_id AND o.app_id = f.app_id \
         JOIN union_ids un ON un.user_id = f.user_id AND un.company_id = a.company_id \
         JOIN users us ON us.id = f.user_id \
         WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await?;
    row.map(|r| token_row(&r, false)).transpose()
}

pub async fn refresh_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> sqlx::Result<Option<TokenRow>> {
    let row = sqlx::query(
        "SELECT t.family_id, f.app_id, f.user_id, f.device_id, t.scope, t.created_at, t.expires_at, t.used_at, \
         t.access_hash, t.revoked_at AS t_revoked, f.revoked_at AS f_revoked, f.nonce, f.auth_time, f.device_bound, f.oidc \
         FROM refresh_tokens t JOIN token_families f ON f.id = t.family_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await?;
    row.map(|r| token_row(&r, true)).transpose()
}

/// Marks a refresh token used; false when another request used it first.
pub async fn use_refresh<'e, E: Executor<'e, Database = Any>>(ex: E, token_hash: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
        .bind(token_hash)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn revoke_access(conn: &mut AnyConnection, token_hash: &str, now: i64) -> sqlx::Result<()> {
    let q = sqlx::query("UPDATE access_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(token_hash)
        .bind(now);
    revoking(conn, q).await.map(|_| ())
}

/// Deletes authorize requests and tokens past their lifetime, and codes older than
/// `code_cutoff` (kept a while past expiry so a late reuse still revokes).
pub async fn purge_expired(pool: &sqlx::AnyPool, now: i64, code_cutoff: i64) -> sqlx::Result<u64> {
    let mut n = 0;
    for (sql, t) in [
        ("DELETE FROM auth_requests WHERE expires_at <= $1", now),
        ("DELETE FROM auth_codes WHERE expires_at <= $1", code_cutoff),
        ("DELETE FROM access_tokens WHERE expires_at <= $1", now),
        ("DELETE FROM refresh_tokens WHERE expires_at <= $1", now),
    ] {
        n += sqlx::query(sql).bind(t).execute(pool).await?.rows_affected();
    }
    Ok(n)
}
