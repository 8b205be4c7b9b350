//! A short-lived cache of key lookups (with the opened secret) in front of the
//! database. Changes made through this process invalidate it at once; changes made
//! by another node or by the operator CLI take effect within `key_cache_ttl_ms`
//! (default 1000 ms; 0 disables the cache). See ADR 0005.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use secrecy::SecretString;

/// What authentication needs to know about an enabled key of an active app.
#[derive(Debug, Clone)]
pub struct CachedKey {
    pub app_id: String,
    pub secret: SecretString,
    pub bindings: Vec<crate::domain::IpRule>,
}

impl CachedKey {
    /// A key with no binding is not IP-checked (SPEC §3).
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        self.bindings.is_empty() || self.bindings.iter().any(|r| r.contains(ip))
    }
}

type Entries = HashMap<String, (Instant, Arc<CachedKey>)>;

#[derive(Debug, Clone, Default)]
pub struct KeyCache {
    ttl: Duration,
    inner: Arc<RwLock<Entries>>,
}

const MAX_ENTRIES: usize = 10_000;

impl KeyCache {
    pub fn new(ttl_ms: u64) -> KeyCache {
        KeyCache { ttl: Duration::from_millis(ttl_ms), inner: Arc::default() }
    }

    pub fn get(&self, access_key: &str) -> Option<Arc<CachedKey>> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.inner.read().ok()?;
        let (at, key) = map.get(access_key)?;
        (at.elapsed() < self.ttl).then(|| key.clone())
    }

    pub fn put(&self, access_key: &str, key: Arc<CachedKey>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut map) = self.inner.write() {
            if map.len() >= MAX_ENTRIES {
                let ttl = self.ttl;
                map.retain(|_, (at, _)| at.elapsed() < ttl);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(access_key.to_owned(), (Instant::now(), key));
        }
    }

    /// Forgets everything (called after any key, binding or app-status change).
    pub fn invalidate_all(&self) {
        if let Ok(mut map) = self.inner.write() {
            map.clear();
        }
    }
}
