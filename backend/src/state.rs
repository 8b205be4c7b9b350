//! What every handler and operator command shares.

use std::sync::Arc;

use crate::auth::key_cache::KeyCache;
use crate::auth::nonce_batch::NonceGuard;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::storage::Db;

#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub secrets: SecretBox,
    pub key_cache: KeyCache,
    pub nonces: Arc<NonceGuard>,
    /// Group commit of code exchanges (ADR 0006).
    pub issuer: crate::login::issue_batch::IssueWriter,
    /// Wakes the notification worker; the outbound HTTP client.
    pub notifier: crate::notify::Notifier,
    /// Group commit of payment confirmations (ADR 0009).
    pub confirmer: crate::pay::confirm_batch::ConfirmWriter,
    /// Group commit of balance refunds (ADR 0016).
    pub refunder: crate::pay::refund_batch::RefundWriter,
    /// Introspection answers valid while the revocation epoch holds (ADR 0011).
    pub introspect_cache: Arc<crate::login::introspect_cache::IntrospectCache>,
    /// Per-app request limits of `/open/v1/*` (U0401).
    pub limiter: Arc<crate::auth::rate_limit::AppLimiter>,
    /// OpenID Connect signing keys, re-read every `oidc_key_refresh_ms` (ADR 0014).
    pub oidc_keys: Arc<crate::login::oidc_keys::OidcKeys>,
}
