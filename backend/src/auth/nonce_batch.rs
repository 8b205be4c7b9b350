//! Nonce replay protection (SPEC §4; ADR 0003), in two tiers:
//!
//! - a per-node memory tier that answers most checks without I/O, and
//! - the shared `request_nonces` table, written by one writer task that records
//!   everything waiting in one transaction (group commit).
//!
//! On PostgreSQL (several nodes) a nonce counts as fresh only once the shared table
//! has taken it, so a replay to another node is refused. On SQLite (one node by
//! design) the memory tier is authoritative and the table is written behind, then
//! read back at start, so replays across a restart are refused too; the only gap is
//! a crash within the few milliseconds before a batch is written.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};

use crate::storage::{Db, DbKind};

type Reply = oneshot::Sender<Result<bool, String>>;

enum Msg {
    Record { access_key: String, nonce: String, now_ms: i64, reply: Option<Reply> },
    Flush(oneshot::Sender<()>),
}

const SHARDS: usize = 16;
/// Above this many remembered nonces a node stops trusting memory alone and asks the
/// database synchronously (bounded memory under floods).
const MEMORY_CAP: usize = 2_000_000;

#[derive(Debug)]
pub struct NonceGuard {
    shared: bool,
    window_ms: i64,
    shards: Vec<Mutex<HashMap<(String, String), i64>>>,
    tx: mpsc::Sender<Msg>,
}

/// Most nonces one statement records.
const MAX_BATCH: usize = 256;

impl NonceGuard {
    /// Starts the writer task; on SQLite loads the nonces still inside the window.
    pub async fn start(db: Db, window_ms: i64, now_ms: i64) -> Result<NonceGuard, sqlx::Error> {
        let (tx, rx) = mpsc::channel(16_384);
        let shards = (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect();
        let guard = NonceGuard { shared: db.kind == DbKind::Postgres, window_ms, shards, tx };
        if !guard.shared {
            let rows: Vec<(String, String, i64)> =
                sqlx::query_as("SELECT access_key, nonce, seen_at FROM request_nonce_log WHERE seen_at >= $1")
                    .bind(now_ms - window_ms)
                    .fetch_all(&db.pool)
                    .await?;
            for (ak, n, t) in rows {
                guard.insert_memory(ak, n, t);
            }
        }
        tokio::spawn(writer(db, window_ms, guard.shared, rx));
        Ok(guard)
    }

    fn shard(&self, ak: &str, nonce: &str) -> &Mutex<HashMap<(String, String), i64>> {
        use std::hash::{Hash, Hasher};
        let mut fh = std::hash::DefaultHasher::new();
        ak.hash(&mut fh);
        nonce.hash(&mut fh);
        &self.shards[(fh.finish() as usize) % SHARDS]
    }

    fn insert_memory(&self, ak: String, nonce: String, t: i64) {
        if let Ok(mut m) = self.shard(&ak, &nonce).lock() {
            m.insert((ak, nonce), t);
        }
    }

    fn memory_len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map(|m| m.len()).unwrap_or(0)).sum()
    }

    /// Records the nonce; Ok(false) when it was seen for this key within the window.
    pub async fn remember(&self, access_key: &str, nonce: &str, now_ms: i64) -> Result<bool, String> {
        let key = (access_key.to_owned(), nonce.to_owned());
        {
            let mut m = self.shard(access_key, nonce).lock().map_err(|_| "nonce memory poisoned".to_string())?;
            if m.get(&key).is_some_and(|&t| t >= now_ms - self.window_ms) {
                return Ok(false);
            }
            m.insert(key.clone(), now_ms);
        }
        let synchronous = self.shared || self.memory_len() > MEMORY_CAP;
        if !synchronous {
            let msg = Msg::Record { access_key: key.0, nonce: key.1, now_ms, reply: None };
            self.tx.send(msg).await.map_err(|_| "nonce writer stopped".to_string())?;
            return Ok(true);
        }
        let (reply, rx) = oneshot::channel();
        let msg = Msg::Record { access_key: key.0.clone(), nonce: key.1.clone(), now_ms, reply: Some(reply) };
        let res = match self.tx.send(msg).await {
            Ok(()) => rx.await.unwrap_or_else(|_| Err("nonce writer dropped the request".to_string())),
            Err(_) => Err("nonce writer stopped".to_string()),
        };
        if res.is_err() {
            // Not recorded: let a retry with the same nonce through.
            if let Ok(mut m) = self.shard(access_key, nonce).lock() {
                m.remove(&key);
            }
        }
        res
    }

    /// Waits until everything handed over so far is in the database.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Forgets memory entries older than the window.
    pub fn prune(&self, now_ms: i64) {
        for s in &self.shards {
            if let Ok(mut m) = s.lock() {
                m.retain(|_, t| *t >= now_ms - self.window_ms);
            }
        }
    }
}

async fn writer(db: Db, window_ms: i64, shared: bool, mut rx: mpsc::Receiver<Msg>) {
    let mut batch: Vec<Msg> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut items = Vec::with_capacity(batch.len());
        let mut flushes = Vec::new();
        for m in batch.drain(..) {
            match m {
                Msg::Record { access_key, nonce, now_ms, reply } => items.push((access_key, nonce, now_ms, reply)),
                Msg::Flush(tx) => flushes.push(tx),
            }
        }
        if !items.is_empty() {
            if shared {
                record(&db, window_ms, items).await;
            } else if let Err(e) = append_log(&db, &items).await {
                // The memory tier already answered; only restart recovery loses these.
                tracing::error!(error = %e, lost = items.len(), "appending nonces to the log failed");
            }
        }
        for f in flushes {
            let _ = f.send(());
        }
    }
}

type Item = (String, String, i64, Option<Reply>);

async fn record(db: &Db, window_ms: i64, items: Vec<Item>) {
    // A key+nonce twice in one batch: the first one is recorded, later ones are replays.
    let mut seen = HashSet::new();
    let mut unique = Vec::with_capacity(items.len());
    let mut dupes = Vec::new();
    for it in items {
        if seen.insert((it.0.clone(), it.1.clone())) {
            unique.push(it);
        } else {
            dupes.push(it);
        }
    }
    let cutoff = unique.iter().map(|i| i.2).min().unwrap_or(0) - window_ms;
    match insert_chunks(db, &unique, cutoff).await {
        Ok(fresh) => {
            for (ak, n, _, reply) in unique {
                if let Some(r) = reply {
                    let _ = r.send(Ok(fresh.contains(&(ak, n))));
                }
            }
            for (_, _, _, reply) in dupes {
                if let Some(r) = reply {
                    let _ = r.send(Ok(false));
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "recording nonces failed");
            let msg = format!("recording nonces failed: {e}");
            for (_, _, _, reply) in unique.into_iter().chain(dupes) {
                if let Some(r) = reply {
                    let _ = r.send(Err(msg.clone()));
                }
            }
        }
    }
}

const CHUNK_SIZES: [usize; 4] = [64, 16, 4, 1];

/// `INSERT INTO {table} (access_key, nonce, seen_at) VALUES ($1, $2, $3), …` for `n`
/// rows, then `tail`. Statements come in a few fixed sizes so that each stays in the
/// connection's prepared-statement cache.
fn insert_sql(table: &str, n: usize, tail: &str) -> String {
    let values: Vec<String> = (0..n).map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect();
    format!("INSERT INTO {table} (access_key, nonce, seen_at) VALUES {}{tail}", values.join(", "))
}

/// Takes the largest fixed-size chunk off `rest`, with its statement.
fn next_chunk<'s, 'i>(sqls: &'s [(usize, String)], rest: &mut &'i [Item]) -> (&'s str, &'i [Item]) {
    let (n, sql) = sqls.iter().find(|(n, _)| *n <= rest.len()).unwrap_or(&sqls[sqls.len() - 1]);
    let (chunk, tail) = rest.split_at((*n).min(rest.len()));
    *rest = tail;
    (sql, chunk)
}

fn bind_chunk<'q>(sql: &'q str, chunk: &'q [Item]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for it in chunk {
        q = q.bind(it.0.as_str()).bind(it.1.as_str()).bind(it.2);
    }
    q
}

/// Single-node mode: appends the nonces to the log in one transaction.
async fn append_log(db: &Db, items: &[Item]) -> Result<(), sqlx::Error> {
    static SQL: std::sync::OnceLock<Vec<(usize, String)>> = std::sync::OnceLock::new();
    let sqls = SQL.get_or_init(|| CHUNK_SIZES.iter().map(|&n| (n, insert_sql("request_nonce_log", n, ""))).collect());
    let mut tx = db.pool.begin().await?;
    let mut rest = items;
    while !rest.is_empty() {
        let (sql, chunk) = next_chunk(sqls, &mut rest);
        bind_chunk(sql, chunk).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// Several-node mode: the upsert that records a nonce unless seen within the window.
/// The window is measured from the batch's earliest time: rows of one batch are
/// within milliseconds of each other.
fn upsert_sql(n: usize) -> String {
    let tail = format!(
        " ON CONFLICT (access_key, nonce) DO UPDATE SET seen_at = excluded.seen_at \
          WHERE request_nonces.seen_at < ${}",
        3 * n + 1
    );
    insert_sql("request_nonces", n, &tail)
}

/// Records the nonces in one transaction; returns those that were fresh.
async fn insert_chunks(db: &Db, items: &[Item], cutoff: i64) -> Result<HashSet<(String, String)>, sqlx::Error> {
    static SQL: std::sync::OnceLock<Vec<(usize, String)>> = std::sync::OnceLock::new();
    let sqls = SQL.get_or_init(|| CHUNK_SIZES.iter().map(|&n| (n, upsert_sql(n))).collect());
    let single = &sqls[sqls.len() - 1].1;
    let mut fresh = HashSet::new();
    let mut tx = db.pool.begin().await?;
    let mut rest = items;
    while !rest.is_empty() {
        let (sql, chunk) = next_chunk(sqls, &mut rest);
        // Common case: every nonce is new and the affected-row count says so. Otherwise
        // undo the chunk and record its nonces one by one to learn which were replays.
        let mut sp = sqlx::Connection::begin(&mut *tx).await?;
        let affected = bind_chunk(sql, chunk).bind(cutoff).execute(&mut *sp).await?.rows_affected();
        if affected == chunk.len() as u64 {
            sp.commit().await?;
            fresh.extend(chunk.iter().map(|it| (it.0.clone(), it.1.clone())));
            continue;
        }
        sp.rollback().await?;
        for it in chunk {
            let one = bind_chunk(single, std::slice::from_ref(it)).bind(cutoff).execute(&mut *tx).await?;
            if one.rows_affected() == 1 {
                fresh.insert((it.0.clone(), it.1.clone()));
            }
        }
    }
    tx.commit().await?;
    Ok(fresh)
}
