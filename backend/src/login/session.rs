//! H5 sessions (SPEC §7): an opaque cookie whose SHA-256 is stored, a CSRF token per
//! session, password login with throttling, and session rotation on login.

use opengate_shared::h5api::{SessionInfo, SessionUser};

use super::{hash_secret, new_secret, prefix, Result};
use crate::state::AppState;
use crate::storage::{sessions, users};

/// Failed logins allowed per account within [`LOCK_MS`] before it is locked for [`LOCK_MS`].
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MS: i64 = 15 * 60 * 1000;

/// A session as the H5 API sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub csrf_token: String,
    pub user_id: Option<String>,
    pub info: SessionInfo,
    /// Unix ms the user logged in (OIDC `auth_time`); the creation time when anonymous.
    pub login_at: i64,
}

/// The session of this cookie value, if live.
pub async fn load(st: &AppState, cookie: &str) -> Result<Option<Session>> {
    if !cookie.starts_with(prefix::SESSION) || cookie.len() > 80 {
        return Ok(None);
    }
    let id_hash = hash_secret(cookie);
    let Some(row) = sessions::get(&st.db.pool, &id_hash, st.clock.now_ms()).await? else { return Ok(None) };
    let user = match (&row.user_id, row.nickname) {
        (Some(_), Some(nickname)) => Some(SessionUser {
            nickname,
            account: match (row.mobile, row.email) {
                (Some(m), _) => opengate_shared::ids::mask_mobile(&m),
                (None, Some(e)) => e,
                (None, None) => String::new(),
            },
        }),
        _ => None,
    };
    Ok(Some(Session {
        id_hash,
        csrf_token: row.csrf_token.clone(),
        user_id: row.user_id,
        login_at: row.created_at,
        info: SessionInfo { csrf_token: row.csrf_token, user },
    }))
}

/// Creates a session (anonymous when `user_id` is None); returns the cookie value.
pub async fn create(st: &AppState, user_id: Option<&str>) -> Result<String> {
    let now = st.clock.now_ms();
    let cookie = new_secret(prefix::SESSION);
    let csrf = new_secret("");
    let ttl = st.config.session_ttl_secs * 1000;
    sessions::insert(&st.db.pool, &hash_secret(&cookie), user_id, &csrf, now, now + ttl).await?;
    Ok(cookie)
}

pub async fn destroy(st: &AppState, s: &Session) -> Result<()> {
    sessions::delete(&st.db.pool, &s.id_hash).await?;
    Ok(())
}

/// Why a login was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    BadCredentials,
    /// Locked until this unix-ms time.
    Locked(i64),
}

/// Checks account + password; on success returns the user id. Every failure counts
/// against the account (known or not, so the answer does not reveal which exist).
pub async fn check_password(
    st: &AppState,
    account: &str,
    password: &str,
) -> Result<std::result::Result<String, LoginRefused>> {
    let now = st.clock.now_ms();
    let account = account.trim();
    if account.is_empty() || account.len() > 254 || password.is_empty() || password.len() > crate::password::MAX_BYTES {
        return Ok(Err(LoginRefused::BadCredentials));
    }
    let prior = sessions::failures(&st.db.pool, account).await?;
    if let Some((_, _, locked_until)) = prior {
        if locked_until > now {
            return Ok(Err(LoginRefused::Locked(locked_until)));
        }
    }
    let creds = users::credentials(&st.db.pool, account).await?;
    let ok_user = match &creds {
        Some((id, Some(hash))) => {
            let (p, h) = (password.to_owned(), hash.clone());
            let ok = tokio::task::spawn_blocking(move || crate::password::verify(&p, &h))
                .await
                .map_err(|e| anyhow::anyhow!("password check task: {e}"))?;
            ok.then(|| id.clone())
        }
        _ => {
            // Same work as a real check, so timing does not reveal unknown accounts.
            let p = password.to_owned();
            tokio::task::spawn_blocking(move || crate::password::verify(&p, dummy_hash()))
                .await
                .map_err(|e| anyhow::anyhow!("password check task: {e}"))?;
            None
        }
    };
    match ok_user {
        Some(id) => {
            sessions::clear_failures(&st.db.pool, account).await?;
            users::mark_password_login(&st.db.pool, &id, now).await?;
            Ok(Ok(id))
        }
        None => {
            let (failures, start) = match prior {
                Some((n, start, _)) if now - start < LOCK_MS => (n + 1, start),
                _ => (1, now),
            };
            let locked_until = if failures >= MAX_FAILURES { now + LOCK_MS } else { 0 };
            let (failures, start) = if locked_until > 0 { (0, now) } else { (failures, start) };
            sessions::set_failures(&st.db.pool, account, failures, start, locked_until).await?;
            if locked_until > 0 {
                tracing::warn!("account locked after repeated failed logins");
                return Ok(Err(LoginRefused::Locked(locked_until)));
            }
            Ok(Err(LoginRefused::BadCredentials))
        }
    }
}

fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| crate::password::hash("not a real password").unwrap_or_default())
}
