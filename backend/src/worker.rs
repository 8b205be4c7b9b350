//! The background worker: the one home of every loop the platform runs besides the
//! HTTP server (ADR 0015). Each job is named, has an interval and one round of work;
//! the worker runs each job in its own task, waits between rounds (or until woken),
//! logs a failed round with the job's name and tries again next interval. Every job
//! is safe on several nodes at once: its rows are claimed with a lease or changed
//! by guarded statements, so a node that dies mid-round loses nothing.
//!
//! A round in progress is finished before a shutdown takes effect.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::storage::{nonces, oauth, sessions};

/// What a round found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// It did work and there may be more: run again at once.
    More,
    /// Nothing (more) to do: wait for the interval or a wake-up.
    Idle,
}

type Round = fn(AppState) -> Pin<Box<dyn Future<Output = anyhow::Result<Progress>> + Send>>;

/// One named job.
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    /// Woken when work became due now (e.g. a payment wrote a notification).
    pub wake: Option<Arc<Notify>>,
    round: Round,
}

/// The platform's jobs, in the order they start.
pub fn jobs(st: &AppState) -> Vec<Job> {
    vec![
        Job {
            name: "notifications",
            every: Duration::from_millis(st.config.notify_poll_ms),
            wake: Some(st.notifier.waker()),
            round: |st| Box::pin(async move { crate::notify::deliver_due(&st).await }),
        },
        Job {
            name: "source_retries",
            every: Duration::from_secs(5),
            wake: None,
            round: |st| {
                Box::pin(async move {
                    crate::pay::source::retry_unclear_debits(&st).await?;
                    Ok(Progress::Idle)
                })
            },
        },
        Job {
            name: "refund_retries",
            every: Duration::from_secs(5),
            wake: None,
            round: |st| {
                Box::pin(async move {
                    crate::pay::refund::retry_pending(&st).await?;
                    Ok(Progress::Idle)
                })
            },
        },
        Job {
            name: "expiry",
            every: Duration::from_secs(5),
            wake: None,
            round: |st| Box::pin(async move { expire_orders(&st).await }),
        },
        Job {
            name: "oidc_keys",
            every: Duration::from_secs(60),
            wake: None,
            round: |st| {
                Box::pin(async move {
                    crate::login::oidc::janitor_tick(&st).await;
                    Ok(Progress::Idle)
                })
            },
        },
        Job {
            name: "housekeeping",
            every: Duration::from_secs(60),
            wake: None,
            round: |st| Box::pin(async move { housekeeping(&st).await }),
        },
    ]
}

/// Runs every job until `shutdown`; returns when all have stopped.
pub async fn run(st: AppState, shutdown: CancellationToken) {
    let mut tasks = tokio::task::JoinSet::new();
    for job in jobs(&st) {
        tasks.spawn(run_job(st.clone(), job, shutdown.clone()));
    }
    while tasks.join_next().await.is_some() {}
}

async fn run_job(st: AppState, job: Job, shutdown: CancellationToken) {
    tracing::debug!(job = job.name, every_ms = job.every.as_millis() as u64, "worker job started");
    // Periodic jobs wait one interval first: a node that just started has nothing old
    // to catch up on that cannot wait that long, and tests see a quiet start.
    let mut progress = if job.wake.is_some() { Progress::More } else { Progress::Idle };
    loop {
        if progress == Progress::Idle {
            let woken = async {
                match &job.wake {
                    Some(n) => n.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = woken => {}
                () = tokio::time::sleep(job.every) => {}
            }
        }
        if shutdown.is_cancelled() {
            return;
        }
        progress = match (job.round)(st.clone()).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(job = job.name, error = %e, "worker round failed; will retry");
                Progress::Idle
            }
        };
    }
}

/// The `expiry` job: pending orders whose time ran out become failed (`expired`).
/// An order whose source debit is in flight never expires (the statement skips it).
async fn expire_orders(st: &AppState) -> anyhow::Result<Progress> {
    const BATCH: i64 = 1000;
    let n = crate::storage::pay::expire_due(&st.db.pool, st.clock.now_ms(), BATCH).await?;
    if n > 0 {
        tracing::info!(expired = n, "unpaid orders expired");
    }
    Ok(if n >= BATCH as u64 { Progress::More } else { Progress::Idle })
}

/// The `housekeeping` job: deletes nonces older than the replay window, and expired
/// sessions, authorize requests, codes and tokens.
async fn housekeeping(st: &AppState) -> anyhow::Result<Progress> {
    st.nonces.prune(st.clock.now_ms());
    let now = st.clock.now_ms();
    let cutoff = now - opengate_shared::signing::NONCE_TTL_SECS * 1000;
    let n = nonces::purge(&st.db.pool, cutoff).await?;
    if n > 0 {
        tracing::debug!(deleted = n, "old nonces purged");
    }
    let code_cutoff = crate::login::tokens::used_code_cutoff(now);
    let n =
        sessions::purge_expired(&st.db.pool, now).await? + oauth::purge_expired(&st.db.pool, now, code_cutoff).await?;
    if n > 0 {
        tracing::debug!(deleted = n, "expired sessions, codes and tokens purged");
    }
    Ok(Progress::Idle)
}
