//! Platform user accounts.

use sqlx::{Any, Executor, Row};

pub struct NewUser<'a> {
    pub id: &'a str,
    pub mobile: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub nickname: &'a str,
    pub now: i64,
}

pub async fn insert_user<'e, E: Executor<'e, Database = Any>>(ex: E, u: &NewUser<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, mobile, email, password_hash, nickname, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(u.id)
    .bind(u.mobile)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(u.nickname)
    .bind(u.now)
    .execute(ex)
    .await
    .map(|_| ())
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub nickname: String,
    pub trading_frozen: bool,
    pub withdrawal_frozen: bool,
}

fn user_row(r: &sqlx::any::AnyRow) -> sqlx::Result<UserRow> {
    Ok(UserRow {
        id: r.try_get("id")?,
        mobile: r.try_get("mobile")?,
        email: r.try_get("email")?,
        nickname: r.try_get("nickname")?,
        trading_frozen: r.try_get::<i64, _>("trading_frozen")? == 1,
        withdrawal_frozen: r.try_get::<i64, _>("withdrawal_frozen")? == 1,
    })
}

const USER_COLS: &str = "id, mobile, email, nickname, trading_frozen, withdrawal_frozen";

/// Finds a user by internal id, mobile or e-mail.
pub async fn find<'e, E: Executor<'e, Database = Any>>(ex: E, who: &str) -> sqlx::Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1 OR mobile = $1 OR email = $1");
    let row = sqlx::query(&sql).bind(who).fetch_optional(ex).await?;
    row.map(|r| user_row(&r)).transpose()
}

/// Admin accounts may not trade or withdraw (SPEC §3).
pub async fn freeze_trading_and_withdrawal<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET trading_frozen = 1, withdrawal_frozen = 1, updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

/// `(user id, password hash)` of the account with this mobile or e-mail.
pub async fn credentials<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    account: &str,
) -> sqlx::Result<Option<(String, Option<String>)>> {
    sqlx::query_as("SELECT id, password_hash FROM users WHERE (mobile = $1 OR email = $1) AND status = 0")
        .bind(account)
        .fetch_optional(ex)
        .await
}

pub async fn mark_password_login<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_login_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

/// A password set by the operator (`user set-password`; already hashed). An account
/// with a password counts as "used directly" (SPEC §12). False: no such user.
pub async fn set_password_hash<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    hash: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// The user's own new nickname (already checked by `h5api::nickname`).
pub async fn set_nickname<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    nickname: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET nickname = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(nickname)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

/// A user as the JSON:API user lookup shows them (SPEC §9): never a secret.
#[derive(Debug, Clone)]
pub struct LookupRow {
    pub id: String,
    pub username: Option<String>,
    pub mobile: Option<String>,
    pub nickname: String,
    pub status: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const LOOKUP_COLS: &str = "id, username, mobile, nickname, status, created_at, updated_at";

fn lookup_row(r: &sqlx::any::AnyRow) -> sqlx::Result<LookupRow> {
    Ok(LookupRow {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        mobile: r.try_get("mobile")?,
        nickname: r.try_get("nickname")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// `filter[cellPhone]`: at most one account has a mobile.
pub async fn lookup_by_mobile<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    mobile: &str,
) -> sqlx::Result<Vec<LookupRow>> {
    let sql = format!("SELECT {LOOKUP_COLS} FROM users WHERE mobile = $1");
    sqlx::query(&sql).bind(mobile).fetch_all(ex).await?.iter().map(lookup_row).collect()
}

/// `filter[userName]`: the user name is `username`, or the mobile when there is none
/// (the third seed document's rule), or else the user id.
pub async fn lookup_by_username<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    name: &str,
) -> sqlx::Result<Vec<LookupRow>> {
    let sql = format!(
        "SELECT {LOOKUP_COLS} FROM users WHERE username = $1 \
         OR (username IS NULL AND mobile = $1) OR (username IS NULL AND mobile IS NULL AND id = $1) \
         ORDER BY created_at, id LIMIT 50"
    );
    sqlx::query(&sql).bind(name).fetch_all(ex).await?.iter().map(lookup_row).collect()
}

pub async fn lookup_by_id<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<Option<LookupRow>> {
    let sql = format!("SELECT {LOOKUP_COLS} FROM users WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(ex).await?.map(|r| lookup_row(&r)).transpose()
}
