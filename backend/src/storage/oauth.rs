//! Login state (SPEC §5): authorize requests, consent grants, codes, token families,
//! access and refresh tokens, union/open ids. Secret values arrive here hashed.

use sqlx::{Any, Executor, Row};

// ---- union_id / open_id --------------------------------------------------------

/// Inserts the id when the (user, key) pair has none yet; the existing one wins.
pub async fn ensure_union_id<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    company_id: &str,
    candidate: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO union_ids (user_id, company_id, union_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, company_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(company_id)
    .bind(candidate)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn ensure_open_id<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
    candidate: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO open_ids (user_id, app_id, open_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, app_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(candidate)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// `(open_id, union_id)` of a user for an app.
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

// ---- authorize requests ----------------------------------------------------------

pub struct NewAuthRequest<'a> {
    pub id: &'a str,
    pub app_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a str,
    pub state: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub code_challenge: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_auth_request<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    r: &NewAuthRequest<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth_requests (id, app_id, redirect_uri, scopes, state, device_id, code_challenge, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.id)
    .bind(r.app_id)
    .bind(r.redirect_uri)
    .bind(r.scopes)
    .bind(r.state)
    .bind(r.device_id)
    .bind(r.code_challenge)
    .bind(r.now)
    .bind(r.expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct AuthRequestRow {
    pub id: String,
    pub app_id: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub state: Option<String>,
    pub device_id: Option<String>,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn get_auth_request<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
) -> sqlx::Result<Option<AuthRequestRow>> {
    let row = sqlx::query(
        "SELECT id, app_id, redirect_uri, scopes, state, device_id, code_challenge, expires_at, used_at \
         FROM auth_requests WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(AuthRequestRow {
            id: r.try_get(0)?,
            app_id: r.try_get(1)?,
            redirect_uri: r.try_get(2)?,
            scopes: r.try_get(3)?,
            state: r.try_get(4)?,
            device_id: r.try_get(5)?,
            code_challenge: r.try_get(6)?,
            expires_at: r.try_get(7)?,
            used_at: r.try_get(8)?,
        })
    })
    .transpose()
}

/// Marks the request decided; false when it already was (single use).
pub async fn use_auth_request<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE auth_requests SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

// ---- grants (consent) -----------------------------------------------------------

pub async fn upsert_grant<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
    scopes: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO grants (user_id, app_id, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (user_id, app_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(scopes)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn grant_scopes<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
) -> sqlx::Result<Option<String>> {
    let r: Option<(String,)> = sqlx::query_as("SELECT scopes FROM grants WHERE user_id = $1 AND app_id = $2")
        .bind(user_id)
        .bind(app_id)
        .fetch_optional(ex)
        .await?;
    Ok(r.map(|x| x.0))
}

#[derive(Debug, Clone)]
pub struct GrantRow {
    pub app_id: String,
    pub app_name: String,
    pub logo_url: Option<String>,
    pub scopes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub async fn list_grants<'e, E: Executor<'e, Database = Any>>(ex: E, user_id: &str) -> sqlx::Result<Vec<GrantRow>> {
    let rows = sqlx::query(
        "SELECT g.app_id, a.name, a.logo_url, g.scopes, g.created_at, g.updated_at FROM grants g \
         JOIN apps a ON a.id = g.app_id WHERE g.user_id = $1 ORDER BY g.updated_at DESC, g.app_id",
    )
    .bind(user_id)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(GrantRow {
                app_id: r.try_get(0)?,
                app_name: r.try_get(1)?,
                logo_url: r.try_get(2)?,
                scopes: r.try_get(3)?,
                created_at: r.try_get(4)?,
                updated_at: r.try_get(5)?,
            })
        })
        .collect()
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

/// Revokes every token family of a (user, app): every token stops working at once.
pub async fn revoke_families_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    app_id: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE token_families SET revoked_at = $3 WHERE user_id = $1 AND app_id = $2 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(app_id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}

// ---- codes ----------------------------------------------------------------------

pub struct NewCode<'a> {
    pub code_hash: &'a str,
    pub app_id: &'a str,
    pub user_id: &'a str,
    pub redirect_uri: &'a str,
    pub scopes: &'a str,
    pub device_id: &'a str,
    pub code_challenge: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_code<'e, E: Executor<'e, Database = Any>>(ex: E, c: &NewCode<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auth_codes (code_hash, app_id, user_id, redirect_uri, scopes, device_id, code_challenge, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(c.code_hash)
    .bind(c.app_id)
    .bind(c.user_id)
    .bind(c.redirect_uri)
    .bind(c.scopes)
    .bind(c.device_id)
    .bind(c.code_challenge)
    .bind(c.now)
    .bind(c.expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct CodeRow {
    pub app_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub device_id: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
}

/// Consumes a code: returns it when this call was its first use, None when unknown
/// or already used (the caller tells the two apart with [`code_exists`]).
pub async fn take_code<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    code_hash: &str,
    now: i64,
) -> sqlx::Result<Option<CodeRow>> {
    let row = sqlx::query(
        "UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL \
         RETURNING app_id, user_id, redirect_uri, scopes, device_id, code_challenge, expires_at",
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(CodeRow {
            app_id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            redirect_uri: r.try_get(2)?,
            scopes: r.try_get(3)?,
            device_id: r.try_get(4)?,
            code_challenge: r.try_get(5)?,
            expires_at: r.try_get(6)?,
        })
    })
    .transpose()
}

pub async fn code_exists<'e, E: Executor<'e, Database = Any>>(ex: E, code_hash: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("SELECT 1 FROM auth_codes WHERE code_hash = $1").bind(code_hash).fetch_optional(ex).await?.is_some())
}

/// Revokes every family created from a code (code replay, SPEC §5.5).
pub async fn revoke_families_of_code<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    code_hash: &str,
    now: i64,
) -> sqlx::Result<u64> {
    let r = sqlx::query("UPDATE token_families SET revoked_at = $2 WHERE code_hash = $1 AND revoked_at IS NULL")
        .bind(code_hash)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected())
}

// ---- families and tokens --------------------------------------------------------

pub async fn insert_family<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    app_id: &str,
    user_id: &str,
    code_hash: &str,
    device_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO token_families (id, app_id, user_id, code_hash, device_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(app_id)
    .bind(user_id)
    .bind(code_hash)
    .bind(device_id)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn revoke_family<'e, E: Executor<'e, Database = Any>>(ex: E, family_id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE token_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(family_id)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

pub async fn insert_access_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    family_id: &str,
    scopes: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO access_tokens (token_hash, family_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(scopes)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_refresh_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    family_id: &str,
    access_hash: &str,
    scopes: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, access_hash, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(access_hash)
    .bind(scopes)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn revoke_access_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE access_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(token_hash)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

/// Marks a refresh token used; false when it already was.
pub async fn use_refresh_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL")
        .bind(token_hash)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A token with its family, as checks need it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub family_id: String,
    pub app_id: String,
    pub user_id: String,
    pub device_id: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
    /// Refresh tokens only: when it was first used, and its access token's hash.
    pub used_at: Option<i64>,
    pub access_hash: Option<String>,
}

pub async fn get_access_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> sqlx::Result<Option<TokenRow>> {
    let row = sqlx::query(
        "SELECT t.family_id, f.app_id, f.user_id, f.device_id, t.scopes, t.created_at, t.expires_at, \
         CASE WHEN t.revoked_at IS NULL AND f.revoked_at IS NULL THEN 0 ELSE 1 END \
         FROM access_tokens t JOIN token_families f ON f.id = t.family_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await?;
    row.map(|r| token_row(&r, false)).transpose()
}

pub async fn get_refresh_token<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> sqlx::Result<Option<TokenRow>> {
    let row = sqlx::query(
        "SELECT t.family_id, f.app_id, f.user_id, f.device_id, t.scopes, t.created_at, t.expires_at, \
         CASE WHEN t.revoked_at IS NULL AND f.revoked_at IS NULL THEN 0 ELSE 1 END, t.used_at, t.access_hash \
         FROM refresh_tokens t JOIN token_families f ON f.id = t.family_id WHERE t.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await?;
    row.map(|r| token_row(&r, true)).transpose()
}

fn token_row(r: &sqlx::any::AnyRow, refresh: bool) -> sqlx::Result<TokenRow> {
    Ok(TokenRow {
        family_id: r.try_get(0)?,
        app_id: r.try_get(1)?,
        user_id: r.try_get(2)?,
        device_id: r.try_get(3)?,
        scopes: r.try_get(4)?,
        created_at: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        revoked: r.try_get::<i64, _>(7)? != 0,
        used_at: if refresh { r.try_get(8)? } else { None },
        access_hash: if refresh { Some(r.try_get(9)?) } else { None },
    })
}
