//! Refunds (SPEC §13, migration 0008) and the order totals that reserve them.

use sqlx::{Any, AnyConnection, Executor, Row};

use super::DbKind;

/// One refund of an order.
#[derive(Debug, Clone)]
pub struct RefundRow {
    pub id: String,
    pub app_id: String,
    pub refund_no: String,
    pub order_id: String,
    pub trade_no: String,
    pub status: String,
    pub fail_reason: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub price_decimals: i64,
    pub settle_amount: i64,
    pub settle_currency: String,
    pub settle_decimals: i64,
    pub reason: Option<String>,
    pub request_hash: String,
    pub user_id: Option<String>,
    pub deduction_id: Option<String>,
    pub source_amount: Option<i64>,
    pub attempts: i64,
    pub created_at: i64,
    pub refunded_at: Option<i64>,
}

const COLS: &str = "id, app_id, refund_no, order_id, trade_no, status, fail_reason, amount, currency, price_decimals, \
     settle_amount, settle_currency, settle_decimals, reason, request_hash, user_id, deduction_id, source_amount, \
     attempts, created_at, refunded_at";

fn row(r: &sqlx::any::AnyRow) -> sqlx::Result<RefundRow> {
    Ok(RefundRow {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        refund_no: r.try_get("refund_no")?,
        order_id: r.try_get("order_id")?,
        trade_no: r.try_get("trade_no")?,
        status: r.try_get("status")?,
        fail_reason: r.try_get("fail_reason")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        price_decimals: r.try_get("price_decimals")?,
        settle_amount: r.try_get("settle_amount")?,
        settle_currency: r.try_get("settle_currency")?,
        settle_decimals: r.try_get("settle_decimals")?,
        reason: r.try_get("reason")?,
        request_hash: r.try_get("request_hash")?,
        user_id: r.try_get("user_id")?,
        deduction_id: r.try_get("deduction_id")?,
        source_amount: r.try_get("source_amount")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
        refunded_at: r.try_get("refunded_at")?,
    })
}

pub async fn by_refund_no<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    refund_no: &str,
) -> sqlx::Result<Option<RefundRow>> {
    let sql = format!("SELECT {COLS} FROM refunds WHERE app_id = $1 AND refund_no = $2");
    sqlx::query(&sql).bind(app_id).bind(refund_no).fetch_optional(ex).await?.map(|r| row(&r)).transpose()
}

pub async fn get<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<Option<RefundRow>> {
    let sql = format!("SELECT {COLS} FROM refunds WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(ex).await?.map(|r| row(&r)).transpose()
}

/// Every refund of an app's `trade_no`, oldest first.
pub async fn of_trade_no<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    trade_no: &str,
) -> sqlx::Result<Vec<RefundRow>> {
    let sql = format!("SELECT {COLS} FROM refunds WHERE app_id = $1 AND trade_no = $2 ORDER BY created_at, id");
    sqlx::query(&sql).bind(app_id).bind(trade_no).fetch_all(ex).await?.iter().map(row).collect()
}

pub async fn insert(c: &mut AnyConnection, r: &RefundRow, now: i64) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO refunds ({COLS}, updated_at) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
    );
    sqlx::query(&sql)
        .bind(&r.id)
        .bind(&r.app_id)
        .bind(&r.refund_no)
        .bind(&r.order_id)
        .bind(&r.trade_no)
        .bind(&r.status)
        .bind(&r.fail_reason)
        .bind(r.amount)
        .bind(&r.currency)
        .bind(r.price_decimals)
        .bind(r.settle_amount)
        .bind(&r.settle_currency)
        .bind(r.settle_decimals)
        .bind(&r.reason)
        .bind(&r.request_hash)
        .bind(&r.user_id)
        .bind(&r.deduction_id)
        .bind(r.source_amount)
        .bind(r.attempts)
        .bind(r.created_at)
        .bind(r.refunded_at)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|_| ())
}

/// The refund totals of a paid order, read for update: on PostgreSQL the row stays
/// locked until the transaction ends, so concurrent refunds of one order queue here
/// (SQLite has one writer anyway). None when the order is not paid.
pub async fn refund_totals_for_update(
    c: &mut AnyConnection,
    kind: DbKind,
    order_id: &str,
) -> sqlx::Result<Option<(i64, i64)>> {
    let lock = match kind {
        DbKind::Postgres => " FOR UPDATE",
        DbKind::Sqlite => "",
    };
    let sql = format!("SELECT refunded_amount, refunded_settle FROM orders WHERE id = $1 AND status = 'paid'{lock}");
    let r: Option<(i64, i64)> = sqlx::query_as(&sql).bind(order_id).fetch_optional(&mut *c).await?;
    Ok(r)
}

/// Moves the order's refund totals from `before` by `delta` (both `(amount, settle)`);
/// guarded on `before` and on never exceeding what was paid. False when either guard
/// failed (nothing changed).
pub async fn move_refund_totals(
    c: &mut AnyConnection,
    order_id: &str,
    before: (i64, i64),
    delta: (i64, i64),
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE orders SET refunded_amount = refunded_amount + $4, refunded_settle = refunded_settle + $5, \
         updated_at = $6 WHERE id = $1 AND status = 'paid' AND refunded_amount = $2 AND refunded_settle = $3 \
         AND refunded_amount + $4 BETWEEN 0 AND amount AND refunded_settle + $5 BETWEEN 0 AND settle_amount",
    )
    .bind(order_id)
    .bind(before.0)
    .bind(before.1)
    .bind(delta.0)
    .bind(delta.1)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Takes `amount` from a merchant account; false (nothing changed) when it is short.
pub async fn debit_merchant(
    c: &mut AnyConnection,
    app_id: &str,
    asset: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE merchant_balances SET amount = amount - $3, updated_at = $4 \
         WHERE app_id = $1 AND asset = $2 AND amount >= $3";
    super::ledger::change(&mut *c, SQL, app_id, asset, amount, now).await
}

/// A pending refund (source credit) succeeded; false when it was not pending.
pub async fn succeed(c: &mut AnyConnection, id: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE refunds SET status = 'succeeded', attempts = attempts + 1, last_error = NULL, refunded_at = $2, \
         updated_at = $2 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A pending refund failed for good; false when it was not pending.
pub async fn fail(c: &mut AnyConnection, id: &str, why: &str, now: i64) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE refunds SET status = 'failed', fail_reason = $2, attempts = attempts + 1, last_error = $2, \
         updated_at = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(why)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Counts one unanswered (or unclear) attempt of a pending refund.
pub async fn attempted<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    error: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE refunds SET attempts = attempts + 1, last_error = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Pending refunds not touched since `before` (the worker asks their source again).
pub async fn stale<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<RefundRow>> {
    let sql =
        format!("SELECT {COLS} FROM refunds WHERE status = 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2");
    sqlx::query(&sql).bind(before).bind(limit).fetch_all(ex).await?.iter().map(row).collect()
}
