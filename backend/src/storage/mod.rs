//! All SQL lives below this module, one file per aggregate. One SQL text serves
//! SQLite and PostgreSQL through sqlx's `Any` driver (ADR 0001).

pub mod apps;
pub mod console;
pub mod history;
pub mod inbound;
pub mod keys;
pub mod ledger;
pub mod nonces;
pub mod notify;
pub mod oauth;
pub mod oidc;
pub mod pay;
pub mod refunds;
pub mod sessions;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: DbKind,
    /// SQLite has one writer at a time; writers that find the lock taken sleep in
    /// SQLite's busy handler (with backoff), which wrecks throughput under load. Our
    /// own write transactions queue here instead (see [`Db::begin_write`]).
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction; on SQLite it also holds this process's write gate.
pub struct WriteTx {
    pub tx: sqlx::Transaction<'static, sqlx::Any>,
    _gate: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> sqlx::Result<()> {
        self.tx.rollback().await
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens the database named by `url`, creating a SQLite file (and its folder) when
/// missing, and runs the embedded migrations.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
    sqlx::any::install_default_drivers();
    let kind = if url.starts_with("postgres") { DbKind::Postgres } else { DbKind::Sqlite };
    let url = match kind {
        DbKind::Sqlite => sqlite_url(url)?,
        DbKind::Postgres => url.to_owned(),
    };
    let opts = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
    // No ping before every acquire: it doubles the round trips of a one-query request.
    // A broken connection still fails its query and is replaced by the pool.
    let mut pool_opts = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false);
    if kind == DbKind::Sqlite {
        pool_opts = pool_opts.after_connect(|conn, _| {
            Box::pin(async move {
                // WAL lets readers run beside the one writer; busy_timeout makes writers
                // wait for each other instead of failing; NORMAL sync is durable in WAL
                // except on power loss of the last commits.
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA synchronous = NORMAL").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                // Checkpoints run in a background task (see `checkpointer`), not inside
                // the commit that happens to cross the threshold: a commit never
                // waits for the checkpoint's copy and fsync.
                conn.execute("PRAGMA wal_autocheckpoint = 0").await?;
                conn.execute("PRAGMA journal_size_limit = 67108864").await?;
                Ok(())
            })
        });
    }
    let pool = pool_opts
        .connect_with(opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database ({}): {e}", redact_url(&url)))?;
    MIGRATOR.run(&pool).await.map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    if kind == DbKind::Sqlite {
        tokio::spawn(checkpointer(pool.clone()));
    }
    Ok(Db { pool, kind, write_gate: Default::default() })
}

/// SQLite only: copies the write-ahead log into the database file every 200 ms
/// (PASSIVE: never blocks readers or the writer). Ends when the pool is closed.
async fn checkpointer(pool: AnyPool) {
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
        }
    }
}

fn sqlite_url(url: &str) -> anyhow::Result<String> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        anyhow::bail!("database_url: use a SQLite file (sqlite://data/opengate.db), not an in-memory database");
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| anyhow::anyhow!("cannot create the database folder {}: {e}", parent.display()))?;
        }
    }
    let mut out = format!("sqlite://{path}");
    if query.is_empty() {
        out.push_str("?mode=rwc");
    } else {
        out.push('?');
        out.push_str(query);
        if !query.contains("mode=") {
            out.push_str("&mode=rwc");
        }
    }
    Ok(out)
}

/// The URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// True when the error is a unique-constraint violation (the one place this is decided).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

impl Db {
    /// Begins a transaction that will write. On SQLite it holds this process's write
    /// gate and SQLite's write lock from the start; on PostgreSQL the gate is not
    /// used: row locks and unique indexes do that job across nodes.
    pub async fn begin_write(&self) -> sqlx::Result<WriteTx> {
        let (gate, tx) = match self.kind {
            // IMMEDIATE takes SQLite's write lock at BEGIN: a transaction that reads
            // first cannot then fail with SQLITE_BUSY_SNAPSHOT when a writer outside
            // the gate (an autocommit statement) committed in between.
            DbKind::Sqlite => {
                let gate = self.write_gate.clone().lock_owned().await;
                (Some(gate), self.pool.begin_with("BEGIN IMMEDIATE").await?)
            }
            DbKind::Postgres => (None, self.pool.begin().await?),
        };
        Ok(WriteTx { tx, _gate: gate })
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(redact_url("postgres://u:pw@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("sqlite://a.db"), "sqlite://a.db");
        assert!(sqlite_url("sqlite::memory:").is_err());
    }
}
