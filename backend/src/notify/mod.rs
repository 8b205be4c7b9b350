//! Notification delivery (SPEC §8): the outbox worker. Rows are written in the
//! payment's transaction (so a crash loses nothing), claimed with a lease (so with
//! several nodes each due delivery is sent by one), signed per Standard Webhooks
//! with the app's notify secret(s), and retried on a fixed schedule until delivered
//! (HTTP 200) or exhausted. See ADR 0009.

pub mod outbound;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Notify;

use crate::state::AppState;
use crate::storage::notify::{self, Due, Outcome};

/// The handle the payment code uses to wake the worker, and the outbound client.
#[derive(Debug, Clone)]
pub struct Notifier {
    wake: Arc<Notify>,
    pub client: outbound::Outbound,
}

impl Notifier {
    pub fn new(client: outbound::Outbound) -> Notifier {
        Notifier { wake: Arc::new(Notify::new()), client }
    }

    /// Something became due now: deliver without waiting for the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// What the worker's `notifications` job waits on besides its poll interval.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// The worker's `notifications` job, one round: claim due rows, send them
/// concurrently, record the outcomes. `More` when it sent something (the worker runs
/// it again at once), `Idle` when nothing was due. A round in flight is finished
/// before a shutdown takes effect (the worker checks between rounds).
pub async fn deliver_due(st: &AppState) -> anyhow::Result<crate::worker::Progress> {
    let token = crate::crypto::new_id("lease");
    let due = claim(st, &token).await?;
    if due.is_empty() {
        return Ok(crate::worker::Progress::Idle);
    }
    let outcomes = send_all(st, &due).await;
    // On failure the lease runs out and the rows are sent again: at least once.
    record_all(st, &due, &token, &outcomes).await?;
    Ok(crate::worker::Progress::More)
}

async fn claim(st: &AppState, token: &str) -> sqlx::Result<Vec<Due>> {
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    let due =
        notify::claim_due(&mut w.tx, st.db.kind, now, st.config.notify_lease_ms, token, st.config.notify_batch).await?;
    w.commit().await?;
    Ok(due)
}

/// What one attempt produced, before the schedule is applied.
#[derive(Debug)]
struct Sent {
    started_at: i64,
    latency_ms: i64,
    http_status: Option<i64>,
    error: Option<String>,
}

async fn send_all(st: &AppState, due: &[Due]) -> Vec<Sent> {
    let mut secrets: HashMap<String, Result<Arc<Vec<String>>, String>> = HashMap::new();
    for d in due {
        if !secrets.contains_key(&d.app_id) {
            let s = crate::admin::notify_secrets(st, &d.app_id).await.map(Arc::new).map_err(|e| e.to_string());
            secrets.insert(d.app_id.clone(), s);
        }
    }
    let mut set = tokio::task::JoinSet::new();
    for (i, d) in due.iter().enumerate() {
        let client = st.notifier.client.clone();
        let clock = st.clock.clone();
        let secrets = secrets.get(&d.app_id).cloned().unwrap_or_else(|| Err("no secret".into()));
        let d = d.clone();
        set.spawn(async move {
            let started_at = clock.now_ms();
            let t0 = Instant::now();
            let (http_status, error) = match secrets {
                Ok(s) => client.deliver(&d.url, &d.id, clock.now_secs(), &s, d.payload.as_bytes()).await,
                Err(e) => (None, Some(format!("cannot sign: {e}"))),
            };
            let latency_ms = i64::try_from(t0.elapsed().as_millis()).unwrap_or(i64::MAX);
            (i, Sent { started_at, latency_ms, http_status, error })
        });
    }
    let mut out: Vec<Option<Sent>> = due.iter().map(|_| None).collect();
    while let Some(r) = set.join_next().await {
        match r {
            Ok((i, s)) => {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(s);
                }
            }
            Err(e) => tracing::error!(error = %e, "delivery task failed"),
        }
    }
    out.into_iter()
        .map(|s| {
            s.unwrap_or(Sent {
                started_at: 0,
                latency_ms: 0,
                http_status: None,
                error: Some("delivery task failed".into()),
            })
        })
        .collect()
}

/// The schedule (SPEC §8): delivered on HTTP 200; else at the next point of the grid
/// `first attempt + k × retry_interval` after this attempt's start (a late or slow
/// attempt neither stretches the schedule nor causes a burst of catch-up tries),
/// unless that point is more than `give_up_after` past the first attempt: exhausted.
fn outcome(st: &AppState, d: &Due, s: &Sent, now: i64) -> Outcome {
    let delivered = s.http_status == Some(200);
    let interval = st.config.notify_retry_interval_secs * 1000;
    let started = if s.started_at > 0 { s.started_at } else { now };
    let next = d.first_attempt_at + ((started - d.first_attempt_at).max(0) / interval + 1) * interval;
    let deadline = d.first_attempt_at + st.config.notify_give_up_after_secs * 1000;
    let (status, next_attempt_at) = if delivered {
        ("delivered", now)
    } else if next > deadline {
        ("exhausted", now)
    } else {
        ("pending", next)
    };
    let error = match (&s.error, s.http_status) {
        (Some(e), _) => Some(e.clone()),
        (None, Some(200)) => None,
        (None, Some(code)) => Some(format!("HTTP {code} (only 200 counts as delivered)")),
        (None, None) => Some("no answer".into()),
    };
    Outcome {
        started_at: s.started_at,
        latency_ms: s.latency_ms,
        http_status: s.http_status,
        error,
        status,
        next_attempt_at,
    }
}

async fn record_all(st: &AppState, due: &[Due], token: &str, sent: &[Sent]) -> sqlx::Result<()> {
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    for (d, s) in due.iter().zip(sent) {
        let o = outcome(st, d, s, now);
        if !notify::record(&mut w.tx, d, token, &o, now).await? {
            tracing::warn!(notification = %d.id, "lease lost before the outcome was recorded");
        }
        match o.status {
            "delivered" => tracing::debug!(notification = %d.id, attempt = d.attempt, "notification delivered"),
            "exhausted" => tracing::warn!(notification = %d.id, attempt = d.attempt, "notification exhausted"),
            _ => {
                tracing::info!(notification = %d.id, attempt = d.attempt, error = ?o.error, "delivery failed; will retry")
            }
        }
    }
    w.commit().await?;
    metrics::counter!("opengate_notification_attempts_total").increment(due.len() as u64);
    Ok(())
}
