//! Paying an order in a partner source's own currency (SPEC §6.2, §9): the platform
//! asks the source (through its deduction adapter, `inbound::deduct`) to take the
//! money and, when it says it did, the order is paid, the merchant credited and the
//! notification written in one transaction by `pay::settle`, exactly as a balance
//! payment (minus the user's platform balance).
//!
//! Never twice: a debit has one id for life (`ded_…`), which every retry carries and
//! the source must treat idempotently; while it is unclear the order names it
//! (`orders.deduction_id`), so nothing else can pay, close or expire the order; the
//! worker's `source_retries` job keeps asking with the same id after a timeout or a
//! crash.

use std::time::Duration;

use opengate_shared::amount::format_amount;
use opengate_shared::h5api::SourceOption;

use super::confirm::{check_pin, order_for_user, payer_open_id, state_error};
use super::orders::notify_url_of;
use super::settle::{self, Payment};
use super::{PayError, Result};
use crate::inbound::deduct::{self, Answer};
use crate::inbound::{active_source, Source};
use crate::state::AppState;
use crate::storage::inbound::{self as store, DeductionRow};
use crate::storage::pay::{self as pay_store, OrderRow};
use crate::storage::users;

fn internal(e: impl std::fmt::Display) -> PayError {
    PayError::Internal(anyhow::anyhow!("{e}"))
}

async fn source_amount(st: &AppState, src: &Source, o: &OrderRow) -> Result<Option<(i64, u32)>> {
    deduct::source_amount(st, src, o.settle_amount, o.settle_decimals)
        .await
        .map_err(|e| PayError::Invalid(e.to_string()))
}

/// The ways this user may pay this order through a source.
pub async fn options(st: &AppState, user_id: &str, o: &OrderRow) -> Result<Vec<SourceOption>> {
    let mut out = Vec::new();
    for row in store::sources_of_user(&st.db.pool, user_id).await? {
        let src = Source::from_row(st, row).map_err(internal)?;
        if let (Some((amount, d)), Some(cur)) = (source_amount(st, &src, o).await?, &src.currency) {
            out.push(SourceOption {
                code: src.code.clone(),
                name: src.name.clone(),
                amount: format_amount(amount, d),
                currency: cur.clone(),
            });
        }
    }
    Ok(out)
}

/// The source took the money: paid, credited, notified (once, whoever gets here first).
async fn finish(st: &AppState, d: &DeductionRow, o: &OrderRow) -> Result<OrderRow> {
    let open_id = payer_open_id(st, &d.user_id, &o.app_id).await?;
    let notify_url = notify_url_of(st, o).await?;
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    let mut woke = false;
    if let Some(row) = settle::claim_from_source(&mut w.tx, d, o, &open_id, now).await? {
        woke = notify_url.is_some();
        let p = Payment { order: row, from_balance: false, notify_url, now };
        settle::post_payments(&mut w.tx, std::slice::from_ref(&p)).await?;
    }
    w.commit().await?;
    if woke {
        st.notifier.wake();
    }
    tracing::info!(order_id = %o.id, deduction = %d.id, "source debit confirmed");
    pay_store::get_order(&st.db.pool, &o.id).await?.ok_or(PayError::NotFound)
}

/// One round of asking; Ok(None) when still unclear.
async fn resolve(st: &AppState, src: &Source, d: &DeductionRow, o: &OrderRow) -> Result<Option<OrderRow>> {
    match deduct::debit(st, src, d, &o.subject).await {
        Answer::Taken => finish(st, d, o).await.map(Some),
        Answer::Refused(why) => {
            let now = st.clock.now_ms();
            let mut w = st.db.begin_write().await?;
            store::refuse_deduction(&mut w.tx, &d.id, &why, now).await?;
            w.commit().await?;
            Err(PayError::SourceRefused(format!("{} refused the payment: {why}", src.name)))
        }
        Answer::Unclear(why) => {
            tracing::warn!(deduction = %d.id, error = %why, "source debit unclear; will retry with the same id");
            store::deduction_attempted(&st.db.pool, &d.id, &why, st.clock.now_ms()).await?;
            Ok(None)
        }
    }
}

/// The user pays `order_id` through source `code`, confirming with their PIN.
pub async fn pay_with_source(st: &AppState, order_id: &str, user_id: &str, code: &str, pin: &str) -> Result<OrderRow> {
    let (o, _) = order_for_user(st, order_id, user_id).await?;
    if o.status != "pending" {
        return Err(state_error(&o, user_id));
    }
    let src = active_source(st, code)
        .await
        .map_err(internal)?
        .ok_or_else(|| PayError::Invalid("source: no such partner site".into()))?;
    let Some(external_id) = store::external_id_of(&st.db.pool, &src.code, user_id).await? else {
        return Err(PayError::Invalid(format!("source: your account did not come from {}", src.name)));
    };
    let Some((amount, _)) = source_amount(st, &src, &o).await? else {
        return Err(PayError::Invalid(format!("source: {} does not take payments", src.name)));
    };
    let user = users::find(&st.db.pool, user_id).await?.ok_or(PayError::NotFound)?;
    if user.trading_frozen {
        return Err(PayError::Frozen);
    }
    check_pin(st, user_id, pin).await?;
    let d = match store::deduction_of_order(&st.db.pool, &o.id).await? {
        // An unclear debit of this user through this source: ask again under its id.
        Some(d) if d.status == "pending" && d.user_id == user_id && d.source == src.code => d,
        Some(d) if d.status == "pending" => {
            return Err(PayError::BadState(format!("another payment of this order is being confirmed ({})", d.id)))
        }
        _ => {
            let d = DeductionRow {
                id: crate::crypto::new_id("ded"),
                order_id: o.id.clone(),
                source: src.code.clone(),
                user_id: user_id.to_owned(),
                external_id,
                amount,
                currency: src.currency.clone().unwrap_or_default(),
                status: "pending".into(),
                attempts: 0,
                created_at: st.clock.now_ms(),
            };
            let mut w = st.db.begin_write().await?;
            let started = store::begin_deduction(&mut w.tx, &d, d.created_at).await?;
            w.commit().await?;
            if !started {
                let (now_state, _) = order_for_user(st, order_id, user_id).await?;
                return Err(state_error(&now_state, user_id));
            }
            d
        }
    };
    for attempt in 0..st.config.deduct_attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        if let Some(paid) = resolve(st, &src, &d, &o).await? {
            return Ok(paid);
        }
    }
    Err(PayError::SourcePending)
}

/// The worker's `source_retries` job: every debit left unclear (a timeout, a crash)
/// for 10 s is asked again with its own id, until the source says taken or refused.
/// Returns how many were asked.
pub async fn retry_unclear_debits(st: &AppState) -> anyhow::Result<usize> {
    let due = store::stale_deductions(&st.db.pool, st.clock.now_ms() - 10_000, 50).await?;
    for d in &due {
        let Some(row) = store::get_source(&st.db.pool, &d.source).await? else { continue };
        let src = Source::from_row(st, row).map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(o) = pay_store::get_order(&st.db.pool, &d.order_id).await? else { continue };
        if let Err(e) = resolve(st, &src, d, &o).await {
            if !matches!(e, PayError::SourceRefused(_)) {
                tracing::warn!(deduction = %d.id, error = %e, "retrying a source debit failed");
            }
        }
    }
    Ok(due.len())
}
