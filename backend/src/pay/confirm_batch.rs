//! Group commit for payment confirmations (ADR 0009). One writer task per node takes
//! every confirmation waiting (up to [`MAX_BATCH`]) and records them in one
//! transaction: per confirmation the claim (`pending` → `paid`, decides between
//! concurrent confirmations) and the guarded debit; per batch the merchant credits
//! (summed per app), and multi-row inserts of both journal sides and of the
//! notifications. The money moves themselves are `pay::settle`'s; this module only
//! decides which confirmations share a transaction. A transaction round trip costs more than a confirmation's own
//! statements, so sharing it is what makes confirmations fast on SQLite.
//!
//! Correctness does not depend on the batching: the claim and the debit are guarded
//! in SQL; a debit that finds the balance short undoes its own claim inside the
//! transaction (the order stays pending); jobs are taken in (user, order) order so
//! two nodes' batches lock balances in the same order on PostgreSQL; and when a batch
//! fails as a whole, each of its confirmations is retried alone.

use tokio::sync::{mpsc, oneshot};

use super::settle::{self, BalanceClaim, Payment};
use crate::storage::pay::OrderRow;
use crate::storage::Db;

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
    let mut paid = Vec::new();
    for j in jobs {
        match settle::claim_from_balance(&mut w.tx, &j.order, &j.user_id, &j.open_id, j.now).await? {
            BalanceClaim::Lost => out.push(Confirmed::Lost),
            BalanceClaim::Insufficient => out.push(Confirmed::Insufficient),
            BalanceClaim::Paid(row) => {
                out.push(Confirmed::Paid(row.clone(), None));
                paid.push(Payment { order: *row, from_balance: true, notify_url: j.notify_url.clone(), now: j.now });
            }
        }
    }
    if !paid.is_empty() {
        let ids = settle::post_payments(&mut w.tx, &paid).await?;
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
