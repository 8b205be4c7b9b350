//! Sources, their users, joint-login links and used import links (SPEC §9).

use sqlx::{Any, AnyConnection, Executor, Row};

/// A source as stored; serialized (operator listing) without its sealed secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceRow {
    pub code: String,
    pub name: String,
    #[serde(skip)]
    pub secret_enc: String,
    pub trust: String,
    pub app_id: Option<String>,
    pub adapter: String,
    pub adapter_config: String,
    pub user_url: Option<String>,
    pub deduct_url: Option<String>,
    /// Where refunds of source-paid orders are credited back (SPEC §13).
    pub refund_url: Option<String>,
    pub currency: Option<String>,
    pub rate: Option<String>,
    /// 0 active, 1 disabled.
    pub status: i64,
}

const SOURCE_COLS: &str =
    "code, name, secret_enc, trust, app_id, adapter, adapter_config, user_url, deduct_url, refund_url, currency, rate, status";

fn source_row(r: &sqlx::any::AnyRow) -> sqlx::Result<SourceRow> {
    Ok(SourceRow {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        secret_enc: r.try_get("secret_enc")?,
        trust: r.try_get("trust")?,
        app_id: r.try_get("app_id")?,
        adapter: r.try_get("adapter")?,
        adapter_config: r.try_get("adapter_config")?,
        user_url: r.try_get("user_url")?,
        deduct_url: r.try_get("deduct_url")?,
        refund_url: r.try_get("refund_url")?,
        currency: r.try_get("currency")?,
        rate: r.try_get("rate")?,
        status: r.try_get("status")?,
    })
}

pub async fn insert_source<'e, E: Executor<'e, Database = Any>>(ex: E, s: &SourceRow, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sources (code, name, secret_enc, trust, app_id, adapter, adapter_config, user_url, deduct_url, \
         currency, rate, status, created_at, updated_at, refund_url) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)",
    )
    .bind(&s.code)
    .bind(&s.name)
    .bind(&s.secret_enc)
    .bind(&s.trust)
    .bind(&s.app_id)
    .bind(&s.adapter)
    .bind(&s.adapter_config)
    .bind(&s.user_url)
    .bind(&s.deduct_url)
    .bind(&s.currency)
    .bind(&s.rate)
    .bind(s.status)
    .bind(now)
    .bind(&s.refund_url)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn get_source<'e, E: Executor<'e, Database = Any>>(ex: E, code: &str) -> sqlx::Result<Option<SourceRow>> {
    let sql = format!("SELECT {SOURCE_COLS} FROM sources WHERE code = $1");
    sqlx::query(&sql).bind(code).fetch_optional(ex).await?.map(|r| source_row(&r)).transpose()
}

pub async fn list_sources<'e, E: Executor<'e, Database = Any>>(ex: E) -> sqlx::Result<Vec<SourceRow>> {
    let sql = format!("SELECT {SOURCE_COLS} FROM sources ORDER BY code");
    sqlx::query(&sql).fetch_all(ex).await?.iter().map(source_row).collect()
}

pub async fn set_source_secret<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    code: &str,
    secret_enc: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE sources SET secret_enc = $2, updated_at = $3 WHERE code = $1")
        .bind(code)
        .bind(secret_enc)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_source_status<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    code: &str,
    status: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query("UPDATE sources SET status = $2, updated_at = $3 WHERE code = $1")
        .bind(code)
        .bind(status)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// An account as the §9 rules see it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub source: Option<String>,
    pub status: i64,
    /// Its owner has logged in with a password or set one (SPEC §12).
    pub used_directly: bool,
}

const ACCOUNT_SELECT: &str = "SELECT id, mobile, email, source, status, \
     CASE WHEN password_hash IS NOT NULL OR password_login_at IS NOT NULL THEN 1 ELSE 0 END AS used_directly \
     FROM users";

fn account(r: &sqlx::any::AnyRow) -> sqlx::Result<Account> {
    Ok(Account {
        id: r.try_get("id")?,
        mobile: r.try_get("mobile")?,
        email: r.try_get("email")?,
        source: r.try_get("source")?,
        status: r.try_get("status")?,
        used_directly: r.try_get::<i32, _>("used_directly")? == 1,
    })
}

pub async fn account_by_mobile(c: &mut AnyConnection, mobile: &str) -> sqlx::Result<Option<Account>> {
    let sql = format!("{ACCOUNT_SELECT} WHERE mobile = $1");
    sqlx::query(&sql).bind(mobile).fetch_optional(c).await?.map(|r| account(&r)).transpose()
}

/// Without a mobile an import is keyed by user name, but only among the accounts the
/// same source made: another site's "alice" is not this site's "alice".
pub async fn account_by_username(c: &mut AnyConnection, source: &str, username: &str) -> sqlx::Result<Option<Account>> {
    let sql =
        format!("{ACCOUNT_SELECT} WHERE username = $1 AND source = $2 AND mobile IS NULL ORDER BY created_at LIMIT 1");
    sqlx::query(&sql).bind(username).bind(source).fetch_optional(c).await?.map(|r| account(&r)).transpose()
}

pub struct NewSourceUser<'a> {
    pub id: &'a str,
    pub mobile: Option<&'a str>,
    pub username: &'a str,
    pub nickname: &'a str,
    pub source: &'a str,
    pub channel: &'a str,
    pub now: i64,
}

/// A new account with no password, marked with the source and channel that brought it.
pub async fn insert_source_user(c: &mut AnyConnection, u: &NewSourceUser<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO users (id, mobile, username, nickname, source, channel, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(u.id)
    .bind(u.mobile)
    .bind(u.username)
    .bind(u.nickname)
    .bind(u.source)
    .bind(u.channel)
    .bind(u.now)
    .execute(c)
    .await
    .map(|_| ())
}

/// Records that the source's user `external_id` is this account (first link stays).
pub async fn link_user(
    c: &mut AnyConnection,
    source: &str,
    external_id: &str,
    user_id: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO source_users (source, external_id, user_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (source, external_id) DO NOTHING",
    )
    .bind(source)
    .bind(external_id)
    .bind(user_id)
    .bind(now)
    .execute(c)
    .await
    .map(|_| ())
}

/// The user's id at a source, when the source brought them (latest link wins).
pub async fn external_id_of<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    source: &str,
    user_id: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT external_id FROM source_users WHERE source = $1 AND user_id = $2 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(source)
    .bind(user_id)
    .fetch_optional(ex)
    .await
}

/// The sources a user is linked to, active ones only.
pub async fn sources_of_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<SourceRow>> {
    let sql = format!(
        "SELECT {} FROM sources s WHERE s.status = 0 AND s.code IN (SELECT source FROM source_users WHERE user_id = $1) \
         ORDER BY s.code",
        SOURCE_COLS.split(", ").map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ")
    );
    sqlx::query(&sql).bind(user_id).fetch_all(ex).await?.iter().map(source_row).collect()
}

#[derive(Debug, Clone)]
pub struct JointLink {
    pub source: String,
    pub app_id: String,
    pub external_id: String,
    pub mobile: String,
    pub channel: String,
    pub target: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_joint_link<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
    l: &JointLink,
    extra: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO joint_links (token_hash, source, app_id, external_id, mobile, channel, extra, target, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(token_hash)
    .bind(&l.source)
    .bind(&l.app_id)
    .bind(&l.external_id)
    .bind(&l.mobile)
    .bind(&l.channel)
    .bind(extra)
    .bind(&l.target)
    .bind(now)
    .bind(l.expires_at)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Marks the link used if it is live; then reads it (used or not, for the message).
/// Returns the link and whether this call is the one that used it.
pub async fn use_joint_link(
    c: &mut AnyConnection,
    token_hash: &str,
    now: i64,
) -> sqlx::Result<Option<(JointLink, bool)>> {
    let won = sqlx::query(
        "UPDATE joint_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    let row = sqlx::query(
        "SELECT source, app_id, external_id, mobile, channel, target, expires_at, used_at FROM joint_links \
         WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok((
            JointLink {
                source: r.try_get("source")?,
                app_id: r.try_get("app_id")?,
                external_id: r.try_get("external_id")?,
                mobile: r.try_get("mobile")?,
                channel: r.try_get("channel")?,
                target: r.try_get("target")?,
                expires_at: r.try_get("expires_at")?,
                used_at: r.try_get("used_at")?,
            },
            won,
        ))
    })
    .transpose()
}

/// Records an import link's signature as used; false when it already was (a replay).
pub async fn use_import_link<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    source: &str,
    sig: &str,
    expires_at: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "INSERT INTO import_links_used (source, sig, expires_at) VALUES ($1, $2, $3) ON CONFLICT (source, sig) DO NOTHING",
    )
    .bind(source)
    .bind(sig)
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Forgets links that can no longer be used anyway (the worker's cleanup).
pub async fn purge_links<'e, E: Executor<'e, Database = Any> + Copy>(ex: E, now: i64) -> sqlx::Result<u64> {
    let a = sqlx::query("DELETE FROM import_links_used WHERE expires_at < $1").bind(now).execute(ex).await?;
    let b = sqlx::query("DELETE FROM joint_links WHERE expires_at < $1").bind(now - 86_400_000).execute(ex).await?;
    Ok(a.rows_affected() + b.rows_affected())
}

/// A debit in a source's currency (see migration 0007).
#[derive(Debug, Clone)]
pub struct DeductionRow {
    pub id: String,
    pub order_id: String,
    pub source: String,
    pub user_id: String,
    pub external_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub attempts: i64,
    pub created_at: i64,
}

const DEDUCTION_COLS: &str =
    "id, order_id, source, user_id, external_id, amount, currency, status, attempts, created_at";

fn deduction_row(r: &sqlx::any::AnyRow) -> sqlx::Result<DeductionRow> {
    Ok(DeductionRow {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        source: r.try_get("source")?,
        user_id: r.try_get("user_id")?,
        external_id: r.try_get("external_id")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Starts a debit: the order (pending, not expired, no debit in flight) names it, and
/// the row is written, in the caller's transaction. False when the order was not free.
pub async fn begin_deduction(c: &mut AnyConnection, d: &DeductionRow, now: i64) -> sqlx::Result<bool> {
    let taken = sqlx::query(
        "UPDATE orders SET deduction_id = $2, updated_at = $3 \
         WHERE id = $1 AND status = 'pending' AND expires_at > $3 AND deduction_id IS NULL",
    )
    .bind(&d.order_id)
    .bind(&d.id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    if !taken {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO deductions (id, order_id, source, user_id, external_id, amount, currency, status, attempts, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8)",
    )
    .bind(&d.id)
    .bind(&d.order_id)
    .bind(&d.source)
    .bind(&d.user_id)
    .bind(&d.external_id)
    .bind(d.amount)
    .bind(&d.currency)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(true)
}

pub async fn deduction<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<Option<DeductionRow>> {
    let sql = format!("SELECT {DEDUCTION_COLS} FROM deductions WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(ex).await?.map(|r| deduction_row(&r)).transpose()
}

/// The debit an order names (in flight or done), if any.
pub async fn deduction_of_order<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    order_id: &str,
) -> sqlx::Result<Option<DeductionRow>> {
    let sql =
        format!("SELECT {DEDUCTION_COLS} FROM deductions WHERE id = (SELECT deduction_id FROM orders WHERE id = $1)");
    sqlx::query(&sql).bind(order_id).fetch_optional(ex).await?.map(|r| deduction_row(&r)).transpose()
}

/// Counts one unanswered (or unclear) attempt.
pub async fn deduction_attempted<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    error: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE deductions SET attempts = attempts + 1, last_error = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// The source refused: the debit failed and the order is free again.
pub async fn refuse_deduction(c: &mut AnyConnection, id: &str, error: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE deductions SET status = 'failed', attempts = attempts + 1, last_error = $2, updated_at = $3 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE orders SET deduction_id = NULL, updated_at = $2 WHERE deduction_id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The source took the money: the debit succeeded and its order is paid (once).
pub async fn complete_deduction(
    c: &mut AnyConnection,
    d: &DeductionRow,
    open_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE deductions SET status = 'succeeded', attempts = attempts + 1, last_error = NULL, updated_at = $2 \
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(&d.id)
    .bind(now)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    if !done {
        return Ok(false);
    }
    let paid = sqlx::query(
        "UPDATE orders SET status = 'paid', paid_at = $3, payer_user_id = $4, payer_open_id = $5, updated_at = $3 \
         WHERE id = $1 AND deduction_id = $2 AND status = 'pending'",
    )
    .bind(&d.order_id)
    .bind(&d.id)
    .bind(now)
    .bind(&d.user_id)
    .bind(open_id)
    .execute(&mut *c)
    .await?
    .rows_affected()
        == 1;
    Ok(paid)
}

/// Debits still unclear and not touched since `before` (the worker retries them).
pub async fn stale_deductions<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<DeductionRow>> {
    let sql = format!(
        "SELECT {DEDUCTION_COLS} FROM deductions WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2"
    );
    sqlx::query(&sql).bind(before).bind(limit).fetch_all(ex).await?.iter().map(deduction_row).collect()
}
