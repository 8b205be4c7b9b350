//! Daily statements (SPEC §13): every payment and refund of an app settled on one UTC
//! day, as CSV (the `csv` crate), for the partner to reconcile against.
//!
//! Columns: `type,time,order_id,trade_no,refund_id,refund_no,open_id,payments,refunds,
//! amount,currency,settle_amount,settle_currency`. A `payment` row is an order paid
//! that day (`time` = `paid_at`); a `refund` row a refund that succeeded that day
//! (`time` = `refunded_at`), with negative amounts. Each row counts itself in
//! `payments` or `refunds` (1 or 0), so the closing `total` line (`time` = the date),
//! one per currency pair, is the sum of each numeric column. Rows are in time order.
//! A day's rows are fixed once it is over: nothing settles in the past.

use opengate_shared::amount::format_amount;

use super::{decimals, PayError, Result};
use crate::state::AppState;
use crate::storage::{apps, pay as pay_store};

const DAY_MS: i64 = 86_400_000;

/// The UTC day `YYYY-MM-DD` as `[start, end)` in unix ms.
pub fn day_range(date: &str) -> Result<(i64, i64)> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let bad = || PayError::Invalid("date: must be a UTC day as YYYY-MM-DD".into());
    if date.len() != 10 {
        return Err(bad());
    }
    let d = time::Date::parse(date, &fmt).map_err(|_| bad())?;
    let start = d.midnight().assume_utc().unix_timestamp() * 1000;
    Ok((start, start + DAY_MS))
}

/// One row: a payment or a refund.
struct Line {
    kind: &'static str,
    time_ms: i64,
    order_id: String,
    trade_no: String,
    refund_id: String,
    refund_no: String,
    open_id: String,
    amount: i64,
    currency: String,
    price_decimals: i64,
    settle_amount: i64,
    settle_currency: String,
    settle_decimals: i64,
}

/// `GET /open/v1/pay/statements?date=`: the CSV text, and whether the day is over
/// (a statement of today can still grow).
pub async fn daily(st: &AppState, app_id: &str, date: &str) -> Result<(String, bool)> {
    if !apps::has_permission(&st.db.pool, app_id, "pay").await? {
        return Err(PayError::NoPermission);
    }
    let (start, end) = day_range(date)?;
    let now = st.clock.now_ms();
    if start > now {
        return Err(PayError::Invalid(format!("date: {date} has not begun yet (UTC)")));
    }
    let mut lines = Vec::new();
    type PaymentLine = (String, String, Option<String>, i64, String, i64, i64, String, i64, i64);
    let payments: Vec<PaymentLine> = sqlx::query_as(
        "SELECT id, trade_no, payer_open_id, amount, currency, price_decimals, settle_amount, settle_currency, \
         settle_decimals, paid_at FROM orders WHERE app_id = $1 AND status = 'paid' AND paid_at >= $2 AND paid_at < $3",
    )
    .bind(app_id)
    .bind(start)
    .bind(end)
    .fetch_all(&st.db.pool)
    .await?;
    for (id, trade_no, open_id, amount, currency, pd, settle, settle_currency, sd, paid_at) in payments {
        lines.push(Line {
            kind: "payment",
            time_ms: paid_at,
            order_id: id,
            trade_no,
            refund_id: String::new(),
            refund_no: String::new(),
            open_id: open_id.unwrap_or_default(),
            amount,
            currency,
            price_decimals: pd,
            settle_amount: settle,
            settle_currency,
            settle_decimals: sd,
        });
    }
    type RefundLine = (String, String, String, String, Option<String>, i64, String, i64, i64, String, i64, i64);
    let refunds: Vec<RefundLine> = sqlx::query_as(
        "SELECT r.id, r.refund_no, r.order_id, r.trade_no, o.payer_open_id, r.amount, r.currency, r.price_decimals, \
         r.settle_amount, r.settle_currency, r.settle_decimals, r.refunded_at FROM refunds r \
         JOIN orders o ON o.id = r.order_id \
         WHERE r.app_id = $1 AND r.status = 'succeeded' AND r.refunded_at >= $2 AND r.refunded_at < $3",
    )
    .bind(app_id)
    .bind(start)
    .bind(end)
    .fetch_all(&st.db.pool)
    .await?;
    for (id, refund_no, order_id, trade_no, open_id, amount, currency, pd, settle, settle_currency, sd, at) in refunds {
        lines.push(Line {
            kind: "refund",
            time_ms: at,
            order_id,
            trade_no,
            refund_id: id,
            refund_no,
            open_id: open_id.unwrap_or_default(),
            amount: -amount,
            currency,
            price_decimals: pd,
            settle_amount: -settle,
            settle_currency,
            settle_decimals: sd,
        });
    }
    lines.sort_by(|a, b| (a.time_ms, &a.order_id, &a.refund_id).cmp(&(b.time_ms, &b.order_id, &b.refund_id)));
    let pricing = pay_store::pricing(&st.db.pool, app_id).await?;
    let csv = write(date, &lines, pricing.as_ref()).map_err(|e| PayError::Internal(anyhow::anyhow!(e)))?;
    Ok((csv, end <= now))
}

/// A signed amount with the currency's decimals (`-5.00`).
fn signed(v: i64, d: i64) -> String {
    let s = format_amount(v.unsigned_abs().min(i64::MAX as u64) as i64, decimals(d));
    if v < 0 {
        format!("-{s}")
    } else {
        s
    }
}

fn write(date: &str, lines: &[Line], pricing: Option<&pay_store::Pricing>) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "type",
        "time",
        "order_id",
        "trade_no",
        "refund_id",
        "refund_no",
        "open_id",
        "payments",
        "refunds",
        "amount",
        "currency",
        "settle_amount",
        "settle_currency",
    ])?;
    // Totals per (currency, decimals, settle currency, decimals), in first-seen order:
    // payments, refunds, amount, settle amount.
    type Pair = (String, i64, String, i64);
    let mut totals: Vec<(Pair, [i64; 4])> = Vec::new();
    for l in lines {
        let payment = l.kind == "payment";
        w.write_record([
            l.kind,
            &(l.time_ms.div_euclid(1000)).to_string(),
            &l.order_id,
            &l.trade_no,
            &l.refund_id,
            &l.refund_no,
            &l.open_id,
            if payment { "1" } else { "0" },
            if payment { "0" } else { "1" },
            &signed(l.amount, l.price_decimals),
            &l.currency,
            &signed(l.settle_amount, l.settle_decimals),
            &l.settle_currency,
        ])?;
        let key = (l.currency.clone(), l.price_decimals, l.settle_currency.clone(), l.settle_decimals);
        let i = match totals.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                totals.push((key, [0; 4]));
                totals.len() - 1
            }
        };
        let t = &mut totals[i].1;
        t[usize::from(!payment)] += 1;
        t[2] = t[2].checked_add(l.amount).ok_or_else(|| anyhow::anyhow!("statement total overflow"))?;
        t[3] = t[3].checked_add(l.settle_amount).ok_or_else(|| anyhow::anyhow!("statement total overflow"))?;
    }
    if totals.is_empty() {
        if let Some(p) = pricing {
            totals.push(((p.currency.clone(), p.price_decimals, p.settle_currency.clone(), p.settle_decimals), [0; 4]));
        }
    }
    for ((cur, pd, settle_cur, sd), t) in &totals {
        w.write_record([
            "total",
            date,
            "",
            "",
            "",
            "",
            "",
            &t[0].to_string(),
            &t[1].to_string(),
            &signed(t[2], *pd),
            cur,
            &signed(t[3], *sd),
            settle_cur,
        ])?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_strict_utc_dates() {
        assert_eq!(day_range("1970-01-02").ok(), Some((DAY_MS, 2 * DAY_MS)));
        assert_eq!(day_range("2026-12-05").ok().map(|r| r.0), Some(1_796_428_800_000));
        for bad in ["", "2026-1-05", "2026-02-30", "2026-12-05T00", "26-12-05", "2026/12/05", " 2026-12-05"] {
            assert!(day_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn signed_amounts() {
        assert_eq!(signed(-500, 2), "-5.00");
        assert_eq!(signed(126, 2), "1.26");
        assert_eq!(signed(0, 2), "0.00");
    }
}
