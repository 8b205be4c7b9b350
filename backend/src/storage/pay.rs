//! Payment state: app pricing, orders (one row per attempt of a `trade_no`), merchant
//! accounts and payment PINs. Balance changes are guarded in SQL (`amount >= x`), so
//! two transactions can never overdraw one balance whatever their interleaving.

use sqlx::{Any, Executor, Row};

/// An app's pricing currency and its fixed rate to the settlement asset.
#[derive(Debug, Clone)]
pub struct Pricing {
    pub currency: String,
    pub price_decimals: i64,
    pub settle_currency: String,
    pub settle_decimals: i64,
    pub rate: String,
}

pub async fn set_pricing<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    currency: &str,
    settle_currency: &str,
    rate: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO app_pricing (app_id, currency, settle_currency, rate, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (app_id) DO UPDATE SET currency = excluded.currency, \
         settle_currency = excluded.settle_currency, rate = excluded.rate, updated_at = excluded.updated_at",
    )
    .bind(app_id)
    .bind(currency)
    .bind(settle_currency)
    .bind(rate)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

pub async fn pricing<'e, E: Executor<'e, Database = Any>>(ex: E, app_id: &str) -> sqlx::Result<Option<Pricing>> {
    let row = sqlx::query(
        "SELECT p.currency, c.decimals AS pd, p.settle_currency, s.decimals AS sd, p.rate FROM app_pricing p \
         JOIN currencies c ON c.code = p.currency JOIN currencies s ON s.code = p.settle_currency \
         WHERE p.app_id = $1",
    )
    .bind(app_id)
    .fetch_optional(ex)
    .await?;
    row.map(|r| {
        Ok(Pricing {
            currency: r.try_get("currency")?,
            price_decimals: r.try_get("pd")?,
            settle_currency: r.try_get("settle_currency")?,
            settle_decimals: r.try_get("sd")?,
            rate: r.try_get("rate")?,
        })
    })
    .transpose()
}

/// One attempt of a partner's `trade_no`.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub app_id: String,
    pub trade_no: String,
    pub attempt: i64,
    pub status: String,
    pub fail_reason: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub price_decimals: i64,
    pub settle_amount: i64,
    pub settle_currency: String,
    pub settle_decimals: i64,
    pub rate: String,
    pub subject: String,
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
    pub payer_open_id: Option<String>,
    pub expire_seconds: Option<i64>,
    pub request_hash: String,
    pub payer_user_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    /// Refunded so far, in the pricing currency and in the settlement asset (SPEC §13).
    pub refunded_amount: i64,
    pub refunded_settle: i64,
    /// The partner-source debit the order names (in flight, or the one that paid it).
    pub deduction_id: Option<String>,
}

/// The columns an order is written with; read back with the refund totals.
const INSERT_COLS: &str = "id, app_id, trade_no, attempt, status, fail_reason, amount, currency, price_decimals, \
     settle_amount, settle_currency, settle_decimals, rate, subject, return_url, notify_url, payer_open_id, expire_seconds, request_hash, \
     payer_user_id, created_at, expires_at, paid_at";
pub(crate) const ORDER_COLS: &str = "id, app_id, trade_no, attempt, status, fail_reason, amount, currency, price_decimals, \
     settle_amount, settle_currency, settle_decimals, rate, subject, return_url, notify_url, payer_open_id, expire_seconds, request_hash, \
     payer_user_id, created_at, expires_at, paid_at, refunded_amount, refunded_settle, deduction_id";

pub(crate) fn order_row(r: &sqlx::any::AnyRow) -> sqlx::Result<OrderRow> {
    Ok(OrderRow {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        trade_no: r.try_get("trade_no")?,
        attempt: r.try_get("attempt")?,
        status: r.try_get("status")?,
        fail_reason: r.try_get("fail_reason")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        price_decimals: r.try_get("price_decimals")?,
        settle_amount: r.try_get("settle_amount")?,
        settle_currency: r.try_get("settle_currency")?,
        settle_decimals: r.try_get("settle_decimals")?,
        rate: r.try_get("rate")?,
        subject: r.try_get("subject")?,
        return_url: r.try_get("return_url")?,
        notify_url: r.try_get("notify_url")?,
        payer_open_id: r.try_get("payer_open_id")?,
        expire_seconds: r.try_get("expire_seconds")?,
        request_hash: r.try_get("request_hash")?,
        payer_user_id: r.try_get("payer_user_id")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        paid_at: r.try_get("paid_at")?,
        refunded_amount: r.try_get("refunded_amount")?,
        refunded_settle: r.try_get("refunded_settle")?,
        deduction_id: r.try_get("deduction_id")?,
    })
}

pub async fn get_order<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> sqlx::Result<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_COLS} FROM orders WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(ex).await?.map(|r| order_row(&r)).transpose()
}

/// The newest attempt of `trade_no` in `app_id`.
pub async fn latest_attempt<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    trade_no: &str,
) -> sqlx::Result<Option<OrderRow>> {
    let sql =
        format!("SELECT {ORDER_COLS} FROM orders WHERE app_id = $1 AND trade_no = $2 ORDER BY attempt DESC LIMIT 1");
    sqlx::query(&sql).bind(app_id).bind(trade_no).fetch_optional(ex).await?.map(|r| order_row(&r)).transpose()
}

pub async fn insert_order<'e, E: Executor<'e, Database = Any>>(ex: E, o: &OrderRow, now: i64) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO orders ({INSERT_COLS}, updated_at) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)"
    );
    sqlx::query(&sql)
        .bind(&o.id)
        .bind(&o.app_id)
        .bind(&o.trade_no)
        .bind(o.attempt)
        .bind(&o.status)
        .bind(&o.fail_reason)
        .bind(o.amount)
        .bind(&o.currency)
        .bind(o.price_decimals)
        .bind(o.settle_amount)
        .bind(&o.settle_currency)
        .bind(o.settle_decimals)
        .bind(&o.rate)
        .bind(&o.subject)
        .bind(&o.return_url)
        .bind(&o.notify_url)
        .bind(&o.payer_open_id)
        .bind(o.expire_seconds)
        .bind(&o.request_hash)
        .bind(&o.payer_user_id)
        .bind(o.created_at)
        .bind(o.expires_at)
        .bind(o.paid_at)
        .bind(now)
        .execute(ex)
        .await
        .map(|_| ())
}

/// A pending order becomes failed with `reason`; false when it was not pending.
pub async fn fail_pending<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    reason: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE orders SET status = 'failed', fail_reason = $2, updated_at = $3 \
         WHERE id = $1 AND status = 'pending' AND deduction_id IS NULL",
    )
    .bind(id)
    .bind(reason)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Marks up to `limit` pending orders whose time ran out as failed (`expired`).
pub async fn expire_due<'e, E: Executor<'e, Database = Any>>(ex: E, now: i64, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "UPDATE orders SET status = 'failed', fail_reason = 'expired', updated_at = $1 WHERE id IN \
         (SELECT id FROM orders WHERE status = 'pending' AND expires_at <= $1 AND deduction_id IS NULL \
         ORDER BY expires_at LIMIT $2) AND status = 'pending' AND deduction_id IS NULL",
    )
    .bind(now)
    .bind(limit)
    .execute(ex)
    .await?;
    Ok(r.rows_affected())
}

/// The claim that decides a payment: pending and not expired → paid by `user_id`.
/// False when another confirmation won, or the order is no longer payable.
pub async fn claim_payment<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    user_id: &str,
    open_id: &str,
    now: i64,
) -> sqlx::Result<bool> {
    let r = sqlx::query(
        "UPDATE orders SET status = 'paid', paid_at = $3, payer_user_id = $2, payer_open_id = $4, updated_at = $3 \
         WHERE id = $1 AND status = 'pending' AND expires_at > $3 AND deduction_id IS NULL",
    )
    .bind(id)
    .bind(user_id)
    .bind(now)
    .bind(open_id)
    .execute(ex)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Takes `amount` from a user's balance; false (nothing changed) when it is short.
pub async fn debit_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    asset: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "UPDATE balances SET amount = amount - $3, updated_at = $4 \
         WHERE user_id = $1 AND asset = $2 AND amount >= $3";
    super::ledger::change(ex, SQL, user_id, asset, amount, now).await
}

/// Adds `amount` to a merchant account; false when it would overflow.
pub async fn credit_merchant<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    asset: &str,
    amount: i64,
    now: i64,
) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO merchant_balances (app_id, asset, amount, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (app_id, asset) DO UPDATE SET amount = merchant_balances.amount + excluded.amount, \
         updated_at = excluded.updated_at WHERE merchant_balances.amount <= 9223372036854775807 - excluded.amount";
    super::ledger::change(ex, SQL, app_id, asset, amount, now).await
}

pub async fn merchant_balance<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    app_id: &str,
    asset: &str,
) -> sqlx::Result<i64> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT amount FROM merchant_balances WHERE app_id = $1 AND asset = $2")
        .bind(app_id)
        .bind(asset)
        .fetch_optional(ex)
        .await?;
    Ok(row.map_or(0, |r| r.0))
}

pub async fn user_balance<'e, E: Executor<'e, Database = Any>>(ex: E, user_id: &str, asset: &str) -> sqlx::Result<i64> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT amount FROM balances WHERE user_id = $1 AND asset = $2")
        .bind(user_id)
        .bind(asset)
        .fetch_optional(ex)
        .await?;
    Ok(row.map_or(0, |r| r.0))
}

/// A user's payment PIN state.
#[derive(Debug, Clone)]
pub struct PinRow {
    pub pin_hash: String,
    pub failures: i64,
    pub locked_until: i64,
}

pub async fn pin<'e, E: Executor<'e, Database = Any>>(ex: E, user_id: &str) -> sqlx::Result<Option<PinRow>> {
    let row: Option<(String, i64, i64)> =
        sqlx::query_as("SELECT pin_hash, failures, locked_until FROM payment_pins WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(ex)
            .await?;
    Ok(row.map(|(pin_hash, failures, locked_until)| PinRow { pin_hash, failures, locked_until }))
}

/// Sets (or replaces) the PIN and clears failures and lock.
pub async fn set_pin<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    hash: &str,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO payment_pins (user_id, pin_hash, failures, locked_until, updated_at) VALUES ($1, $2, 0, 0, $3) \
         ON CONFLICT (user_id) DO UPDATE SET pin_hash = excluded.pin_hash, failures = 0, locked_until = 0, \
         updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(hash)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// Counts a wrong PIN in one statement (concurrent tries cannot both see "4");
/// the `max`-th failure locks until `now + lock_ms` and starts counting afresh.
/// Returns `(failures, locked_until)` after the update.
pub async fn pin_failed<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &str,
    max: i64,
    now: i64,
    lock_ms: i64,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "UPDATE payment_pins SET \
         locked_until = CASE WHEN failures + 1 >= $2 THEN $3 + $4 ELSE locked_until END, \
         failures = CASE WHEN failures + 1 >= $2 THEN 0 ELSE failures + 1 END, updated_at = $3 \
         WHERE user_id = $1 RETURNING failures, locked_until",
    )
    .bind(user_id)
    .bind(max)
    .bind(now)
    .bind(lock_ms)
    .fetch_one(ex)
    .await
}

/// A right PIN clears the failure count.
pub async fn pin_succeeded<'e, E: Executor<'e, Database = Any>>(ex: E, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE payment_pins SET failures = 0 WHERE user_id = $1 AND failures > 0")
        .bind(user_id)
        .execute(ex)
        .await
        .map(|_| ())
}

/// Undoes a claim inside the same transaction (the debit that followed it failed).
pub async fn unclaim_payment<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    restricted_open_id: Option<&str>,
    now: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE orders SET status = 'pending', paid_at = NULL, payer_user_id = NULL, payer_open_id = $2, \
         updated_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(restricted_open_id)
    .bind(now)
    .execute(ex)
    .await
    .map(|_| ())
}

/// One line of a balance journal (`ledger_entries` for users, `merchant_entries`
/// for apps): who, which asset, by how much (signed), why and what it refers to.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub id: String,
    pub owner: String,
    pub asset: String,
    pub delta: i64,
    pub kind: &'static str,
    pub reference: String,
    pub now: i64,
}

/// Which journal an entry goes to.
#[derive(Debug, Clone, Copy)]
pub enum Journal {
    Users,
    Merchants,
}

/// A notification to put in the outbox (owned, for multi-row inserts).
#[derive(Debug, Clone)]
pub struct NewNote {
    pub id: String,
    pub order_id: String,
    pub app_id: String,
    pub event_type: String,
    pub url: String,
    pub payload: String,
    pub now: i64,
}

/// `($1, $2, …), ($k+1, …)` for `rows` rows of `cols` parameters.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=cols).map(|c| format!("${}", r * cols + c)).collect();
            format!("({})", p.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const ROWS_PER_INSERT: usize = 64;

/// Journal entries, a few multi-row statements.
pub async fn insert_journal(conn: &mut sqlx::AnyConnection, journal: Journal, es: &[JournalEntry]) -> sqlx::Result<()> {
    let head = match journal {
        Journal::Users => "INSERT INTO ledger_entries (id, user_id, asset, delta, kind, reference, created_at) VALUES",
        Journal::Merchants => {
            "INSERT INTO merchant_entries (id, app_id, asset, delta, kind, reference, created_at) VALUES"
        }
    };
    for chunk in es.chunks(ROWS_PER_INSERT) {
        let sql = format!("{head} {}", placeholders(chunk.len(), 7));
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q.bind(&e.id).bind(&e.owner).bind(&e.asset).bind(e.delta).bind(e.kind);
            q = q.bind(&e.reference).bind(e.now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Outbox rows of many payments, multi-row statements.
pub async fn insert_notes(conn: &mut sqlx::AnyConnection, ns: &[NewNote]) -> sqlx::Result<()> {
    for chunk in ns.chunks(ROWS_PER_INSERT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|r| {
                let b = r * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, 'pending', 0, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 7,
                    b + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO notifications (id, order_id, app_id, event_type, url, payload, status, attempts, \
             created_at, next_attempt_at, updated_at) VALUES {}",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for n in chunk {
            q = q.bind(&n.id).bind(&n.order_id).bind(&n.app_id).bind(&n.event_type).bind(&n.url);
            q = q.bind(&n.payload).bind(n.now);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}
