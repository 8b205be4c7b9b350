//! "Log in with OpenGate" (SPEC §5): the use-cases behind `/oauth/*`,
//! `/open/v1/oauth/*`, `/open/v1/user/info` and the H5 login and consent pages.
//! Transport-free: handlers translate [`LoginError`] into the SPEC envelope or into
//! RFC 6749 error JSON.

pub mod authorize;
pub mod introspect_cache;
pub mod issue_batch;
pub mod oidc;
pub mod oidc_cli;
pub mod oidc_keys;
pub mod oidc_prompt;
pub mod session;
pub mod tokens;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long an access code lives (SPEC §5.3).
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// How long a checked authorize request waits for login and consent.
pub const AUTH_REQUEST_TTL_MS: i64 = 10 * 60 * 1000;
/// Used codes are kept this long past their expiry so that a late second use still
/// revokes what was issued from them.
pub const USED_CODE_RETENTION_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// A parameter is missing or invalid (`invalid_request`, U0029).
    #[error("{0}")]
    InvalidRequest(String),
    /// A scope is unknown, not entitled, or wider than granted (`invalid_scope`, U0029).
    #[error("{0}")]
    InvalidScope(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    /// Code or refresh token unknown, used, expired, revoked, or its binding does
    /// not match (`invalid_grant`, U0201).
    #[error("{0}")]
    InvalidGrant(String),
    /// Access token invalid, expired, revoked, or another app's (U0202).
    #[error("{0}")]
    InvalidToken(String),
    /// `X-OG-Device-Id` missing or not the token's device (U0203).
    #[error("{0}")]
    DeviceMismatch(String),
    /// The token lacks a scope the call needs (U0204).
    #[error("{0}")]
    InsufficientScope(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LoginError {
    fn from(e: sqlx::Error) -> LoginError {
        LoginError::Internal(e.into())
    }
}

pub type Result<T> = std::result::Result<T, LoginError>;

/// A new opaque secret: `prefix` + 256 random bits in base64url (43 characters).
pub fn new_secret(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(b))
}

/// What the database stores for a code, token or session id: hex SHA-256.
pub fn hash_secret(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A stable, non-derivable public id (`open_id`, `union_id`): prefix + 128 random bits.
pub fn new_public_id(prefix: &str) -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}{}", hex::encode(b))
}

/// Token prefixes say what a value is when it turns up in a log or a support ticket.
pub mod prefix {
    pub const ACCESS: &str = "at_";
    pub const REFRESH: &str = "rt_";
    pub const CODE: &str = "ac_";
    pub const SESSION: &str = "ses_";
    pub const AUTH_REQUEST: &str = "ar_";
    pub const OPEN_ID: &str = "oid_";
    pub const UNION_ID: &str = "uid_";
    pub const FAMILY: &str = "fam";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_prefixed_high_entropy_and_hashed() {
        let a = new_secret(prefix::ACCESS);
        assert!(a.starts_with("at_") && a.len() == 46);
        assert_ne!(a, new_secret(prefix::ACCESS));
        let h = hash_secret(&a);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a[3..]));
        assert_eq!(new_public_id(prefix::OPEN_ID).len(), 4 + 32);
    }
}
