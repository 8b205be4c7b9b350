//! A user's own payment history for the H5 (issue 16): the orders the user paid and
//! each one's refunds. Read-only; the newest payments first, a bounded page.

use sqlx::{AnyPool, Row};

/// One paid order of the user, with what its merchant is called.
#[derive(Debug, Clone)]
pub struct PaidOrder {
    pub order_id: String,
    pub merchant_name: String,
    pub subject: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub price_decimals: i64,
    pub settle_amount: i64,
    pub settle_currency: String,
    pub settle_decimals: i64,
    pub refunded_amount: i64,
    pub paid_at: Option<i64>,
}

/// One refund of one of those orders.
#[derive(Debug, Clone)]
pub struct OrderRefund {
    pub order_id: String,
    pub refund_no: String,
    pub status: String,
    pub amount: i64,
    pub settle_amount: i64,
    pub created_at: i64,
    pub refunded_at: Option<i64>,
}

/// The user's paid orders, newest first (at most `limit`). Only orders whose payer
/// is this user: another user's orders never show, whoever the merchant is.
pub async fn paid_orders(pool: &AnyPool, user_id: &str, limit: i64) -> sqlx::Result<Vec<PaidOrder>> {
    let rows = sqlx::query(
        "SELECT o.id, a.name, o.subject, o.status, o.amount, o.currency, o.price_decimals, o.settle_amount, \
         o.settle_currency, o.settle_decimals, o.refunded_amount, o.paid_at \
         FROM orders o JOIN apps a ON a.id = o.app_id \
         WHERE o.payer_user_id = $1 AND o.status = 'paid' \
         ORDER BY o.paid_at DESC, o.id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PaidOrder {
                order_id: r.try_get("id")?,
                merchant_name: r.try_get("name")?,
                subject: r.try_get("subject")?,
                status: r.try_get("status")?,
                amount: r.try_get("amount")?,
                currency: r.try_get("currency")?,
                price_decimals: r.try_get("price_decimals")?,
                settle_amount: r.try_get("settle_amount")?,
                settle_currency: r.try_get("settle_currency")?,
                settle_decimals: r.try_get("settle_decimals")?,
                refunded_amount: r.try_get("refunded_amount")?,
                paid_at: r.try_get("paid_at")?,
            })
        })
        .collect()
}

/// The refunds of the orders [`paid_orders`] answers (same user, same `limit`),
/// oldest first.
pub async fn refunds_of_paid_orders(pool: &AnyPool, user_id: &str, limit: i64) -> sqlx::Result<Vec<OrderRefund>> {
    let rows = sqlx::query(
        "SELECT order_id, refund_no, status, amount, settle_amount, created_at, refunded_at FROM refunds \
         WHERE order_id IN (SELECT o.id FROM orders o WHERE o.payer_user_id = $1 AND o.status = 'paid' \
                            ORDER BY o.paid_at DESC, o.id DESC LIMIT $2) \
         ORDER BY created_at, id",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OrderRefund {
                order_id: r.try_get("order_id")?,
                refund_no: r.try_get("refund_no")?,
                status: r.try_get("status")?,
                amount: r.try_get("amount")?,
                settle_amount: r.try_get("settle_amount")?,
                created_at: r.try_get("created_at")?,
                refunded_at: r.try_get("refunded_at")?,
            })
        })
        .collect()
}
