//! Configuration: defaults → optional TOML file → `OPENGATE_*` environment →
//! [`Config::validate`]. The server refuses to start on an unsafe setting and says why.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

mod variables;
pub use variables::{check_variables, ENV_PREFIX};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server binds (`127.0.0.1:8080`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// Absolute URL partners and browsers reach the platform at.
    pub public_base_url: String,
    /// `sqlite://path/to/file.db` (default, created on first start) or `postgres://…`.
    pub database_url: String,
    /// Connections in the database pool.
    pub database_max_connections: u32,
    /// 32 random bytes, base64: encrypts secret keys and notify secrets at rest.
    #[serde(serialize_with = "ser_secret_opt")]
    pub master_key: Option<SecretString>,
    /// Demo mode: a master key is generated next to the database and demo data is
    /// created and printed. Never for production.
    pub demo: bool,
    /// Folder with the built H5 (`trunk build --release` writes `dist/`).
    pub h5_dir: PathBuf,
    /// Peers whose forwarded-for header is believed (CIDR list). Empty: only the TCP peer counts.
    pub trusted_proxies: Vec<IpNet>,
    /// Header a trusted proxy puts the client address in.
    pub client_ip_header: String,
    /// Most enabled key pairs one app may have.
    pub max_active_keys: i64,
    /// How long a key lookup is cached per node (ms; 0 disables). Changes made on
    /// this node apply at once; on other nodes within this time.
    pub key_cache_ttl_ms: u64,
    /// Largest request body accepted on `/open/v1/*`, in bytes.
    pub max_body_bytes: usize,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub refresh_grace_secs: i64,
    /// How long an H5 browser session lives (seconds).
    pub session_ttl_secs: i64,
    /// Run the HTTP server (off: only background workers run).
    pub http_enabled: bool,
    /// Run background workers (notification delivery, order expiry, cleanup).
    pub worker_enabled: bool,
    /// Notifications: time between retries of a failed delivery (SPEC §8: 600 s).
    pub notify_retry_interval_secs: i64,
    /// Notifications: no retry starts later than this after the first attempt (36 h).
    pub notify_give_up_after_secs: i64,
    /// Notifications: a partner that has not answered in this time has failed (10 s).
    pub notify_timeout_ms: u64,
    /// Notifications: a claimed delivery belongs to its node for this long; after a
    /// crash it becomes due again when the lease ends. Must exceed the timeout.
    pub notify_lease_ms: i64,
    /// Notifications: how often the worker looks for due rows when nothing woke it.
    pub notify_poll_ms: u64,
    /// Notifications: most deliveries claimed (and sent concurrently) at once.
    pub notify_batch: i64,
    /// Outbound calls refuse loopback, private and link-local addresses except in
    /// these ranges (e.g. `["127.0.0.0/8"]` for a local demo). Demo mode adds loopback.
    pub outbound_allow_cidrs: Vec<IpNet>,
    /// Sources (SPEC §9): a partner's user API or deduction endpoint that has not
    /// answered in this time has failed.
    pub source_timeout_ms: u64,
    /// Sources: how often one debit is tried within the user's request before the
    /// page says "still confirming" (the worker keeps retrying it with the same id).
    pub deduct_attempts: u32,
    /// `/open/v1/*`: requests per second each app may make on average, per node
    /// (0 = no limit); more get `U0401` with `Retry-After`.
    pub rate_limit_per_second: u32,
    /// `/open/v1/*`: requests an app may make at once before the average applies.
    pub rate_limit_burst: u32,
    /// `text` or `json` logs.
    pub log_format: String,
    /// OpenID Connect: how long an id_token is valid (seconds).
    pub oidc_id_token_ttl_secs: i64,
    /// OpenID Connect: after `opengate oidc-key rotate`, the new keys are published at
    /// once but sign only this many seconds later (nodes and relying parties fetch them first).
    pub oidc_key_publish_secs: i64,
    /// OpenID Connect: how often each node re-reads the signing keys (ms).
    pub oidc_key_refresh_ms: u64,
}

fn ser_secret_opt<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("[redacted]"),
        None => s.serialize_none(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: "http://127.0.0.1:8080".into(),
            database_url: "sqlite://data/opengate.db".into(),
            database_max_connections: 8,
            master_key: None,
            demo: false,
            h5_dir: PathBuf::from("dist"),
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".into(),
            max_active_keys: 5,
            max_body_bytes: 1024 * 1024,
            key_cache_ttl_ms: 1000,
            access_token_ttl_secs: 2 * 3600,
            refresh_token_ttl_secs: 30 * 86400,
            refresh_grace_secs: 10,
            session_ttl_secs: 7 * 86400,
            http_enabled: true,
            worker_enabled: true,
            notify_retry_interval_secs: 600,
            notify_give_up_after_secs: 36 * 3600,
            notify_timeout_ms: 10_000,
            notify_lease_ms: 60_000,
            notify_poll_ms: 500,
            notify_batch: 256,
            outbound_allow_cidrs: Vec::new(),
            source_timeout_ms: 5_000,
            deduct_attempts: 3,
            rate_limit_per_second: 200,
            rate_limit_burst: 400,
            log_format: "text".into(),
            oidc_id_token_ttl_secs: 3600,
            oidc_key_publish_secs: 600,
            oidc_key_refresh_ms: 5_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// An `OPENGATE_*` variable that names no key: refused like an unknown key in the
    /// file, but the message names the variable and says what to do.
    #[error("cannot read the configuration: {0}")]
    UnknownVariable(String),
    #[error("unsafe configuration: {0}")]
    Unsafe(String),
}

impl Config {
    /// Defaults, then the TOML file (if given), then `OPENGATE_*` variables.
    pub fn load(file: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Unsafe(format!(
                    "config file {} does not exist; give an existing file or leave --config out",
                    path.display()
                )));
            }
            fig = fig.merge(Toml::file(path));
        }
        // DATABASE_URL is honoured as the ecosystem's usual name; OPENGATE_DATABASE_URL wins.
        fig = fig.merge(Env::raw().only(&["DATABASE_URL"]).map(|_| "database_url".into()));
        check_variables(std::env::vars_os().map(|(k, _)| k.to_string_lossy().into_owned()))?;
        fig = fig.merge(Env::prefixed(ENV_PREFIX).ignore(variables::NOT_CONFIG_KEYS));
        let cfg: Config = fig.extract().map_err(Box::new)?;
        Ok(cfg)
    }

    /// Refuses settings that would make the platform unsafe or broken.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Unsafe(m));
        if self.access_token_ttl_secs <= 0 || self.access_token_ttl_secs > 24 * 3600 {
            return bad(format!(
                "access_token_ttl_secs = {} is outside 1..=86400 (24 h); access tokens must be short-lived",
                self.access_token_ttl_secs
            ));
        }
        if self.refresh_token_ttl_secs < 7 * 86400 {
            return bad(format!(
                "refresh_token_ttl_secs = {} is under 604800 (7 days); set at least 604800",
                self.refresh_token_ttl_secs
            ));
        }
        if !(0..=300).contains(&self.refresh_grace_secs) {
            return bad(format!("refresh_grace_secs = {} must be within 0..=300", self.refresh_grace_secs));
        }
        if !(300..=90 * 86400).contains(&self.session_ttl_secs) {
            return bad(format!(
                "session_ttl_secs = {} must be within 300..=7776000 (5 minutes to 90 days)",
                self.session_ttl_secs
            ));
        }
        if !(1..=100).contains(&self.max_active_keys) {
            return bad(format!("max_active_keys = {} must be within 1..=100", self.max_active_keys));
        }
        if self.key_cache_ttl_ms > 60_000 {
            return bad(format!("key_cache_ttl_ms = {} must be at most 60000", self.key_cache_ttl_ms));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.max_body_bytes) {
            return bad(format!("max_body_bytes = {} must be within 1 KiB..64 MiB", self.max_body_bytes));
        }
        if !(self.public_base_url.starts_with("http://") || self.public_base_url.starts_with("https://")) {
            return bad(format!(
                "public_base_url = {:?} must be an absolute http(s) URL such as https://pay.example.com",
                self.public_base_url
            ));
        }
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres")) {
            return bad(format!(
                "database_url must start with sqlite: or postgres:// (got a value starting {:?})",
                self.database_url.chars().take(10).collect::<String>()
            ));
        }
        match &self.master_key {
            Some(k) => {
                crate::crypto::decode_master_key(k.expose_secret()).map_err(ConfigError::Unsafe)?;
            }
            None if !self.demo => {
                return bad("master_key is missing: set OPENGATE_MASTER_KEY to 32 random bytes in base64 \
                     (e.g. `openssl rand -base64 32`), or run with --demo for a local demo"
                    .into());
            }
            None => {}
        }
        if !(60..=86_400).contains(&self.oidc_id_token_ttl_secs) {
            return bad(format!("oidc_id_token_ttl_secs = {} must be within 60..=86400", self.oidc_id_token_ttl_secs));
        }
        if !(100..=60_000).contains(&self.oidc_key_refresh_ms) {
            return bad(format!("oidc_key_refresh_ms = {} must be within 100..=60000", self.oidc_key_refresh_ms));
        }
        if self.oidc_key_publish_secs * 1000 < 2 * self.oidc_key_refresh_ms as i64
            || self.oidc_key_publish_secs > 7 * 86_400
        {
            return bad(format!(
                "oidc_key_publish_secs = {} must be at least two key refreshes (2 × oidc_key_refresh_ms) and at most 604800, \
                 so every node has a new key before it signs",
                self.oidc_key_publish_secs
            ));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return bad(format!("log_format = {:?} must be \"text\" or \"json\"", self.log_format));
        }
        if !(1..=86_400).contains(&self.notify_retry_interval_secs) {
            return bad(format!(
                "notify_retry_interval_secs = {} must be within 1..=86400",
                self.notify_retry_interval_secs
            ));
        }
        if !(0..=30 * 86_400).contains(&self.notify_give_up_after_secs) {
            return bad(format!(
                "notify_give_up_after_secs = {} must be within 0..=2592000 (30 days)",
                self.notify_give_up_after_secs
            ));
        }
        if !(100..=60_000).contains(&self.source_timeout_ms) {
            return bad(format!("source_timeout_ms = {} must be within 100..=60000", self.source_timeout_ms));
        }
        if self.rate_limit_per_second > 0 && self.rate_limit_burst < self.rate_limit_per_second {
            return bad(format!(
                "rate_limit_burst = {} is below rate_limit_per_second = {}; a second's worth of requests must fit in a burst",
                self.rate_limit_burst, self.rate_limit_per_second
            ));
        }
        if !(1..=10).contains(&self.deduct_attempts) {
            return bad(format!("deduct_attempts = {} must be within 1..=10", self.deduct_attempts));
        }
        if !(100..=60_000).contains(&self.notify_timeout_ms) {
            return bad(format!("notify_timeout_ms = {} must be within 100..=60000", self.notify_timeout_ms));
        }
        if self.notify_lease_ms < 2 * self.notify_timeout_ms as i64 + 1000 {
            return bad(format!(
                "notify_lease_ms = {} must be at least twice notify_timeout_ms plus 1000, or a slow delivery could be sent twice",
                self.notify_lease_ms
            ));
        }
        if !(10..=60_000).contains(&self.notify_poll_ms) {
            return bad(format!("notify_poll_ms = {} must be within 10..=60000", self.notify_poll_ms));
        }
        if !(1..=1000).contains(&self.notify_batch) {
            return bad(format!("notify_batch = {} must be within 1..=1000", self.notify_batch));
        }
        if self.client_ip_header.is_empty() {
            return bad("client_ip_header must not be empty".into());
        }
        Ok(())
    }

    /// Cookies get `Secure` when the platform is served over HTTPS.
    pub fn https(&self) -> bool {
        self.public_base_url.starts_with("https://")
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    /// The ranges outbound calls may reach although internal: the configured ones,
    /// plus loopback in demo mode (the demo partner runs on this machine).
    pub fn outbound_allow(&self) -> Vec<IpNet> {
        let mut v = self.outbound_allow_cidrs.clone();
        if self.demo {
            for net in ["127.0.0.0/8", "::1/128"] {
                if let Ok(n) = net.parse() {
                    v.push(n);
                }
            }
        }
        v
    }

    pub fn master_key_str(&self) -> Option<&str> {
        self.master_key.as_ref().map(|k| k.expose_secret())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_config() -> Config {
        Config {
            master_key: Some(SecretString::from("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")),
            ..Config::default()
        }
    }

    #[test]
    fn defaults_with_master_key_are_valid() {
        ok_config().validate().expect("valid");
    }

    #[test]
    fn unsafe_settings_are_refused_with_reason() {
        let cases: Vec<(Config, &str)> = vec![
            (Config { access_token_ttl_secs: 24 * 3600 + 1, ..ok_config() }, "access_token_ttl_secs"),
            (Config { refresh_token_ttl_secs: 6 * 86400, ..ok_config() }, "refresh_token_ttl_secs"),
            (Config { master_key: None, ..ok_config() }, "master_key is missing"),
            (Config { master_key: Some(SecretString::from("c2hvcnQ=")), ..ok_config() }, "32 bytes"),
            (Config { max_active_keys: 0, ..ok_config() }, "max_active_keys"),
            (Config { public_base_url: "example.com".into(), ..ok_config() }, "public_base_url"),
            (Config { database_url: "mysql://x".into(), ..ok_config() }, "database_url"),
            (Config { notify_timeout_ms: 10_000, notify_lease_ms: 15_000, ..ok_config() }, "notify_lease_ms"),
            (Config { notify_retry_interval_secs: 0, ..ok_config() }, "notify_retry_interval_secs"),
        ];
        for (cfg, needle) in cases {
            let err = cfg.validate().expect_err(needle).to_string();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
        Config { master_key: None, demo: true, ..ok_config() }.validate().expect("demo needs no key");
    }

    #[test]
    fn debug_and_serialize_never_show_the_master_key() {
        let cfg = ok_config();
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("MDEyMzQ1"));
        let json = serde_json::to_string(&cfg).expect("serialize");
        assert!(!json.contains("MDEyMzQ1"));
    }
}
