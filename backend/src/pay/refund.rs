//! Refunds (SPEC §13): the merchant gives back all or part of a paid order, by its
//! own `refund_no` (idempotent: the same fields give the same refund, others U0301).
//!
//! A balance-paid order is refunded in one transaction: the order's refund totals
//! are reserved (a locked read and a guarded update, so concurrent refunds of one
//! order never exceed it), the settle share moves from the merchant to the payer
//! (`pay::settle`; a merchant balance that cannot cover it changes nothing, U0304),
//! the refund is recorded `succeeded` and `refund.succeeded` is put in the outbox.
//!
//! An order paid through a partner source is refunded through that source: the same
//! transaction reserves the totals, takes the share from the merchant and records the
//! refund `pending`; then the source is asked to credit the user (a signed,
//! idempotent credit under the refund's id, `inbound::deduct::credit`). Taken →
//! `succeeded`; refused for good → `failed`, the share back to the merchant, the
//! reservation released and `refund.failed` notified; no clear answer → still
//! `pending`, and the worker's `refund_retries` job asks again with the same id.

use std::time::Duration;

use opengate_shared::amount::{format_amount, parse_amount};
use opengate_shared::pay::{RefundEventData, RefundNotification, RefundView};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::orders::{self, check_trade_no, notify_url_of};
use super::settle::{self, Reserve};
use super::{decimals, PayError, Result};
use crate::inbound::deduct::{self, Answer, Credit};
use crate::inbound::Source;
use crate::state::AppState;
use crate::storage::inbound::{self as inbound_store, DeductionRow};
use crate::storage::pay::{self as pay_store, NewNote, OrderRow};
use crate::storage::refunds::{self as store, RefundRow};
use crate::storage::{is_unique_violation, DbKind};

const FIELDS: &[&str] = &["refund_no", "amount", "reason"];

/// A refund request after every field check.
#[derive(Debug)]
struct Checked {
    refund_no: String,
    amount: i64,
    reason: Option<String>,
}

impl Checked {
    /// "Same fields": the order's trade_no and every field, compared after parsing.
    fn hash(&self, trade_no: &str) -> String {
        let canonical = serde_json::json!([trade_no, self.refund_no, self.amount, self.reason]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

fn invalid(field: &str, why: impl std::fmt::Display) -> PayError {
    PayError::Invalid(format!("{field}: {why}"))
}

fn check(body: &[u8], o: &OrderRow) -> Result<Checked> {
    if body.trim_ascii().is_empty() {
        return Err(PayError::Invalid("body: a JSON object is required".into()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| PayError::Invalid(format!("body: not JSON ({e})")))?;
    let Value::Object(m) = v else { return Err(PayError::Invalid("body: must be a JSON object".into())) };
    if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(invalid(k, "unknown field"));
    }
    let refund_no = match m.get("refund_no") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => return Err(invalid("refund_no", "is required")),
        Some(_) => return Err(invalid("refund_no", "must be a string")),
    };
    check_refund_no(&refund_no)?;
    let amount = match m.get("amount") {
        Some(Value::String(s)) => parse_amount(s, decimals(o.price_decimals)).map_err(|e| invalid("amount", e))?,
        None | Some(Value::Null) => return Err(invalid("amount", "is required")),
        Some(_) => return Err(invalid("amount", "must be a decimal string like \"12.50\", not a number")),
    };
    let reason = reason(&m)?;
    Ok(Checked { refund_no, amount, reason })
}

fn reason(m: &Map<String, Value>) -> Result<Option<String>> {
    match m.get("reason") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if s.trim().is_empty() || s.chars().count() > 256 || s.chars().any(char::is_control) {
                return Err(invalid("reason", "must be 1..256 characters without control characters"));
            }
            Ok(Some(s.clone()))
        }
        Some(_) => Err(invalid("reason", "must be a string")),
    }
}

/// `refund_no` follows `trade_no`'s grammar (SPEC §13).
pub fn check_refund_no(s: &str) -> Result<()> {
    check_trade_no(s).map_err(|_| invalid("refund_no", "must be 1..64 characters of A-Z a-z 0-9 _ -"))
}

/// A refund as the partner API shows it.
pub fn view(r: &RefundRow) -> RefundView {
    RefundView {
        refund_id: r.id.clone(),
        refund_no: r.refund_no.clone(),
        trade_no: r.trade_no.clone(),
        status: r.status.clone(),
        amount: format_amount(r.amount, decimals(r.price_decimals)),
        currency: r.currency.clone(),
        settle_amount: format_amount(r.settle_amount, decimals(r.settle_decimals)),
        settle_currency: r.settle_currency.clone(),
        reason: r.reason.clone(),
        fail_reason: r.fail_reason.clone(),
        created_at: r.created_at.div_euclid(1000),
        refunded_at: r.refunded_at.map(|t| t.div_euclid(1000)),
    }
}

/// The refund's notification, of its current state (succeeded or failed).
fn note(r: &RefundRow, o: &OrderRow, url: &str, now: i64) -> Result<NewNote> {
    let id = crate::crypto::new_id("evt");
    let kind = if r.status == "failed" { "refund.failed" } else { "refund.succeeded" };
    let n = RefundNotification {
        id: id.clone(),
        kind: kind.to_owned(),
        created_at: now.div_euclid(1000),
        data: RefundEventData {
            refund: view(r),
            order_id: o.id.clone(),
            app_id: o.app_id.clone(),
            open_id: o.payer_open_id.clone(),
        },
    };
    Ok(NewNote {
        id,
        order_id: o.id.clone(),
        app_id: o.app_id.clone(),
        event_type: kind.to_owned(),
        url: url.to_owned(),
        payload: serde_json::to_string(&n).map_err(anyhow::Error::from)?,
        now,
    })
}

/// The same refund for an identical repeat, U0301 for other fields.
fn repeat(r: RefundRow, hash: &str) -> Result<RefundRow> {
    if r.request_hash == hash {
        Ok(r)
    } else {
        Err(PayError::RefundConflict(r.refund_no))
    }
}

/// How a paid order was paid, for its refunds.
enum PaidBy {
    Balance(String),
    Source(Box<(Source, DeductionRow)>),
}

async fn paid_by(st: &AppState, o: &OrderRow) -> Result<PaidBy> {
    let user = o.payer_user_id.clone().ok_or_else(|| anyhow::anyhow!("paid order {} has no payer", o.id))?;
    let Some(ded) = &o.deduction_id else { return Ok(PaidBy::Balance(user)) };
    match inbound_store::deduction(&st.db.pool, ded).await? {
        Some(d) if d.status == "succeeded" => {
            let row = inbound_store::get_source(&st.db.pool, &d.source)
                .await?
                .ok_or_else(|| PayError::BadState(format!("the partner source {} no longer exists", d.source)))?;
            let src = Source::from_row(st, row).map_err(|e| anyhow::anyhow!("{e}"))?;
            if src.refund_url.is_none() {
                return Err(PayError::BadState(format!(
                    "this order was paid through {}, which takes no refunds (the operator sets its refund URL)",
                    src.name
                )));
            }
            Ok(PaidBy::Source(Box::new((src, d))))
        }
        _ => Ok(PaidBy::Balance(user)),
    }
}

/// `POST /open/v1/pay/orders/{trade_no}/refunds`.
pub async fn create(st: &AppState, app_id: &str, trade_no: &str, body: &[u8]) -> Result<RefundRow> {
    let o = orders::latest(st, app_id, trade_no).await?;
    let c = check(body, &o)?;
    let hash = c.hash(&o.trade_no);
    if o.status != "paid" {
        // A repeat answers its refund whatever became of the order since.
        if let Some(r) = store::by_refund_no(&st.db.pool, app_id, &c.refund_no).await? {
            return repeat(r, &hash);
        }
        return Err(PayError::BadState(format!(
            "only a paid order can be refunded; this one is {}",
            o.fail_reason.as_deref().map_or(o.status.clone(), |f| format!("{} ({f})", o.status))
        )));
    }
    let by = paid_by(st, &o).await?;
    let url = notify_url_of(st, &o).await?;
    let source = match &by {
        PaidBy::Source(b) => Some(b.clone()),
        PaidBy::Balance(_) => None,
    };
    let job = RefundJob { order: o, checked: c, hash, by, url, now: st.clock.now_ms() };
    let (refund_no, hash) = (job.checked.refund_no.clone(), job.hash.clone());
    // A concurrent create of the same refund_no (another node) loses on the unique
    // index; it then sees the winner and answers as for a repeat.
    match record(st, job).await {
        Err(PayError::Internal(e)) if e.downcast_ref::<sqlx::Error>().is_some_and(is_unique_violation) => {
            match store::by_refund_no(&st.db.pool, app_id, &refund_no).await? {
                Some(r) => repeat(r, &hash),
                None => Err(PayError::Internal(e)),
            }
        }
        Ok(r) if r.status == "pending" => match source {
            Some(b) => ask_source(st, r, &b.0, &b.1).await,
            None => Ok(r),
        },
        other => other,
    }
}

/// One refund to record: the order as read, the checked request and how the order
/// was paid. Balance refunds are recorded by the group-commit writer
/// (`refund_batch`), source refunds in their own transaction; both through
/// [`record_in`].
pub struct RefundJob {
    pub(crate) order: OrderRow,
    checked: Checked,
    hash: String,
    by: PaidBy,
    url: Option<String>,
    pub(crate) now: i64,
}

impl RefundJob {
    /// Who gets the money back (for the writer's lock order).
    pub(crate) fn payer(&self) -> &str {
        self.order.payer_user_id.as_deref().unwrap_or_default()
    }
}

/// What recording a refund did.
#[derive(Debug)]
pub enum Recorded {
    /// A new refund; true when its notification was queued.
    New(Box<RefundRow>, bool),
    /// The same `refund_no` with the same fields was there already.
    Repeat(Box<RefundRow>),
}

/// The refund's statements in the caller's transaction: reserve the order's totals,
/// move the money, record the refund, queue `refund.succeeded`; `pending` (no user
/// credit, no notification yet) for a source payment. On `Err` the caller undoes the
/// statements (rolls back its transaction or savepoint).
pub(crate) async fn record_in(c: &mut sqlx::AnyConnection, kind: DbKind, j: &RefundJob) -> Result<Recorded> {
    let (o, now) = (&j.order, j.now);
    if let Some(r) = store::by_refund_no(&mut *c, &o.app_id, &j.checked.refund_no).await? {
        return repeat(r, &j.hash).map(|r| Recorded::Repeat(Box::new(r)));
    }
    let (settle, refunded_before) = match settle::reserve_refund(&mut *c, kind, o, j.checked.amount, now).await? {
        Reserve::Reserved { settle, refunded_before } => (settle, refunded_before),
        Reserve::NotPaid => return Err(PayError::BadState("only a paid order can be refunded".into())),
        Reserve::Exceeds { left } => {
            let d = decimals(o.price_decimals);
            return Err(PayError::BadState(format!(
                "the refund exceeds what is left to refund: {} {} of {} {}",
                format_amount(left.max(0), d),
                o.currency,
                format_amount(o.amount, d),
                o.currency
            )));
        }
    };
    let mut r = RefundRow {
        id: crate::crypto::new_id("rf"),
        app_id: o.app_id.clone(),
        refund_no: j.checked.refund_no.clone(),
        order_id: o.id.clone(),
        trade_no: o.trade_no.clone(),
        status: "succeeded".into(),
        fail_reason: None,
        amount: j.checked.amount,
        currency: o.currency.clone(),
        price_decimals: o.price_decimals,
        settle_amount: settle,
        settle_currency: o.settle_currency.clone(),
        settle_decimals: o.settle_decimals,
        reason: j.checked.reason.clone(),
        request_hash: j.hash.clone(),
        user_id: o.payer_user_id.clone(),
        deduction_id: None,
        source_amount: None,
        attempts: 0,
        created_at: now,
        refunded_at: Some(now),
    };
    let to_user = match &j.by {
        PaidBy::Balance(user) => Some(user.as_str()),
        PaidBy::Source(b) => {
            let (_, d) = b.as_ref();
            let before = source_refunded(&mut *c, &o.id).await?;
            let share =
                opengate_shared::pay::refund_share(j.checked.amount, o.amount, refunded_before, d.amount, before)
                    .ok_or_else(|| PayError::BadState("the refund exceeds what the source was paid".into()))?;
            r.status = "pending".into();
            r.refunded_at = None;
            r.deduction_id = Some(d.id.clone());
            r.source_amount = Some(share);
            None
        }
    };
    if !settle::move_refund(&mut *c, &o.app_id, &o.settle_currency, settle, to_user, &r.id, now).await? {
        let have = pay_store::merchant_balance(&mut *c, &o.app_id, &o.settle_currency).await?;
        let d = decimals(o.settle_decimals);
        return Err(PayError::BadState(format!(
            "the merchant balance ({} {}) cannot cover this refund ({} {}); nothing was refunded",
            format_amount(have, d),
            o.settle_currency,
            format_amount(settle, d),
            o.settle_currency
        )));
    }
    store::insert(&mut *c, &r, now).await?;
    let noted = match (&j.url, r.status.as_str()) {
        (Some(url), "succeeded") => {
            pay_store::insert_notes(&mut *c, &[note(&r, o, url, now)?]).await?;
            true
        }
        _ => false,
    };
    Ok(Recorded::New(Box::new(r), noted))
}

/// Records a refund: balance refunds through the group-commit writer, source refunds
/// in a transaction of their own (the source is asked after the commit).
async fn record(st: &AppState, j: RefundJob) -> Result<RefundRow> {
    let recorded = match &j.by {
        PaidBy::Balance(_) => st.refunder.record(j).await?,
        PaidBy::Source(_) => {
            let mut w = st.db.begin_write().await?;
            match record_in(&mut w.tx, st.db.kind, &j).await {
                Ok(r) => {
                    w.commit().await?;
                    r
                }
                Err(e) => {
                    w.rollback().await?;
                    return Err(e);
                }
            }
        }
    };
    match recorded {
        Recorded::Repeat(r) => Ok(*r),
        Recorded::New(r, noted) => {
            if noted {
                st.notifier.wake();
            }
            metrics::counter!("opengate_refunds_total", "status" => r.status.clone()).increment(1);
            tracing::info!(refund = %r.id, order_id = %r.order_id, status = %r.status, "refund recorded");
            Ok(*r)
        }
    }
}

/// What the source was credited (or is being credited) for this order so far.
async fn source_refunded(c: &mut sqlx::AnyConnection, order_id: &str) -> Result<i64> {
    let (sum,): (Option<i64>,) = sqlx::query_as(
        "SELECT CAST(SUM(source_amount) AS BIGINT) FROM refunds WHERE order_id = $1 AND status <> 'failed'",
    )
    .bind(order_id)
    .fetch_one(&mut *c)
    .await?;
    Ok(sum.unwrap_or(0))
}

/// Asks the source to credit a pending refund, a few times; the refund as it then
/// stands (still `pending` when the source gave no clear answer).
async fn ask_source(st: &AppState, r: RefundRow, src: &Source, d: &DeductionRow) -> Result<RefundRow> {
    for attempt in 0..st.config.deduct_attempts {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        if let Some(done) = resolve(st, src, d, &r).await? {
            return Ok(done);
        }
    }
    Ok(store::get(&st.db.pool, &r.id).await?.unwrap_or(r))
}

/// One round of asking the source; Ok(None) while unclear.
async fn resolve(st: &AppState, src: &Source, d: &DeductionRow, r: &RefundRow) -> Result<Option<RefundRow>> {
    let credit =
        Credit { id: &r.id, amount: r.source_amount.unwrap_or(0), refund_no: &r.refund_no, created_at: r.created_at };
    let answer = deduct::credit(st, src, d, &credit).await;
    if let Answer::Unclear(why) = &answer {
        tracing::warn!(refund = %r.id, error = %why, "source refund credit unclear; will retry with the same id");
        store::attempted(&st.db.pool, &r.id, why, st.clock.now_ms()).await?;
        return Ok(None);
    }
    let o = pay_store::get_order(&st.db.pool, &r.order_id).await?.ok_or(PayError::NotFound)?;
    let url = notify_url_of(st, &o).await?;
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    let changed = match &answer {
        Answer::Taken => store::succeed(&mut w.tx, &r.id, now).await?,
        Answer::Refused(why) => {
            let why = format!("{} refused the refund: {why}", src.name);
            let failed = store::fail(&mut w.tx, &r.id, &why, now).await?;
            if failed {
                settle::return_to_merchant(&mut w.tx, &r.app_id, &r.settle_currency, r.settle_amount, &r.id, now)
                    .await?;
                settle::release_refund(&mut w.tx, st.db.kind, &r.order_id, r.amount, r.settle_amount, now).await?;
            }
            failed
        }
        Answer::Unclear(_) => false,
    };
    let now_row = store::get(&mut *w.tx, &r.id).await?.ok_or(PayError::RefundNotFound)?;
    if changed {
        if let Some(url) = &url {
            pay_store::insert_notes(&mut w.tx, &[note(&now_row, &o, url, now)?]).await?;
        }
    }
    w.commit().await?;
    if changed {
        if url.is_some() {
            st.notifier.wake();
        }
        metrics::counter!("opengate_refunds_total", "status" => now_row.status.clone()).increment(1);
        tracing::info!(refund = %r.id, status = %now_row.status, "source refund settled");
    }
    Ok(Some(now_row))
}

/// The worker's `refund_retries` job: every pending refund left unclear for 10 s is
/// asked again with its own id, until its source says credited or refused.
pub async fn retry_pending(st: &AppState) -> anyhow::Result<usize> {
    let due = store::stale(&st.db.pool, st.clock.now_ms() - 10_000, 50).await?;
    for r in &due {
        let Some(ded) = r.deduction_id.as_deref() else { continue };
        let Some(d) = inbound_store::deduction(&st.db.pool, ded).await? else { continue };
        let Some(row) = inbound_store::get_source(&st.db.pool, &d.source).await? else { continue };
        let src = Source::from_row(st, row).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Err(e) = resolve(st, &src, &d, r).await {
            tracing::warn!(refund = %r.id, error = %e, "retrying a source refund failed");
        }
    }
    Ok(due.len())
}

/// `POST /open/v1/pay/refunds/{refund_no}/notify`: a new notification (new id) of
/// the refund's current state, sent now (as §6.5 does for orders). A pending refund
/// has nothing to tell yet (U0304).
pub async fn resend(st: &AppState, app_id: &str, refund_no: &str) -> Result<(String, String)> {
    let r = one(st, app_id, refund_no).await?;
    if r.status == "pending" {
        return Err(PayError::BadState(
            "the refund is pending (its partner source has not answered); it is notified once it has".into(),
        ));
    }
    let o = pay_store::get_order(&st.db.pool, &r.order_id).await?.ok_or(PayError::NotFound)?;
    let url = notify_url_of(st, &o).await?.ok_or_else(|| {
        PayError::BadState("no notify URL: register one for the app or pass notify_url when ordering".into())
    })?;
    let n = note(&r, &o, &url, st.clock.now_ms())?;
    let (id, kind) = (n.id.clone(), n.event_type.clone());
    let mut w = st.db.begin_write().await?;
    pay_store::insert_notes(&mut w.tx, &[n]).await?;
    w.commit().await?;
    st.notifier.wake();
    Ok((id, kind))
}

/// `GET /open/v1/pay/orders/{trade_no}/refunds`: every refund of the order.
pub async fn of_order(st: &AppState, app_id: &str, trade_no: &str) -> Result<Vec<RefundRow>> {
    let o = orders::latest(st, app_id, trade_no).await?;
    Ok(store::of_trade_no(&st.db.pool, app_id, &o.trade_no).await?)
}

/// `GET /open/v1/pay/refunds/{refund_no}`.
pub async fn one(st: &AppState, app_id: &str, refund_no: &str) -> Result<RefundRow> {
    if !crate::storage::apps::has_permission(&st.db.pool, app_id, "pay").await? {
        return Err(PayError::NoPermission);
    }
    check_refund_no(refund_no).map_err(|_| PayError::RefundNotFound)?;
    store::by_refund_no(&st.db.pool, app_id, refund_no).await?.ok_or(PayError::RefundNotFound)
}
