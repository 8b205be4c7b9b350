//! All SQL lives below this module, one file per aggregate. One SQL text serves
//! SQLite and PostgreSQL through sqlx's `Any` driver (ADR 0001).

pub mod apps;
pub mod keys;
pub mod ledger;
pub mod nonces;
pub mod oauth;
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
    let mut pool_opts =
        AnyPoolOptions::new().max_connections(max_connections.max(1)).acquire_timeout(Duration::from_secs(10));
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
                Ok(())
            })
        });
    }
    let pool = pool_opts
        .connect_with(opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database ({}): {e}", redact_url(&url)))?;
    MIGRATOR.run(&pool).await.map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    Ok(Db { pool, kind })
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
