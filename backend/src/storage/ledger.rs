//! Currencies, balances and the append-only journal of balance changes.

use sqlx::{Any, Executor};

pub async fn upsert_currency<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    code: &str,
    decimals: i64,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO currencies (code, decimals, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (code) DO UPDATE SET decimals = excluded.decimals",
    )
    .bind(code)
    .bind(decimals)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn currency_decimals<'e, E: Executor<'e, Database = Any>>(ex: E, code: &str) -> sqlx::Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT decimals FROM currencies WHERE code = $1").bind(code).fetch_optional(ex).await?;
    Ok(row.map(|r| r.0))
}

/// Runs one balance statement whose parameters are `(owner, asset, amount, now)`;
/// true when it changed a row (its guard held).
pub(crate) async fn change<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    sql: &'static str,
    owner: &str,
    asset: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(sql).bind(owner).bind(asset).bind(amount).bind(now).execute(ex).await?;
    Ok(r.rows_affected() == 1)
}

/// Adds `amount` (> 0) to the balance; false when the balance would overflow.
pub async fn add_to_balance<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    asset: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO balances (user_id, asset, amount, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, asset) DO UPDATE SET amount = balances.amount + excluded.amount, \
         updated_at = excluded.updated_at WHERE balances.amount <= 9223372036854775807 - excluded.amount";
    change(ex, SQL, user_id, asset, amount, now).await
}

/// `(asset, amount_minor)` of every balance the user holds.
pub async fn balances<'e, E: Executor<'e, Database = Any>>(ex: E, user_id: &str) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT asset, amount FROM balances WHERE user_id = $1 ORDER BY asset")
        .bind(user_id)
        .fetch_all(ex)
        .await
}
