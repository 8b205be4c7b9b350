//! Group commit for code exchanges (ADR 0006). One writer task per node takes every
//! exchange waiting (up to [`MAX_BATCH`]) and, in one transaction, claims their codes
//! with one `UPDATE … WHERE used_at IS NULL AND code_hash IN (…) RETURNING`, then
//! inserts their families, access tokens and refresh tokens with multi-row
//! statements. A transaction round trip costs about as much as a whole exchange's
//! other work, so sharing it is what makes exchanges fast on SQLite.
//!
//! Correctness does not depend on the batching: a code is claimed by the database's
//! `used_at IS NULL` check (row locks on PostgreSQL, across nodes), the same code
//! twice in one batch is given to the first job only, and replies go out after the
//! commit, so a loser's reuse handling sees (and revokes) the winner's family.

use std::collections::HashSet;

use tokio::sync::{mpsc, oneshot};

use crate::storage::Db;

/// One exchange to record: everything is computed by the caller.
#[derive(Debug)]
pub struct IssueJob {
    pub code_hash: String,
    pub family_id: String,
    pub app_id: String,
    pub user_id: String,
    pub device_id: String,
    pub scope: String,
    pub access_hash: String,
    pub refresh_hash: String,
    pub now: i64,
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    /// OpenID Connect facts kept with the family (for id_tokens on refresh, userinfo).
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    pub device_bound: bool,
    pub oidc: bool,
}

type Reply = oneshot::Sender<Result<bool, String>>;

pub const MAX_BATCH: usize = 64;
const CHUNKS: [usize; 3] = [16, 4, 1];

#[derive(Debug, Clone)]
pub struct IssueWriter {
    tx: mpsc::Sender<(IssueJob, Reply)>,
}

impl IssueWriter {
    pub fn start(db: Db) -> IssueWriter {
        let (tx, rx) = mpsc::channel(4096);
        tokio::spawn(writer(db, rx));
        IssueWriter { tx }
    }

    /// Records the exchange; Ok(false) when the code was already used.
    pub async fn issue(&self, job: IssueJob) -> Result<bool, String> {
        let (reply, rx) = oneshot::channel();
        self.tx.send((job, reply)).await.map_err(|_| "token writer stopped".to_string())?;
        rx.await.unwrap_or_else(|_| Err("token writer dropped the request".to_string()))
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<(IssueJob, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs: Vec<(IssueJob, Reply)> = std::mem::take(&mut batch);
        let (jobs, replies): (Vec<IssueJob>, Vec<Reply>) = jobs.into_iter().unzip();
        match record(&db, &jobs).await {
            Ok(won) => {
                for (r, w) in replies.into_iter().zip(won) {
                    let _ = r.send(Ok(w));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = jobs.len(), "recording code exchanges failed");
                let msg = format!("recording code exchanges failed: {e}");
                for r in replies {
                    let _ = r.send(Err(msg.clone()));
                }
            }
        }
    }
}

/// Splits `items` into fixed-size chunks, so that statements stay few and cached.
fn chunks<T>(items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let n = CHUNKS.iter().copied().find(|&n| n <= rest.len()).unwrap_or(1);
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

fn placeholders(rows: usize, cols: usize, first: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (0..cols).map(|c| format!("${}", first + r * cols + c)).collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which jobs won their code, in job order.
async fn record(db: &Db, jobs: &[IssueJob]) -> sqlx::Result<Vec<bool>> {
    let mut w = db.begin_write().await?;
    // 1. Claim. A code twice in one batch: only its first job may win.
    let mut seen = HashSet::new();
    let unique: Vec<&str> = jobs.iter().map(|j| j.code_hash.as_str()).filter(|h| seen.insert(*h)).collect();
    let mut claimed: HashSet<String> = HashSet::new();
    for chunk in chunks(&unique) {
        let ph: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "UPDATE auth_codes SET used_at = $1 WHERE used_at IS NULL AND code_hash IN ({}) RETURNING code_hash",
            ph.join(", ")
        );
        let mut q = sqlx::query_as::<_, (String,)>(&sql).bind(jobs[0].now);
        for h in chunk {
            q = q.bind(*h);
        }
        claimed.extend(q.fetch_all(&mut *w.tx).await?.into_iter().map(|r| r.0));
    }
    let mut given = HashSet::new();
    let won: Vec<bool> =
        jobs.iter().map(|j| claimed.contains(&j.code_hash) && given.insert(j.code_hash.as_str())).collect();
    let winners: Vec<&IssueJob> = jobs.iter().zip(&won).filter(|(_, w)| **w).map(|(j, _)| j).collect();

    // 2. Families, access tokens, refresh tokens of the winners.
    for chunk in chunks(&winners) {
        let sql = format!(
            "INSERT INTO token_families (id, app_id, user_id, code_hash, device_id, created_at, nonce, auth_time, \
             device_bound, oidc) VALUES {}",
            placeholders(chunk.len(), 10, 1)
        );
        let mut q = sqlx::query(&sql);
        for j in chunk {
            q = q.bind(&j.family_id).bind(&j.app_id).bind(&j.user_id).bind(&j.code_hash).bind(&j.device_id).bind(j.now);
            q = q.bind(&j.nonce).bind(j.auth_time).bind(i64::from(j.device_bound)).bind(i64::from(j.oidc));
        }
        q.execute(&mut *w.tx).await?;

        let sql = format!(
            "INSERT INTO access_tokens (token_hash, family_id, scope, created_at, expires_at) VALUES {}",
            placeholders(chunk.len(), 5, 1)
        );
        let mut q = sqlx::query(&sql);
        for j in chunk {
            q = q.bind(&j.access_hash).bind(&j.family_id).bind(&j.scope).bind(j.now).bind(j.access_expires_at);
        }
        q.execute(&mut *w.tx).await?;

        let sql = format!(
            "INSERT INTO refresh_tokens (token_hash, family_id, access_hash, scope, created_at, expires_at) VALUES {}",
            placeholders(chunk.len(), 6, 1)
        );
        let mut q = sqlx::query(&sql);
        for j in chunk {
            q = q
                .bind(&j.refresh_hash)
                .bind(&j.family_id)
                .bind(&j.access_hash)
                .bind(&j.scope)
                .bind(j.now)
                .bind(j.refresh_expires_at);
        }
        q.execute(&mut *w.tx).await?;
    }
    w.commit().await?;
    Ok(won)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_and_placeholders() {
        let v: Vec<u32> = (0..23).collect();
        let sizes: Vec<usize> = chunks(&v).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![16, 4, 1, 1, 1]);
        assert_eq!(placeholders(2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
    }
}
