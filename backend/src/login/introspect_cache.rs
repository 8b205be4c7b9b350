//! Introspection answers cached per node, valid only while the revocation epoch is
//! unchanged (ADR 0011). Every transaction that revokes a token bumps the epoch in
//! the database; before answering from the cache a request reads the epoch with a
//! read that *started after the request arrived*, so a revocation committed on any
//! node before the request came in is always seen. Concurrent requests share one
//! epoch read, which is where the speed comes from.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::storage::oauth;

use super::tokens::Introspection;

/// At most this many answers are kept; the cache starts over when full.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub struct IntrospectCache {
    /// When the newest finished epoch read started, and what it read.
    latest: Mutex<Option<(Instant, i64)>>,
    /// One epoch read at a time; waiters reuse it when it started after they arrived.
    reader: tokio::sync::Mutex<()>,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug, Clone)]
struct Entry {
    epoch: i64,
    app_id: String,
    expires_at_ms: i64,
    answer: Introspection,
}

impl IntrospectCache {
    fn fresh(&self, arrived: Instant) -> Option<i64> {
        let latest = *self.latest.lock().unwrap_or_else(|e| e.into_inner());
        latest.filter(|(started, _)| *started >= arrived).map(|(_, epoch)| epoch)
    }

    /// The epoch as of a moment after `arrived`.
    pub async fn epoch(&self, pool: &sqlx::AnyPool, arrived: Instant) -> sqlx::Result<i64> {
        if let Some(e) = self.fresh(arrived) {
            return Ok(e);
        }
        let _turn = self.reader.lock().await;
        if let Some(e) = self.fresh(arrived) {
            return Ok(e);
        }
        let started = Instant::now();
        let epoch = oauth::token_epoch(pool).await?;
        let mut latest = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        if latest.is_none_or(|(s, _)| s < started) {
            *latest = Some((started, epoch));
        }
        Ok(epoch)
    }

    /// The cached answer for `token_hash` asked by `app_id`, if still valid at `epoch`.
    pub fn get(&self, token_hash: &str, app_id: &str, epoch: i64, now_ms: i64) -> Option<Introspection> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let e = entries.get(token_hash)?;
        if e.epoch != epoch || e.expires_at_ms <= now_ms {
            return None;
        }
        // Another app's token: inactive for this caller (never says whose it is).
        Some(if e.app_id == app_id { e.answer.clone() } else { Introspection::default() })
    }

    /// Keeps an active answer read at `epoch` (the epoch read before the lookup).
    pub fn put(&self, token_hash: &str, app_id: &str, epoch: i64, expires_at_ms: i64, answer: &Introspection) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            token_hash.to_owned(),
            Entry { epoch, app_id: app_id.to_owned(), expires_at_ms, answer: answer.clone() },
        );
    }
}
