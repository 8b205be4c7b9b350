//! Group commit for balance refunds, as `confirm_batch` does for confirmations
//! (ADR 0009, 0016): one writer task per node takes every refund waiting (up to
//! [`MAX_BATCH`]) and records them in one transaction, each inside a savepoint so a
//! refused one (beyond the order, merchant short, `refund_no` conflict) is undone
//! alone. A transaction round trip costs more than a refund's own statements, so
//! sharing it is what makes refunds fast on SQLite.
//!
//! Correctness does not depend on the batching: every refund's reservation and
//! balance moves are guarded in SQL (`pay::settle`); jobs are taken in (payer,
//! order) order; and when a batch fails as a whole (a deadlock with another node, a
//! `refund_no` another node inserted), each refund is retried alone.

use tokio::sync::{mpsc, oneshot};

use super::refund::{record_in, Recorded, RefundJob};
use super::{PayError, Result};
use crate::storage::Db;

pub const MAX_BATCH: usize = 64;

type Reply = oneshot::Sender<Result<Recorded>>;

#[derive(Debug, Clone)]
pub struct RefundWriter {
    tx: mpsc::Sender<(RefundJob, Reply)>,
}

impl std::fmt::Debug for RefundJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefundJob").field("order", &self.order.id).finish_non_exhaustive()
    }
}

impl RefundWriter {
    pub fn start(db: Db) -> RefundWriter {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(writer(db, rx));
        RefundWriter { tx }
    }

    pub async fn record(&self, job: RefundJob) -> Result<Recorded> {
        let (reply, rx) = oneshot::channel();
        self.tx.send((job, reply)).await.map_err(|_| anyhow::anyhow!("refund writer stopped"))?;
        rx.await.unwrap_or_else(|_| Err(PayError::Internal(anyhow::anyhow!("refund writer dropped the request"))))
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<(RefundJob, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut jobs: Vec<(RefundJob, Reply)> = std::mem::take(&mut batch);
        jobs.sort_by(|a, b| (a.0.payer(), &a.0.order.id).cmp(&(b.0.payer(), &b.0.order.id)));
        let (jobs, replies): (Vec<RefundJob>, Vec<Reply>) = jobs.into_iter().unzip();
        match record(&db, &jobs).await {
            Ok(out) => {
                for (r, o) in replies.into_iter().zip(out) {
                    let _ = r.send(o);
                }
            }
            Err(e) if jobs.len() > 1 => {
                tracing::warn!(error = %e, jobs = jobs.len(), "refund batch failed; retrying one by one");
                for (job, r) in jobs.iter().zip(replies) {
                    let one = match record(&db, std::slice::from_ref(job)).await {
                        Ok(mut v) => v.pop().unwrap_or_else(|| Err(anyhow::anyhow!("no outcome").into())),
                        Err(e) => Err(PayError::Internal(e)),
                    };
                    let _ = r.send(one);
                }
            }
            Err(e) => {
                if let Some(r) = replies.into_iter().next() {
                    let _ = r.send(Err(PayError::Internal(e)));
                }
            }
        }
    }
}

/// One transaction for `jobs`; each refund's outcome, or Err when the batch as a
/// whole failed (nothing of it was committed).
async fn record(db: &Db, jobs: &[RefundJob]) -> anyhow::Result<Vec<Result<Recorded>>> {
    let mut w = db.begin_write().await?;
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        sqlx::query("SAVEPOINT refund").execute(&mut *w.tx).await?;
        match record_in(&mut w.tx, db.kind, j).await {
            Ok(r) => {
                sqlx::query("RELEASE SAVEPOINT refund").execute(&mut *w.tx).await?;
                out.push(Ok(r));
            }
            Err(PayError::Internal(e)) => return Err(e),
            Err(e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT refund").execute(&mut *w.tx).await?;
                sqlx::query("RELEASE SAVEPOINT refund").execute(&mut *w.tx).await?;
                out.push(Err(e));
            }
        }
    }
    w.commit().await?;
    Ok(out)
}
