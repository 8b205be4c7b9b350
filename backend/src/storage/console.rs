//! Read models of the developer console: the apps an account administers and an
//! app's orders a page at a time (index `orders_app_created`).

use sqlx::{Any, Executor, Row};

use super::pay::{order_row, OrderRow, ORDER_COLS};

/// `(app_id, company_id, name, status)` of every app `user_id` administers.
pub async fn apps_of_admin<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
) -> sqlx::Result<Vec<(String, String, String, i64)>> {
    sqlx::query_as("SELECT id, company_id, name, status FROM apps WHERE admin_user_id = $1 ORDER BY created_at, id")
        .bind(user_id)
        .fetch_all(ex)
        .await
}

/// An order with the state of its newest notification.
#[derive(Debug, Clone)]
pub struct ListedOrder {
    pub order: OrderRow,
    pub notification: Option<String>,
}

/// Orders of `app_id`, newest first, strictly before `before` = `(created_at, id)`,
/// optionally only those of one `trade_no`.
pub async fn orders_page<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    before: Option<(i64, &str)>,
    trade_no: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<ListedOrder>> {
    let (at, id) = before.unwrap_or((i64::MAX, ""));
    let sql = format!(
        "SELECT {ORDER_COLS}, (SELECT n.status FROM notifications n WHERE n.order_id = o.id \
         ORDER BY n.created_at DESC, n.id DESC LIMIT 1) AS notification \
         FROM orders o WHERE o.app_id = $1 AND (o.created_at < $2 OR (o.created_at = $2 AND o.id < $3)) \
         AND ($4 = '' OR o.trade_no = $4) ORDER BY o.created_at DESC, o.id DESC LIMIT $5"
    );
    // `before` absent: created_at < i64::MAX holds for every row.
    let id = if before.is_some() { id } else { "" };
    let rows =
        sqlx::query(&sql).bind(app_id).bind(at).bind(id).bind(trade_no.unwrap_or("")).bind(limit).fetch_all(ex).await?;
    rows.iter().map(|r| Ok(ListedOrder { order: order_row(r)?, notification: r.try_get("notification")? })).collect()
}
