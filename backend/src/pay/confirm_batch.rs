//! Group commit for payment confirmations (ADR 0009). One writer task per node takes
//! every confirmation waiting (up to [`MAX_BATCH`]) and records them in one
//! transaction: per confirmation the claim (`pending` → `paid`, decides between
//! concurrent confirmations) and the guarded debit; per batch the merchant credits
//! (summed per app), and multi-row inserts of both journal sides and of the
//! notifications. A transaction round trip costs more than a confirmation's own
//! statements, so sharing it is what makes confirmations fast on SQLite.
//!
//! Correctness does not depend on the batching: the claim and the debit are guarded
//! in SQL; a debit that finds the balance short undoes its own claim inside the
//! transaction (the order stays pending); jobs are taken in (user, order) order so
//! two nodes' batches lock balances in the same order on PostgreSQL; and when a batch
//! fails as a whole, each of its confirmations is retried alone.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, oneshot};

use crate::storage::pay::{self as store, OrderRow};
use crate::storage::{Db, WriteTx};

pub const MAX_BATCH: usize = 64;

/// One confirmation: the pending order as read, who pays, where to notify.
#[derive(Debug, Clone)]
pub struct ConfirmJob {
    pub order: OrderRow,
    pub user_id: String,
    pub open_id: String,
    pub notify_url: Option<String>,
    pub now: i64,
}

/// What became of one confirmation.
#[derive(Debug, Clone)]
pub enum Confirmed {
    /// Paid: the order as stored, and the id of its notification (if any).
    Paid(Box<OrderRow>, Option<String>),
    /// Another confirmation, a close or the expiry got there first.
    Lost,
    /// The balance was short; nothing changed.
    Insufficient,
}

type Reply = oneshot::Sender<Result<Confirmed, String>>;

#[derive(Debug, Clone)]
pub struct ConfirmWriter {
    tx: mpsc::Sender<(ConfirmJob, Reply)>,
}

impl ConfirmWriter {
    pub fn start(db: Db) -> ConfirmWriter {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(writer(db, rx));
        ConfirmWriter { tx }
    }

    pub async fn confirm(&self, job: ConfirmJob) -> Result<Confirmed, String> {
        let (reply, rx) = oneshot::channel();
        self.tx.send((job, reply)).await.map_err(|_| "confirmation writer stopped".to_string())?;
        rx.await.unwrap_or_else(|_| Err("confirmation writer dropped the request".to_string()))
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<(ConfirmJob, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut jobs: Vec<(ConfirmJob, Reply)> = std::mem::take(&mut batch);
        jobs.sort_by(|a, b| (&a.0.user_id, &a.0.order.id).cmp(&(&b.0.user_id, &b.0.order.id)));
        let (jobs, replies): (Vec<ConfirmJob>, Vec<Reply>) = jobs.into_iter().unzip();
        match record(&db, &jobs).await {
            Ok(out) => {
                for (r, o) in replies.into_iter().zip(out) {
                    let _ = r.send(Ok(o));
                }
            }
            Err(e) if jobs.len() > 1 => {
                tracing::warn!(error = %e, jobs = jobs.len(), "confirmation batch failed; retrying one by one");
                for (job, r) in jobs.iter().zip(replies) {
                    let one = record(&db, std::slice::from_ref(job)).await;
                    let _ =
                        r.send(one.map(|mut v| v.remove(0)).map_err(|e| format!("recording the payment failed: {e}")));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "recording a payment failed");
                for r in replies {
                    let _ = r.send(Err(format!("recording the payment failed: {e}")));
                }
            }
        }
    }
}

async fn record(db: &Db, jobs: &[ConfirmJob]) -> anyhow::Result<Vec<Confirmed>> {
    let mut w = db.begin_write().await?;
    let mut out = Vec::with_capacity(jobs.len());
    let mut paid: Vec<(&ConfirmJob, OrderRow)> = Vec::new();
    for j in jobs {
        let o = &j.order;
        if !store::claim_payment(&mut *w.tx, &o.id, &j.user_id, &j.open_id, j.now).await? {
            out.push(Confirmed::Lost);
            continue;
        }
        if !store::debit_user(&mut *w.tx, &j.user_id, &o.settle_currency, o.settle_amount, j.now).await? {
            store::unclaim_payment(&mut *w.tx, &o.id, o.payer_open_id.as_deref(), j.now).await?;
            out.push(Confirmed::Insufficient);
            continue;
        }
        let row = OrderRow {
            status: "paid".into(),
            paid_at: Some(j.now),
            payer_user_id: Some(j.user_id.clone()),
            payer_open_id: Some(j.open_id.clone()),
            ..o.clone()
        };
        out.push(Confirmed::Paid(Box::new(row.clone()), None));
        paid.push((j, row));
    }
    if !paid.is_empty() {
        let ids = post(&mut w, &paid).await?;
        let mut k = 0;
        for o in out.iter_mut() {
            if let Confirmed::Paid(_, id) = o {
                *id = ids.get(k).cloned().flatten();
                k += 1;
            }
        }
    }
    w.commit().await?;
    Ok(out)
}

/// The batch's merchant credits, journal entries and notifications.
async fn post(w: &mut WriteTx, paid: &[(&ConfirmJob, OrderRow)]) -> anyhow::Result<Vec<Option<String>>> {
    let mut credits: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for (_, o) in paid {
        let sum = credits.entry((o.app_id.as_str(), o.settle_currency.as_str())).or_insert(0);
        *sum = sum.checked_add(o.settle_amount).ok_or_else(|| anyhow::anyhow!("merchant credit overflow"))?;
    }
    let now = paid.first().map_or(0, |(j, _)| j.now);
    for ((app_id, asset), amount) in credits {
        if !store::credit_merchant(&mut *w.tx, app_id, asset, amount, now).await? {
            anyhow::bail!("merchant balance of {app_id} would overflow");
        }
    }
    let mut entries = Vec::with_capacity(paid.len());
    let mut notes = Vec::with_capacity(paid.len());
    let mut ids = Vec::with_capacity(paid.len());
    for (j, o) in paid {
        entries.push(store::Posting {
            user_entry: crate::crypto::new_id("le"),
            merchant_entry: crate::crypto::new_id("me"),
            user_id: j.user_id.clone(),
            app_id: o.app_id.clone(),
            asset: o.settle_currency.clone(),
            amount: o.settle_amount,
            order_id: o.id.clone(),
            now: j.now,
        });
        match &j.notify_url {
            Some(url) => {
                let id = crate::crypto::new_id("evt");
                let n = super::notification(o, &id, j.now);
                notes.push(store::NewNote {
                    id: id.clone(),
                    order_id: o.id.clone(),
                    app_id: o.app_id.clone(),
                    event_type: n.kind.clone(),
                    url: url.clone(),
                    payload: serde_json::to_string(&n)?,
                    now: j.now,
                });
                ids.push(Some(id));
            }
            None => ids.push(None),
        }
    }
    store::insert_postings(&mut w.tx, &entries).await?;
    store::insert_notes(&mut w.tx, &notes).await?;
    Ok(ids)
}
