//! The notification outbox and its delivery log. A row is due when it is pending
//! and `next_attempt_at <= now`; the due index holds pending rows only, so polling
//! touches due rows whatever the number of future retries.

use sqlx::Row;

use super::DbKind;

pub struct NewNotification<'a> {
    pub id: &'a str,
    pub order_id: &'a str,
    pub app_id: &'a str,
    pub event_type: &'a str,
    pub url: &'a str,
    pub payload: &'a str,
    pub now: i64,
}

/// One outbox row (the multi-row statement of `pay::insert_notes`, with one row).
pub async fn insert(conn: &mut sqlx::AnyConnection, n: &NewNotification<'_>) -> sqlx::Result<()> {
    let note = super::pay::NewNote {
        id: n.id.to_owned(),
        order_id: n.order_id.to_owned(),
        app_id: n.app_id.to_owned(),
        event_type: n.event_type.to_owned(),
        url: n.url.to_owned(),
        payload: n.payload.to_owned(),
        now: n.now,
    };
    super::pay::insert_notes(conn, std::slice::from_ref(&note)).await
}

/// A claimed delivery.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: String,
    pub app_id: String,
    pub url: String,
    pub payload: String,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    pub first_attempt_at: i64,
}

/// Claims up to `limit` due rows for `lease_ms`: their `next_attempt_at` moves to the
/// lease's end and `lease_token` to `token`, so no other node sends them meanwhile.
/// PostgreSQL skips rows another node is claiming (`SKIP LOCKED`); SQLite has one
/// writer, so its claims are serialized anyway.
pub async fn claim_due(
    conn: &mut sqlx::AnyConnection,
    kind: DbKind,
    now: i64,
    lease_ms: i64,
    token: &str,
    limit: i64,
) -> sqlx::Result<Vec<Due>> {
    let lock = match kind {
        DbKind::Postgres => " FOR UPDATE SKIP LOCKED",
        DbKind::Sqlite => "",
    };
    let sql = format!(
        "UPDATE notifications SET next_attempt_at = $1 + $2, lease_token = $3, attempts = attempts + 1, \
         first_attempt_at = COALESCE(first_attempt_at, $1), updated_at = $1 \
         WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $1 \
         ORDER BY next_attempt_at LIMIT $4{lock}) \
         RETURNING id, app_id, url, payload, attempts, first_attempt_at"
    );
    let rows = sqlx::query(&sql).bind(now).bind(lease_ms).bind(token).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(Due {
                id: r.try_get("id")?,
                app_id: r.try_get("app_id")?,
                url: r.try_get("url")?,
                payload: r.try_get("payload")?,
                attempt: r.try_get("attempts")?,
                first_attempt_at: r.try_get("first_attempt_at")?,
            })
        })
        .collect()
}

/// How an attempt ended, for the row and the log.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub started_at: i64,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    /// `delivered`, `exhausted`, or `pending` with [`Outcome::next_attempt_at`].
    pub status: &'static str,
    pub next_attempt_at: i64,
}

/// Records one attempt and moves the row on — only while this claim still holds it
/// (`lease_token`), so a node whose lease ran out cannot overwrite a newer claim.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    due: &Due,
    token: &str,
    o: &Outcome,
    now: i64,
) -> sqlx::Result<bool> {
    sqlx::query(
        "INSERT INTO notification_attempts (notification_id, attempt, started_at, latency_ms, http_status, error) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&due.id)
    .bind(due.attempt)
    .bind(o.started_at)
    .bind(o.latency_ms)
    .bind(o.http_status)
    .bind(&o.error)
    .execute(&mut *conn)
    .await?;
    let delivered_at = (o.status == "delivered").then_some(now);
    let r = sqlx::query(
        "UPDATE notifications SET status = $3, next_attempt_at = $4, delivered_at = $5, lease_token = NULL, \
         updated_at = $6 WHERE id = $1 AND lease_token = $2",
    )
    .bind(&due.id)
    .bind(token)
    .bind(o.status)
    .bind(o.next_attempt_at)
    .bind(delivered_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// One notification of an order with its attempts, for the delivery log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    pub id: String,
    pub event_type: String,
    pub url: String,
    pub status: String,
    pub created_at: i64,
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub attempts: Vec<Attempt>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Attempt {
    pub attempt: i64,
    pub started_at: i64,
    pub latency_ms: i64,
    pub http_status: Option<i64>,
    pub error: Option<String>,
}

/// `(attempt, started_at, latency_ms, http_status, error)`.
type AttemptRow = (i64, i64, i64, Option<i64>, Option<String>);

/// Every notification of `order_id` (newest first) with every attempt.
pub async fn deliveries_of_order(pool: &sqlx::AnyPool, order_id: &str) -> sqlx::Result<Vec<Delivery>> {
    let rows = sqlx::query(
        "SELECT id, event_type, url, status, created_at, next_attempt_at, delivered_at FROM notifications \
         WHERE order_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(order_id)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let status: String = r.try_get("status")?;
        let attempts: Vec<AttemptRow> = sqlx::query_as(
            "SELECT attempt, started_at, latency_ms, http_status, error FROM notification_attempts \
             WHERE notification_id = $1 ORDER BY attempt",
        )
        .bind(&id)
        .fetch_all(pool)
        .await?;
        let next: i64 = r.try_get("next_attempt_at")?;
        out.push(Delivery {
            next_attempt_at: (status == "pending").then_some(next),
            id,
            event_type: r.try_get("event_type")?,
            url: r.try_get("url")?,
            status,
            created_at: r.try_get("created_at")?,
            delivered_at: r.try_get("delivered_at")?,
            attempts: attempts
                .into_iter()
                .map(|(attempt, started_at, latency_ms, http_status, error)| Attempt {
                    attempt,
                    started_at,
                    latency_ms,
                    http_status,
                    error,
                })
                .collect(),
        });
    }
    Ok(out)
}
