//! Codes into tokens, refresh rotation with reuse detection, revocation,
//! introspection and `user/info` (SPEC §5.4–5.10, §12). Token lookups always go to
//! the database (no cache), so a revocation is seen at once on every node.

use serde::Serialize;

use super::issue_batch::IssueJob;
use super::oidc::{self, IdTokenFacts};
use super::{hash_secret, new_secret, prefix, LoginError, Result, USED_CODE_RETENTION_MS};
use crate::domain::scope::{pkce_s256_matches, Scope, ScopeSet};
use crate::state::AppState;
use crate::storage::{ledger, oauth};

/// A token answer: the same fields on the native and the standard endpoint.
#[derive(Debug, Clone, Serialize)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_expires_in: i64,
    pub scope: String,
    pub open_id: String,
    pub union_id: String,
    /// OpenID Connect (SPEC §13): with scope `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

fn grant_err(msg: &str) -> LoginError {
    LoginError::InvalidGrant(msg.to_owned())
}

fn parse_scope(s: &str) -> Result<ScopeSet> {
    ScopeSet::parse(s).map_err(|e| LoginError::Internal(anyhow::anyhow!("stored scope: {e}")))
}

/// Issues an access + refresh pair in `family_id` inside `tx`.
async fn issue_pair(
    st: &AppState,
    tx: &mut sqlx::AnyConnection,
    family_id: &str,
    scope: &ScopeSet,
    ids: (String, String),
    now: i64,
) -> Result<TokenSet> {
    let access = new_secret(prefix::ACCESS);
    let refresh = new_secret(prefix::REFRESH);
    let access_hash = hash_secret(&access);
    let cfg = &st.config;
    let scope_s = scope.to_string();
    oauth::insert_access(&mut *tx, &access_hash, family_id, &scope_s, now, now + cfg.access_token_ttl_secs * 1000)
        .await?;
    let refresh_exp = now + cfg.refresh_token_ttl_secs * 1000;
    oauth::insert_refresh(&mut *tx, &hash_secret(&refresh), family_id, &access_hash, &scope_s, now, refresh_exp)
        .await?;
    Ok(token_set(st, access, refresh, scope_s, ids))
}

fn token_set(st: &AppState, access: String, refresh: String, scope: String, ids: (String, String)) -> TokenSet {
    TokenSet {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: st.config.access_token_ttl_secs,
        refresh_expires_in: st.config.refresh_token_ttl_secs,
        scope,
        open_id: ids.0,
        union_id: ids.1,
        id_token: None,
    }
}

async fn ids(st: &AppState, user_id: &str, app_id: &str) -> Result<(String, String)> {
    oauth::ids_for(&st.db.pool, user_id, app_id)
        .await?
        .ok_or_else(|| LoginError::Internal(anyhow::anyhow!("open_id/union_id missing for a granted user")))
}

/// `grant_type=authorization_code` for the authenticated app.
pub async fn exchange_code(
    st: &AppState,
    app_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<TokenSet> {
    let now = st.clock.now_ms();
    let code_hash = hash_secret(code);
    let unknown = || grant_err("code is unknown or expired; start the login again");
    let c = oauth::get_code(&st.db.pool, &code_hash).await?.ok_or_else(unknown)?;
    if c.app_id != app_id {
        // Another app's code: say nothing about it, and leave it alone.
        return Err(unknown());
    }
    if c.used_at.is_some() {
        return Err(reuse_of_code(st, &code_hash, now).await?);
    }
    if c.expires_at <= now {
        return Err(grant_err("code expired (codes live 5 minutes); start the login again"));
    }
    if c.redirect_uri != redirect_uri {
        return Err(grant_err("redirect_uri does not match the one the code was issued for"));
    }
    match (c.code_challenge.as_deref(), verifier) {
        (Some(ch), Some(v)) if pkce_s256_matches(v, ch) => {}
        (Some(_), Some(_)) => return Err(grant_err("code_verifier does not match the code_challenge (PKCE S256)")),
        (Some(_), None) => return Err(grant_err("code_verifier is required: the login used PKCE")),
        (None, Some(_)) => return Err(grant_err("code_verifier given, but the login used no code_challenge")),
        (None, None) => {}
    }
    let scope = parse_scope(&c.scope)?;
    let user_ids =
        c.ids.clone().ok_or_else(|| LoginError::Internal(anyhow::anyhow!("open_id/union_id missing for a code")))?;
    let access = new_secret(prefix::ACCESS);
    let refresh = new_secret(prefix::REFRESH);
    let cfg = &st.config;
    let job = IssueJob {
        code_hash: code_hash.clone(),
        family_id: crate::crypto::new_id(prefix::FAMILY),
        app_id: app_id.to_owned(),
        user_id: c.user_id,
        device_id: c.device_id,
        scope: scope.to_string(),
        access_hash: hash_secret(&access),
        refresh_hash: hash_secret(&refresh),
        now,
        access_expires_at: now + cfg.access_token_ttl_secs * 1000,
        refresh_expires_at: now + cfg.refresh_token_ttl_secs * 1000,
        nonce: c.nonce.clone(),
        auth_time: c.auth_time,
        device_bound: c.device_bound,
        oidc: c.oidc,
    };
    // Signed before the exchange is recorded: a signing failure leaves the code unused.
    let id_token = if c.oidc {
        let facts = IdTokenFacts {
            app_id,
            user_id: &job.user_id,
            open_id: &user_ids.0,
            union_id: &user_ids.1,
            scope: &scope,
            nonce: c.nonce.as_deref(),
            auth_time: c.auth_time,
            access_token: &access,
        };
        Some(oidc::id_token(st, &facts).await?)
    } else {
        None
    };
    // Claimed by the database (first use wins), recorded with its tokens in one
    // transaction shared with other exchanges waiting at the same time.
    let won = st.issuer.issue(job).await.map_err(|e| LoginError::Internal(anyhow::anyhow!(e)))?;
    if !won {
        return Err(reuse_of_code(st, &code_hash, now).await?);
    }
    let mut set = token_set(st, access, refresh, scope.to_string(), user_ids);
    set.id_token = id_token;
    Ok(set)
}

/// A second use of a code: every token issued from it is revoked (SPEC §5.5).
async fn reuse_of_code(st: &AppState, code_hash: &str, now: i64) -> Result<LoginError> {
    let mut w = st.db.begin_write().await?;
    let n = oauth::revoke_families_of_code(&mut w.tx, code_hash, now).await?;
    w.commit().await?;
    if n > 0 {
        tracing::warn!(families = n, "access code used twice; tokens issued from it revoked");
    }
    Ok(grant_err("code was already used; every token issued from it has been revoked"))
}

/// `grant_type=refresh_token`: a new pair with the same (or narrower) scopes, user
/// and device. A token used before is answered again only within the grace period;
/// after it, its whole family is revoked (reuse detection).
pub async fn refresh(st: &AppState, app_id: &str, refresh_token: &str, scope: Option<&str>) -> Result<TokenSet> {
    let now = st.clock.now_ms();
    let hash = hash_secret(refresh_token);
    let Some(row) = oauth::refresh_token(&st.db.pool, &hash).await? else {
        return Err(grant_err("refresh_token is unknown"));
    };
    if row.app_id != app_id {
        return Err(grant_err("refresh_token is unknown"));
    }
    if row.revoked {
        return Err(grant_err("refresh_token was revoked; log the user in again"));
    }
    if row.expires_at <= now {
        return Err(grant_err("refresh_token expired; log the user in again"));
    }
    let current = parse_scope(&row.scope)?;
    let scope = match scope.filter(|s| !s.trim().is_empty()) {
        None => current,
        Some(s) => {
            let asked = ScopeSet::parse(s).map_err(LoginError::InvalidScope)?;
            if !asked.is_subset_of(&current) {
                return Err(LoginError::InvalidScope("scope may narrow the grant, never widen it".into()));
            }
            asked
        }
    };
    let user_ids = ids(st, &row.user_id, app_id).await?;
    let grace_ms = st.config.refresh_grace_secs * 1000;
    let mut w = st.db.begin_write().await?;
    let tx = &mut w.tx;
    let first_use = oauth::use_refresh(&mut **tx, &hash, now).await?;
    if !first_use {
        // Used before (or concurrently): within the grace period answer again, else revoke.
        let used_at = oauth::refresh_token(&mut **tx, &hash).await?.and_then(|r| r.used_at).unwrap_or(0);
        if grace_ms == 0 || now - used_at > grace_ms {
            oauth::revoke_family(tx, &row.family_id, now).await?;
            w.commit().await?;
            tracing::warn!(family = %row.family_id, "refresh token reused; family revoked");
            return Err(grant_err("refresh_token was already used; every token of this login has been revoked"));
        }
    } else if let Some(access_hash) = &row.access_hash {
        // Refresh revokes the old access token at once (SPEC §12).
        oauth::revoke_access(tx, access_hash, now).await?;
    }
    // A grace-period answer re-checks the family: a revoke in between wins.
    if !first_use && oauth::family_revoked(&mut **tx, &row.family_id).await? {
        w.rollback().await?;
        return Err(grant_err("refresh_token was revoked; log the user in again"));
    }
    let mut set = issue_pair(st, &mut w.tx, &row.family_id, &scope, user_ids, now).await?;
    if row.oidc {
        // The same login: the original nonce and auth_time (OIDC Core §12.2).
        let facts = IdTokenFacts {
            app_id,
            user_id: &row.user_id,
            open_id: &set.open_id,
            union_id: &set.union_id,
            scope: &scope,
            nonce: row.nonce.as_deref(),
            auth_time: row.auth_time,
            access_token: &set.access_token,
        };
        // Signed before the commit: a failure rolls the rotation back.
        set.id_token = Some(oidc::id_token(st, &facts).await?);
    }
    w.commit().await?;
    Ok(set)
}

/// RFC 7009: revokes the app's own token; anything else is quietly accepted.
/// An access token is revoked alone; a refresh token takes its whole family.
pub async fn revoke(st: &AppState, app_id: &str, token: &str) -> Result<()> {
    let now = st.clock.now_ms();
    let hash = hash_secret(token);
    if let Some(t) = oauth::access_token(&st.db.pool, &hash).await? {
        if t.app_id == app_id {
            let mut w = st.db.begin_write().await?;
            oauth::revoke_access(&mut w.tx, &hash, now).await?;
            w.commit().await?;
        }
        return Ok(());
    }
    if let Some(t) = oauth::refresh_token(&st.db.pool, &hash).await? {
        if t.app_id == app_id {
            let mut w = st.db.begin_write().await?;
            oauth::revoke_family(&mut w.tx, &t.family_id, now).await?;
            w.commit().await?;
        }
    }
    Ok(())
}

/// RFC 7662 answer.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The user's open_id for the calling app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub union_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
}

/// Only the app's own live tokens are reported active; anything else is `{"active":false}`.
/// Access-token answers come from the node's cache while the revocation epoch is
/// unchanged (ADR 0011).
pub async fn introspect(st: &AppState, app_id: &str, token: &str) -> Result<Introspection> {
    let arrived = std::time::Instant::now();
    let now = st.clock.now_ms();
    let hash = hash_secret(token);
    let epoch = st.introspect_cache.epoch(&st.db.pool, arrived).await?;
    if let Some(answer) = st.introspect_cache.get(&hash, app_id, epoch, now) {
        return Ok(answer);
    }
    let (row, kind) = match oauth::access_token(&st.db.pool, &hash).await? {
        Some(r) => (r, "Bearer"),
        None => match oauth::refresh_token(&st.db.pool, &hash).await? {
            Some(r) if r.used_at.is_none() => (r, "refresh_token"),
            _ => return Ok(Introspection::default()),
        },
    };
    if row.app_id != app_id || row.revoked || row.expires_at <= now {
        return Ok(Introspection::default());
    }
    let (open_id, union_id) = match row.ids.clone() {
        Some(ids) => ids,
        None => ids(st, &row.user_id, app_id).await?,
    };
    let answer = Introspection {
        active: true,
        scope: Some(row.scope),
        client_id: Some(app_id.to_owned()),
        token_type: Some(kind),
        exp: Some(row.expires_at.div_euclid(1000)),
        iat: Some(row.created_at.div_euclid(1000)),
        sub: Some(open_id.clone()),
        open_id: Some(open_id),
        union_id: Some(union_id),
        device_id: Some(row.device_id),
    };
    // Refresh tokens stop being active when used, which does not bump the epoch.
    if kind == "Bearer" {
        st.introspect_cache.put(&hash, app_id, epoch, row.expires_at, &answer);
    }
    Ok(answer)
}

/// `data` of `GET /open/v1/user/info`: fields per granted scope.
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    pub open_id: String,
    pub union_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// Present (possibly null) with scope `profile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balances: Option<Vec<Balance>>,
    pub scope: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Balance {
    pub asset: String,
    pub amount: String,
}

/// The live access token of `app_id` presented from `device_id`.
pub async fn check_access(
    st: &AppState,
    app_id: &str,
    token: Option<&str>,
    device_id: Option<&str>,
) -> Result<oauth::TokenRow> {
    let invalid = || LoginError::InvalidToken("access token invalid, expired or revoked".into());
    let token =
        token.ok_or_else(|| LoginError::InvalidToken("Authorization: Bearer <access_token> is required".into()))?;
    let row = oauth::access_token(&st.db.pool, &hash_secret(token)).await?.ok_or_else(invalid)?;
    if row.app_id != app_id || row.revoked || row.expires_at <= st.clock.now_ms() {
        return Err(invalid());
    }
    match device_id {
        None => Err(LoginError::DeviceMismatch("X-OG-Device-Id is required with an access token".into())),
        Some(d) if d != row.device_id => {
            Err(LoginError::DeviceMismatch("device_mismatch: the token is bound to another device".into()))
        }
        Some(_) => Ok(row),
    }
}

/// `user/info`. `need` lists scopes the caller requires (optional `scope` query);
/// a token without one of them is refused with U0204.
pub async fn user_info(
    st: &AppState,
    app_id: &str,
    token: Option<&str>,
    device_id: Option<&str>,
    need: Option<&str>,
) -> Result<UserInfo> {
    let row = check_access(st, app_id, token, device_id).await?;
    let scope = parse_scope(&row.scope)?;
    if let Some(need) = need {
        let need = ScopeSet::parse(need).map_err(|e| LoginError::InvalidRequest(format!("scope: {e}")))?;
        if !need.is_subset_of(&scope) {
            return Err(LoginError::InsufficientScope(format!(
                "insufficient_scope: the token has scope \"{scope}\", the call needs \"{need}\""
            )));
        }
    }
    let (open_id, union_id) = row.ids.clone().ok_or_else(|| LoginError::InvalidToken("token without ids".into()))?;
    let mut info = UserInfo {
        open_id,
        union_id,
        nickname: None,
        avatar_url: None,
        mobile: None,
        balances: None,
        scope: scope.to_string(),
    };
    if scope.contains(Scope::Profile) || scope.contains(Scope::Mobile) {
        let (nickname, avatar, mobile) =
            row.profile.clone().ok_or_else(|| LoginError::InvalidToken("the user no longer exists".into()))?;
        if scope.contains(Scope::Profile) {
            info.nickname = Some(nickname);
            info.avatar_url = Some(avatar);
        }
        if scope.contains(Scope::Mobile) {
            info.mobile = Some(mobile.as_deref().map(opengate_shared::ids::mask_mobile));
        }
    }
    if scope.contains(Scope::Wallet) {
        let mut out = Vec::new();
        for (asset, minor) in ledger::balances(&st.db.pool, &row.user_id).await? {
            let decimals = ledger::currency_decimals(&st.db.pool, &asset).await?.unwrap_or(0);
            let amount = opengate_shared::amount::format_amount(minor, decimals.clamp(0, 18) as u32);
            out.push(Balance { asset, amount });
        }
        info.balances = Some(out);
    }
    Ok(info)
}

/// How long used codes are kept: past this, a late reuse can no longer revoke.
pub fn used_code_cutoff(now: i64) -> i64 {
    now - USED_CODE_RETENTION_MS
}
