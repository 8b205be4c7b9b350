//! Paying an order in a source's own currency (SPEC §6.2, §9; the third seed
//! document's "海米"): the platform posts a signed debit to the source's deduction
//! endpoint and, when the source says it took the money, the order is paid, the
//! merchant credited and the notification written in one transaction, exactly as a
//! balance payment (minus the user's platform balance).
//!
//! Never twice: a debit has one id for life (`ded_…`), which every retry carries and
//! the source must treat idempotently; while it is unclear the order names it
//! (`orders.deduction_id`), so nothing else can pay, close or expire the order; the
//! worker keeps asking with the same id after a timeout or a crash.
//!
//! The debit request: `POST deduct_url`, headers `X-OG-Source`, `X-OG-Timestamp`,
//! `X-OG-Signature` (`shared::source::sign_call`), body
//! `{"id","uid","amount","currency","order_id","subject","created_at"}`. Answers:
//! HTTP 200 `{"success":true}` (taken, now or before under this id), HTTP 200
//! `{"success":false,"message":…}` (refused for good); anything else is unclear.

use std::time::Duration;

use opengate_shared::amount::format_amount;
use opengate_shared::h5api::SourceOption;
use opengate_shared::source;
use serde_json::{json, Value};

use super::{active_source, Source};
use crate::pay::confirm::{check_pin, order_for_user, payer_open_id, state_error};
use crate::pay::{orders::notify_url_of, PayError};
use crate::state::AppState;
use crate::storage::inbound::{self as store, DeductionRow};
use crate::storage::pay::{self as pay_store, OrderRow};
use crate::storage::{ledger, users};

type Result<T> = std::result::Result<T, PayError>;

enum Answer {
    Taken,
    Refused(String),
    Unclear(String),
}

/// The source's amount for an order: settle amount × the source's rate, rounded up.
async fn source_amount(st: &AppState, src: &Source, o: &OrderRow) -> Result<Option<(i64, u32)>> {
    let (Some(cur), Some(rate), Some(_)) = (&src.currency, src.rate, &src.deduct_url) else { return Ok(None) };
    let Some(decimals) = ledger::currency_decimals(&st.db.pool, cur).await? else { return Ok(None) };
    let d = u32::try_from(decimals).unwrap_or(0);
    let settle_d = u32::try_from(o.settle_decimals).unwrap_or(0);
    let amount = opengate_shared::pay::settle_amount(o.settle_amount, settle_d, rate, d)
        .map_err(|e| PayError::Invalid(format!("amount: {e}")))?;
    Ok(Some((amount, d)))
}

/// The ways this user may pay this order through a source.
pub async fn options(st: &AppState, user_id: &str, o: &OrderRow) -> Result<Vec<SourceOption>> {
    let mut out = Vec::new();
    for row in store::sources_of_user(&st.db.pool, user_id).await? {
        let src = Source::from_row(st, row).map_err(|e| PayError::Internal(anyhow::anyhow!(e)))?;
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

async fn ask(st: &AppState, src: &Source, d: &DeductionRow, o: &OrderRow) -> Answer {
    let Some(url) = src.deduct_url.as_deref() else { return Answer::Unclear("the source has no deduction URL".into()) };
    let decimals = ledger::currency_decimals(&st.db.pool, &d.currency).await.ok().flatten().unwrap_or(0);
    let body = json!({
        "id": d.id, "uid": d.external_id, "amount": format_amount(d.amount, u32::try_from(decimals).unwrap_or(0)),
        "currency": d.currency, "order_id": d.order_id, "subject": o.subject, "created_at": d.created_at / 1000,
    })
    .to_string()
    .into_bytes();
    let Ok(parsed) = url::Url::parse(url) else { return Answer::Unclear("the deduction URL is not a URL".into()) };
    let mut pq = parsed.path().to_owned();
    if let Some(q) = parsed.query() {
        pq.push('?');
        pq.push_str(q);
    }
    let ts = st.clock.now_secs();
    let headers = [
        (source::HEADER_SOURCE, src.code.clone()),
        (source::HEADER_TIMESTAMP, ts.to_string()),
        (source::HEADER_SIGNATURE, source::sign_call(&src.secret, "POST", &pq, ts, &body)),
    ];
    let timeout = Duration::from_millis(st.config.source_timeout_ms);
    match st.notifier.client.call(reqwest::Method::POST, url, &headers, Some(body), timeout).await {
        Err(e) => Answer::Unclear(e),
        Ok(a) if a.status != 200 => Answer::Unclear(format!("HTTP {}", a.status)),
        Ok(a) => match serde_json::from_slice::<Value>(&a.body) {
            Ok(v) if v["success"] == true => Answer::Taken,
            Ok(v) if v["success"] == false => {
                let why = v["message"].as_str().or(v["code"].as_str()).unwrap_or("refused").chars().take(200).collect();
                Answer::Refused(why)
            }
            _ => Answer::Unclear("an answer without success true or false".into()),
        },
    }
}

/// The source took the money: paid, credited, notified (once, whoever gets here first).
async fn finish(st: &AppState, d: &DeductionRow, o: &OrderRow) -> Result<OrderRow> {
    let open_id = payer_open_id(st, &d.user_id, &o.app_id).await?;
    let notify_url = notify_url_of(st, o).await?;
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await.map_err(anyhow::Error::from)?;
    let paid = store::complete_deduction(&mut w.tx, d, &open_id, now).await.map_err(anyhow::Error::from)?;
    let mut woke = false;
    if paid {
        if !pay_store::credit_merchant(&mut *w.tx, &o.app_id, &o.settle_currency, o.settle_amount, now)
            .await
            .map_err(anyhow::Error::from)?
        {
            return Err(PayError::Internal(anyhow::anyhow!("merchant balance of {} would overflow", o.app_id)));
        }
        let entry = crate::crypto::new_id("me");
        pay_store::insert_merchant_entry(
            &mut *w.tx,
            &entry,
            &o.app_id,
            &o.settle_currency,
            o.settle_amount,
            &o.id,
            now,
        )
        .await
        .map_err(anyhow::Error::from)?;
        if let Some(url) = notify_url {
            let row = OrderRow {
                status: "paid".into(),
                paid_at: Some(now),
                payer_user_id: Some(d.user_id.clone()),
                payer_open_id: Some(open_id.clone()),
                ..o.clone()
            };
            let id = crate::crypto::new_id("evt");
            let n = crate::pay::notification(&row, &id, now);
            let note = pay_store::NewNote {
                id,
                order_id: o.id.clone(),
                app_id: o.app_id.clone(),
                event_type: n.kind.clone(),
                url,
                payload: serde_json::to_string(&n).map_err(anyhow::Error::from)?,
                now,
            };
            pay_store::insert_notes(&mut w.tx, &[note]).await.map_err(anyhow::Error::from)?;
            woke = true;
        }
    }
    w.commit().await.map_err(anyhow::Error::from)?;
    if woke {
        st.notifier.wake();
    }
    tracing::info!(order_id = %o.id, deduction = %d.id, paid, "source debit confirmed");
    pay_store::get_order(&st.db.pool, &o.id).await.map_err(anyhow::Error::from)?.ok_or(PayError::NotFound)
}

/// One round of asking; Ok(None) when still unclear.
async fn settle(st: &AppState, src: &Source, d: &DeductionRow, o: &OrderRow) -> Result<Option<OrderRow>> {
    match ask(st, src, d, o).await {
        Answer::Taken => finish(st, d, o).await.map(Some),
        Answer::Refused(why) => {
            let now = st.clock.now_ms();
            let mut w = st.db.begin_write().await.map_err(anyhow::Error::from)?;
            store::refuse_deduction(&mut w.tx, &d.id, &why, now).await.map_err(anyhow::Error::from)?;
            w.commit().await.map_err(anyhow::Error::from)?;
            Err(PayError::SourceRefused(format!("{} refused the payment: {why}", src.name)))
        }
        Answer::Unclear(why) => {
            tracing::warn!(deduction = %d.id, error = %why, "source debit unclear; will retry with the same id");
            store::deduction_attempted(&st.db.pool, &d.id, &why, st.clock.now_ms())
                .await
                .map_err(anyhow::Error::from)?;
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
        .map_err(|e| PayError::Internal(anyhow::anyhow!(e)))?
        .ok_or_else(|| PayError::Invalid("source: no such partner site".into()))?;
    let Some(external_id) =
        store::external_id_of(&st.db.pool, &src.code, user_id).await.map_err(anyhow::Error::from)?
    else {
        return Err(PayError::Invalid(format!("source: your account did not come from {}", src.name)));
    };
    let Some((amount, _)) = source_amount(st, &src, &o).await? else {
        return Err(PayError::Invalid(format!("source: {} does not take payments", src.name)));
    };
    let user = users::find(&st.db.pool, user_id).await.map_err(anyhow::Error::from)?.ok_or(PayError::NotFound)?;
    if user.trading_frozen {
        return Err(PayError::Frozen);
    }
    check_pin(st, user_id, pin).await?;
    let d = match store::deduction_of_order(&st.db.pool, &o.id).await.map_err(anyhow::Error::from)? {
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
            let mut w = st.db.begin_write().await.map_err(anyhow::Error::from)?;
            let started = store::begin_deduction(&mut w.tx, &d, d.created_at).await.map_err(anyhow::Error::from)?;
            w.commit().await.map_err(anyhow::Error::from)?;
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
        if let Some(paid) = settle(st, &src, &d, &o).await? {
            return Ok(paid);
        }
    }
    Err(PayError::SourcePending)
}

/// The worker's round: every debit left unclear (a timeout, a crash) for 10 s is
/// asked again with its own id, until the source says taken or refused.
pub async fn retry_stale(st: &AppState) -> anyhow::Result<usize> {
    let due = store::stale_deductions(&st.db.pool, st.clock.now_ms() - 10_000, 50).await?;
    for d in &due {
        let Some(row) = store::get_source(&st.db.pool, &d.source).await? else { continue };
        let src = Source::from_row(st, row).map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(o) = pay_store::get_order(&st.db.pool, &d.order_id).await? else { continue };
        if let Err(e) = settle(st, &src, d, &o).await {
            if !matches!(e, PayError::SourceRefused(_)) {
                tracing::warn!(deduction = %d.id, error = %e, "retrying a source debit failed");
            }
        }
    }
    Ok(due.len())
}
