//! OpenID Connect on top of §5's login (SPEC §13): the id_token that every code
//! exchange and refresh with scope `openid` also returns, each app's choice of
//! signing algorithm, and `/oauth/userinfo`. Keys: [`super::oidc_keys`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha512};

use super::oidc_keys::KeyAlg;
use super::{hash_secret, tokens, LoginError, Result};
use crate::domain::scope::{Scope, ScopeSet};
use crate::state::AppState;
use crate::storage::{apps, oauth, oidc};

/// The issuer: the platform's public base URL, as in the RFC 8414 document.
pub fn issuer(st: &AppState) -> &str {
    st.config.public_base_url.trim_end_matches('/')
}

/// The algorithm the app's id_tokens are signed with (`id_token_signed_response_alg`).
pub async fn app_alg(st: &AppState, app_id: &str) -> Result<KeyAlg> {
    Ok(oidc::client_alg(&st.db.pool, app_id).await?.as_deref().and_then(KeyAlg::parse).unwrap_or(KeyAlg::Rs256))
}

/// Operator: sets an app's `id_token_signed_response_alg` (`RS256` or `EdDSA`).
pub async fn set_app_alg(st: &AppState, app_id: &str, alg: &str) -> anyhow::Result<()> {
    let alg = KeyAlg::parse(alg).ok_or_else(|| anyhow::anyhow!("id_token algorithm must be RS256 or EdDSA"))?;
    anyhow::ensure!(apps::get_app(&st.db.pool, app_id).await?.is_some(), "no app {app_id}");
    oidc::set_client_alg(&st.db.pool, app_id, alg.as_str(), st.clock.now_ms()).await?;
    Ok(())
}

/// What an id_token says about one login.
pub struct IdTokenFacts<'a> {
    pub app_id: &'a str,
    pub user_id: &'a str,
    pub open_id: &'a str,
    pub union_id: &'a str,
    pub scope: &'a ScopeSet,
    pub nonce: Option<&'a str>,
    /// Unix ms the user logged in.
    pub auth_time: Option<i64>,
    /// The access token issued with it (for `at_hash`).
    pub access_token: &'a str,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    at_hash: String,
    union_id: &'a str,
    /// Scope `profile`.
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
    /// Scope `profile`, when the user has an avatar (`avatar_url` of §5.10).
    #[serde(skip_serializing_if = "Option::is_none")]
    picture: Option<String>,
    /// Scope `mobile`: masked as in §5.10.
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile: Option<String>,
}

/// OIDC Core §3.1.3.6: the left half of the hash that goes with the algorithm
/// (SHA-256 for RS256, SHA-512 for Ed25519), base64url.
pub fn at_hash(alg: KeyAlg, access_token: &str) -> String {
    let digest = match alg {
        KeyAlg::Rs256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        KeyAlg::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// Signs the id_token for one token answer with the key that signs the app's
/// algorithm now.
pub async fn id_token(st: &AppState, f: &IdTokenFacts<'_>) -> Result<String> {
    let alg = app_alg(st, f.app_id).await?;
    let now = st.clock.now_ms();
    let keys = st.oidc_keys.current(st).await?;
    let key = keys
        .signer(alg, now)
        .ok_or_else(|| LoginError::Internal(anyhow::anyhow!("no {} signing key is active", alg.as_str())))?;
    let (mut nickname, mut picture, mut mobile) = (None, None, None);
    if f.scope.contains(Scope::Profile) || f.scope.contains(Scope::Mobile) {
        let (nick, avatar, mob) = oidc::profile(&st.db.pool, f.user_id)
            .await?
            .ok_or_else(|| LoginError::InvalidGrant("the user no longer exists".into()))?;
        if f.scope.contains(Scope::Profile) {
            nickname = Some(nick);
            picture = avatar;
        }
        if f.scope.contains(Scope::Mobile) {
            mobile = mob.as_deref().map(opengate_shared::ids::mask_mobile);
        }
    }
    let iat = now.div_euclid(1000);
    let claims = Claims {
        iss: issuer(st),
        sub: f.open_id,
        aud: f.app_id,
        iat,
        exp: iat + st.config.oidc_id_token_ttl_secs,
        auth_time: f.auth_time.map(|t| t.div_euclid(1000)),
        nonce: f.nonce,
        at_hash: at_hash(alg, f.access_token),
        union_id: f.union_id,
        nickname,
        picture,
        mobile,
    };
    let mut header = jsonwebtoken::Header::new(alg.jose());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map_err(|e| LoginError::Internal(anyhow::anyhow!("signing an id_token failed: {e}")))
}

/// `GET|POST /oauth/userinfo` (OIDC Core §5.3): the claims of `/open/v1/user/info`
/// plus `sub`, for a live access token that is not bound to a device the partner
/// chose (those need the signed endpoint with `X-OG-Device-Id`).
pub async fn userinfo(st: &AppState, token: Option<&str>) -> Result<serde_json::Value> {
    let invalid = || LoginError::InvalidToken("access token invalid, expired or revoked".into());
    let token =
        token.ok_or_else(|| LoginError::InvalidToken("Authorization: Bearer <access_token> is required".into()))?;
    let row = oauth::access_token(&st.db.pool, &hash_secret(token)).await?.ok_or_else(invalid)?;
    if row.revoked || row.expires_at <= st.clock.now_ms() {
        return Err(invalid());
    }
    if row.device_bound {
        return Err(LoginError::DeviceMismatch(
            "this token is bound to the device the partner gave at authorize; use the signed \
             GET /open/v1/user/info with X-OG-Device-Id"
                .into(),
        ));
    }
    let info = tokens::user_info(st, &row.app_id, Some(token), Some(&row.device_id), None).await?;
    let mut v = serde_json::to_value(&info).map_err(|e| LoginError::Internal(e.into()))?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert("sub".into(), serde_json::Value::String(info.open_id.clone()));
    }
    Ok(v)
}

/// The worker's `oidc_keys` job, once a minute: refreshes the key-age metric and drops
/// keys whose id_tokens have all expired.
pub async fn janitor_tick(st: &AppState) {
    match st.oidc_keys.current(st).await {
        Ok(ks) => super::oidc_keys::record_age(&ks, st.clock.now_ms()),
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "reading the OIDC keys failed; will retry"),
    }
    if let Err(e) = super::oidc_keys::prune(st).await {
        tracing::warn!(error = %format!("{e:#}"), "dropping expired OIDC keys failed; will retry");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_algorithms_hash() {
        // OIDC Core §3.1.3.6 / RFC 7515 A.1-style check with a fixed token.
        let h = at_hash(KeyAlg::Rs256, "at_example");
        assert_eq!(URL_SAFE_NO_PAD.decode(&h).expect("b64").len(), 16);
        assert_eq!(URL_SAFE_NO_PAD.decode(at_hash(KeyAlg::EdDsa, "at_example")).expect("b64").len(), 32);
        assert_ne!(h, at_hash(KeyAlg::Rs256, "at_other"));
    }
}
