//! Where money moves: the one home of every change to user and merchant balances
//! that a payment or a refund makes (ADR 0015). Balance payments (`confirm_batch`),
//! payments in a partner source's currency (`pay::source`) and refunds call these
//! functions inside their own transaction; nothing else writes `balances`,
//! `merchant_balances`, their journals or the payment outbox rows (the operator's
//! credit of a user comes here too).
//!
//! Every move is the same three steps in the caller's transaction: a guarded state
//! change that decides between concurrent callers (the order's claim, the debit's
//! completion), the balance changes (guarded so no balance goes negative or
//! overflows), and the journal entries and notifications. Each function either does
//! all of its part or reports why not, so the caller commits or rolls back whole.

use std::collections::BTreeMap;

use sqlx::AnyConnection;

use crate::storage::inbound::{self as inbound_store, DeductionRow};
use crate::storage::pay::{self as store, JournalEntry, NewNote, OrderRow};
use crate::storage::refunds;

/// The claim of a balance payment.
#[derive(Debug)]
pub enum BalanceClaim {
    /// Claimed and debited: the order as it now stands.
    Paid(Box<OrderRow>),
    /// Another confirmation, a close or the expiry got there first.
    Lost,
    /// The balance was short; nothing changed.
    Insufficient,
}

/// Claims a pending order for `user_id` and takes the settle amount from their
/// balance. A short balance undoes the claim, so the order stays pending.
pub async fn claim_from_balance(
    c: &mut AnyConnection,
    o: &OrderRow,
    user_id: &str,
    open_id: &str,
    now: i64,
) -> sqlx::Result<BalanceClaim> {
    if !store::claim_payment(&mut *c, &o.id, user_id, open_id, now).await? {
        return Ok(BalanceClaim::Lost);
    }
    if !store::debit_user(&mut *c, user_id, &o.settle_currency, o.settle_amount, now).await? {
        store::unclaim_payment(&mut *c, &o.id, o.payer_open_id.as_deref(), now).await?;
        return Ok(BalanceClaim::Insufficient);
    }
    Ok(BalanceClaim::Paid(Box::new(paid_row(o, user_id, open_id, now))))
}

/// Completes a source debit the source said it took: the debit succeeds and its
/// order becomes paid, once (None when another node or an earlier try got there).
pub async fn claim_from_source(
    c: &mut AnyConnection,
    d: &DeductionRow,
    o: &OrderRow,
    open_id: &str,
    now: i64,
) -> sqlx::Result<Option<OrderRow>> {
    if !inbound_store::complete_deduction(c, d, open_id, now).await? {
        return Ok(None);
    }
    Ok(Some(paid_row(o, &d.user_id, open_id, now)))
}

fn paid_row(o: &OrderRow, user_id: &str, open_id: &str, now: i64) -> OrderRow {
    OrderRow {
        status: "paid".into(),
        paid_at: Some(now),
        payer_user_id: Some(user_id.to_owned()),
        payer_open_id: Some(open_id.to_owned()),
        ..o.clone()
    }
}

/// A claimed payment to post: the order as paid, whether the user's platform balance
/// paid it (else a partner source took the money in its own currency, and only the
/// merchant side is journaled), and where to notify.
#[derive(Debug, Clone)]
pub struct Payment {
    pub order: OrderRow,
    pub from_balance: bool,
    pub notify_url: Option<String>,
    pub now: i64,
}

/// Posts claimed payments: merchant credits (summed per app and asset), journal
/// entries and `payment.succeeded` notifications. Returns each payment's
/// notification id (None without a notify URL).
pub async fn post_payments(c: &mut AnyConnection, paid: &[Payment]) -> anyhow::Result<Vec<Option<String>>> {
    let mut credits: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for p in paid {
        let sum = credits.entry((p.order.app_id.as_str(), p.order.settle_currency.as_str())).or_insert(0);
        *sum = sum.checked_add(p.order.settle_amount).ok_or_else(|| anyhow::anyhow!("merchant credit overflow"))?;
    }
    let now = paid.first().map_or(0, |p| p.now);
    for ((app_id, asset), amount) in credits {
        if !store::credit_merchant(&mut *c, app_id, asset, amount, now).await? {
            anyhow::bail!("merchant balance of {app_id} would overflow");
        }
    }
    let mut user_entries = Vec::with_capacity(paid.len());
    let mut merchant_entries = Vec::with_capacity(paid.len());
    let mut notes = Vec::with_capacity(paid.len());
    let mut ids = Vec::with_capacity(paid.len());
    for p in paid {
        let o = &p.order;
        if p.from_balance {
            let payer = o.payer_user_id.clone().ok_or_else(|| anyhow::anyhow!("a paid order without its payer"))?;
            user_entries.push(JournalEntry {
                id: crate::crypto::new_id("le"),
                owner: payer,
                asset: o.settle_currency.clone(),
                delta: -o.settle_amount,
                kind: "payment",
                reference: o.id.clone(),
                now: p.now,
            });
        }
        merchant_entries.push(JournalEntry {
            id: crate::crypto::new_id("me"),
            owner: o.app_id.clone(),
            asset: o.settle_currency.clone(),
            delta: o.settle_amount,
            kind: "payment",
            reference: o.id.clone(),
            now: p.now,
        });
        match &p.notify_url {
            Some(url) => {
                let id = crate::crypto::new_id("evt");
                let n = super::notification(o, &id, p.now);
                notes.push(NewNote {
                    id: id.clone(),
                    order_id: o.id.clone(),
                    app_id: o.app_id.clone(),
                    event_type: n.kind.clone(),
                    url: url.clone(),
                    payload: serde_json::to_string(&n)?,
                    now: p.now,
                });
                ids.push(Some(id));
            }
            None => ids.push(None),
        }
    }
    store::insert_journal(&mut *c, store::Journal::Users, &user_entries).await?;
    store::insert_journal(&mut *c, store::Journal::Merchants, &merchant_entries).await?;
    store::insert_notes(c, &notes).await?;
    Ok(ids)
}

/// The operator credits a user's balance (top-up, goodwill): the balance and its
/// journal line (`operator_credit`). False (nothing changed) when it would overflow.
pub async fn operator_credit(
    c: &mut AnyConnection,
    user_id: &str,
    asset: &str,
    amount: i64,
    reference: &str,
    now: i64,
) -> anyhow::Result<bool> {
    if !crate::storage::ledger::add_to_balance(&mut *c, user_id, asset, amount, now).await? {
        return Ok(false);
    }
    let entry = [journal(false, user_id, asset, amount, "operator_credit", reference, now)];
    store::insert_journal(&mut *c, store::Journal::Users, &entry).await?;
    Ok(true)
}

/// What reserving a refund found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserve {
    /// Reserved: this refund's share of the settle amount (SPEC §13's rounding), and
    /// what the earlier refunds had taken of the amount.
    Reserved { settle: i64, refunded_before: i64 },
    /// The order is not (or no longer) paid.
    NotPaid,
    /// More than is left to refund (`left`, in the pricing currency's minor units).
    Exceeds { left: i64 },
}

/// Reserves `amount` of a paid order for a refund: the order's refund totals move in
/// one guarded statement after a locked read, so concurrent refunds of one order
/// queue and never add up to more than was paid.
pub async fn reserve_refund(
    c: &mut AnyConnection,
    kind: crate::storage::DbKind,
    o: &OrderRow,
    amount: i64,
    now: i64,
) -> anyhow::Result<Reserve> {
    let Some(before) = refunds::refund_totals_for_update(&mut *c, kind, &o.id).await? else {
        return Ok(Reserve::NotPaid);
    };
    let left = o.amount - before.0;
    let Some(settle) = opengate_shared::pay::refund_share(amount, o.amount, before.0, o.settle_amount, before.1) else {
        return Ok(Reserve::Exceeds { left });
    };
    if !refunds::move_refund_totals(&mut *c, &o.id, before, (amount, settle), now).await? {
        // The read above holds the row (PostgreSQL) or the only write lock (SQLite).
        anyhow::bail!("the refund totals of order {} moved under a lock", o.id);
    }
    Ok(Reserve::Reserved { settle, refunded_before: before.0 })
}

/// Gives a reservation back (a partner source refused the refund for good).
pub async fn release_refund(
    c: &mut AnyConnection,
    kind: crate::storage::DbKind,
    order_id: &str,
    amount: i64,
    settle: i64,
    now: i64,
) -> anyhow::Result<()> {
    let before = refunds::refund_totals_for_update(&mut *c, kind, order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {order_id} is no longer paid"))?;
    if !refunds::move_refund_totals(&mut *c, order_id, before, (-amount, -settle), now).await? {
        anyhow::bail!("the refund totals of order {order_id} cannot give back {amount}");
    }
    Ok(())
}

/// Moves a refund's settle share out of the merchant account: to the payer's
/// balance (`to_user`), or out of the platform when a partner source pays the user
/// back in its own currency. Both journals say `refund`. False when the merchant
/// balance cannot cover it: the caller must then roll its transaction back.
pub async fn move_refund(
    c: &mut AnyConnection,
    app_id: &str,
    asset: &str,
    settle: i64,
    to_user: Option<&str>,
    refund_id: &str,
    now: i64,
) -> anyhow::Result<bool> {
    if settle == 0 {
        return Ok(true);
    }
    // The user's balance before the merchant's, as a confirmation locks them: two
    // transactions never wait for each other in opposite orders (PostgreSQL).
    let mut user_entries = Vec::new();
    if let Some(user_id) = to_user {
        if !crate::storage::ledger::add_to_balance(&mut *c, user_id, asset, settle, now).await? {
            anyhow::bail!("the balance of user {user_id} would overflow");
        }
        user_entries.push(journal(false, user_id, asset, settle, "refund", refund_id, now));
    }
    if !refunds::debit_merchant(&mut *c, app_id, asset, settle, now).await? {
        return Ok(false);
    }
    let merchant = [journal(true, app_id, asset, -settle, "refund", refund_id, now)];
    store::insert_journal(&mut *c, store::Journal::Users, &user_entries).await?;
    store::insert_journal(&mut *c, store::Journal::Merchants, &merchant).await?;
    Ok(true)
}

/// A source refused a refund for good: its settle share goes back to the merchant.
pub async fn return_to_merchant(
    c: &mut AnyConnection,
    app_id: &str,
    asset: &str,
    settle: i64,
    refund_id: &str,
    now: i64,
) -> anyhow::Result<()> {
    if settle == 0 {
        return Ok(());
    }
    if !store::credit_merchant(&mut *c, app_id, asset, settle, now).await? {
        anyhow::bail!("merchant balance of {app_id} would overflow");
    }
    let entry = [journal(true, app_id, asset, settle, "refund_reversal", refund_id, now)];
    store::insert_journal(&mut *c, store::Journal::Merchants, &entry).await?;
    Ok(())
}

/// A journal line; `owner` is a user (ids `le_…`) or, with `merchant`, an app (`me_…`).
fn journal(
    merchant: bool,
    owner: &str,
    asset: &str,
    delta: i64,
    kind: &'static str,
    reference: &str,
    now: i64,
) -> JournalEntry {
    JournalEntry {
        id: crate::crypto::new_id(if merchant { "me" } else { "le" }),
        owner: owner.to_owned(),
        asset: asset.to_owned(),
        delta,
        kind,
        reference: reference.to_owned(),
        now,
    }
}
