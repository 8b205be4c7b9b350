//! The platform's id_token signing keys (SPEC §13, ADR 0014): one RS256 (RSA-2048)
//! and one EdDSA (Ed25519) key per generation, private halves sealed under the master
//! key. Made on first start; `opengate oidc-key rotate` adds the next generation.
//!
//! Invariants: a key is in the JWKS from the moment it is stored; it signs only from
//! its `active_from` (publish-before-sign, `oidc_key_publish_secs` after a rotation),
//! so every node and relying party can already verify it; a key stops signing when a
//! newer one becomes active, and stays published until every id_token it can have
//! signed has expired (that moment + `oidc_id_token_ttl_secs` + one refresh period),
//! after which it is dropped. Every node reads the same rows and re-reads them every
//! `oidc_key_refresh_ms`, choosing the signer by the clock, so nodes agree.

use std::sync::{Arc, RwLock};

use anyhow::Context;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm, OctetKeyPairParameters, OctetKeyPairType,
    PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey};
use rand::RngCore;

use crate::state::AppState;
use crate::storage::oidc::{self, KeyRow};

/// The algorithms an id_token can be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    Rs256,
    EdDsa,
}

impl KeyAlg {
    pub const ALL: [KeyAlg; 2] = [KeyAlg::Rs256, KeyAlg::EdDsa];

    /// The JOSE name (`alg`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::Rs256 => "RS256",
            KeyAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Option<KeyAlg> {
        KeyAlg::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn jose(self) -> Algorithm {
        match self {
            KeyAlg::Rs256 => Algorithm::RS256,
            KeyAlg::EdDsa => Algorithm::EdDSA,
        }
    }
}

/// A key ready to sign, with its public JWK.
pub struct SigningKey {
    pub kid: String,
    pub alg: KeyAlg,
    pub generation: i64,
    pub created_at: i64,
    pub active_from: i64,
    pub encoding: EncodingKey,
    pub jwk: serde_json::Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

/// Where a key is in its life at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not signing yet.
    Next,
    /// Published and signing.
    Signing,
    /// Published, no longer signing; dropped at `until`.
    Retiring { until: i64 },
    /// Every id_token it signed has expired: no longer published.
    Expired,
}

/// Every stored key, as one node sees them.
#[derive(Debug)]
pub struct KeySet {
    pub keys: Vec<SigningKey>,
    loaded_at: i64,
    /// How long a superseded key stays published: id_token lifetime + one refresh period.
    keep_ms: i64,
}

impl KeySet {
    /// When `k` stopped (or will stop) signing: the earliest activation of a newer key.
    fn superseded_at(&self, k: &SigningKey) -> Option<i64> {
        self.keys.iter().filter(|o| o.alg == k.alg && o.generation > k.generation).map(|o| o.active_from).min()
    }

    pub fn state(&self, k: &SigningKey, now: i64) -> KeyState {
        if k.active_from > now {
            return KeyState::Next;
        }
        match self.superseded_at(k) {
            Some(t) if t <= now => {
                let until = t + self.keep_ms;
                if until > now {
                    KeyState::Retiring { until }
                } else {
                    KeyState::Expired
                }
            }
            _ => KeyState::Signing,
        }
    }

    /// The key that signs `alg` now.
    pub fn signer(&self, alg: KeyAlg, now: i64) -> Option<&SigningKey> {
        self.keys.iter().filter(|k| k.alg == alg && k.active_from <= now).max_by_key(|k| k.generation)
    }

    /// The JWKS document (RFC 7517): every key not yet expired.
    pub fn jwks(&self, now: i64) -> serde_json::Value {
        let keys: Vec<&serde_json::Value> =
            self.keys.iter().filter(|k| self.state(k, now) != KeyState::Expired).map(|k| &k.jwk).collect();
        serde_json::json!({ "keys": keys })
    }
}

/// Each node's copy of the key set, re-read every `oidc_key_refresh_ms` of the
/// platform clock (so a test that moves the clock sees new keys at once).
#[derive(Debug, Default)]
pub struct OidcKeys {
    slot: RwLock<Option<Arc<KeySet>>>,
    load: tokio::sync::Mutex<()>,
}

impl OidcKeys {
    fn fresh(&self, now: i64, refresh_ms: i64) -> Option<Arc<KeySet>> {
        let slot = self.slot.read().unwrap_or_else(|e| e.into_inner());
        slot.as_ref().filter(|ks| ks.loaded_at <= now && now - ks.loaded_at < refresh_ms).cloned()
    }

    /// The current key set (from the cache while it is fresh).
    pub async fn current(&self, st: &AppState) -> anyhow::Result<Arc<KeySet>> {
        let refresh_ms = st.config.oidc_key_refresh_ms as i64;
        let now = st.clock.now_ms();
        if let Some(ks) = self.fresh(now, refresh_ms) {
            return Ok(ks);
        }
        let _one_loader = self.load.lock().await;
        let now = st.clock.now_ms();
        if let Some(ks) = self.fresh(now, refresh_ms) {
            return Ok(ks);
        }
        let ks = Arc::new(load(st, now).await?);
        record_age(&ks, now);
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = Some(ks.clone());
        Ok(ks)
    }

    /// Forgets the cached set (after this node changed the keys).
    pub fn invalidate(&self) {
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// `opengate_oidc_signing_key_age_seconds{alg}`: how long the signing key has signed.
pub fn record_age(ks: &KeySet, now: i64) {
    for alg in KeyAlg::ALL {
        if let Some(k) = ks.signer(alg, now) {
            let age = (now - k.active_from).max(0) as f64 / 1000.0;
            metrics::gauge!("opengate_oidc_signing_key_age_seconds", "alg" => alg.as_str()).set(age);
        }
    }
}

fn aad(kid: &str) -> String {
    format!("oidc_key:{kid}")
}

async fn load(st: &AppState, now: i64) -> anyhow::Result<KeySet> {
    let rows = oidc::list_keys(&st.db.pool).await?;
    let mut keys = Vec::with_capacity(rows.len());
    for r in rows {
        match open_row(st, &r) {
            Ok(k) => keys.push(k),
            // A key that does not open (wrong master key, altered row) is neither
            // published nor used; the others still work.
            Err(e) => tracing::error!(kid = %r.kid, error = %format!("{e:#}"), "OIDC signing key unusable; skipped"),
        }
    }
    let keep_ms = st.config.oidc_id_token_ttl_secs * 1000 + st.config.oidc_key_refresh_ms as i64;
    Ok(KeySet { keys, loaded_at: now, keep_ms })
}

fn open_row(st: &AppState, r: &KeyRow) -> anyhow::Result<SigningKey> {
    let alg = KeyAlg::parse(&r.alg).with_context(|| format!("unknown algorithm {:?}", r.alg))?;
    let b64 = st.secrets.open(&r.private_sealed, &aad(&r.kid))?;
    let der = STANDARD.decode(b64).context("sealed key is not base64")?;
    let jwk: serde_json::Value = serde_json::from_str(&r.public_jwk).context("public_jwk is not JSON")?;
    Ok(SigningKey {
        kid: r.kid.clone(),
        alg,
        generation: r.generation,
        created_at: r.created_at,
        active_from: r.active_from,
        encoding: encoding_key(alg, &der),
        jwk,
    })
}

fn encoding_key(alg: KeyAlg, der: &[u8]) -> EncodingKey {
    match alg {
        KeyAlg::Rs256 => EncodingKey::from_rsa_der(der),
        KeyAlg::EdDsa => EncodingKey::from_ed_der(der),
    }
}

/// A new private key (PKCS#1 DER for RSA-2048, PKCS#8 DER for Ed25519), its kid and
/// its public JWK.
fn generate(alg: KeyAlg) -> anyhow::Result<(Vec<u8>, String, serde_json::Value)> {
    let (der, mut jwk) = match alg {
        KeyAlg::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).context("RSA key generation")?;
            let der = key.to_pkcs1_der().context("RSA key encoding")?.as_bytes().to_vec();
            let jwk = Jwk::from_encoding_key(&encoding_key(alg, &der), alg.jose()).context("public JWK")?;
            (der, jwk)
        }
        KeyAlg::EdDsa => {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
            let der = key.to_pkcs8_der().context("Ed25519 key encoding")?.as_bytes().to_vec();
            // jsonwebtoken 10 cannot derive an OKP JWK from a private key; RFC 8037 §2.
            let jwk = Jwk {
                common: CommonParameters { key_algorithm: Some(KeyAlgorithm::EdDSA), ..Default::default() },
                algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
                }),
            };
            (der, jwk)
        }
    };
    let mut b = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut b);
    let kid = format!("{}-{}", alg.as_str().to_ascii_lowercase(), hex::encode(b));
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok((der, kid, serde_json::to_value(&jwk)?))
}

/// Generates and stores generation `generation` of `alg`, active from `active_from`.
/// Ok(None) when another node or operator stored that generation first.
async fn add_key(st: &AppState, alg: KeyAlg, generation: i64, active_from: i64) -> anyhow::Result<Option<String>> {
    // RSA key generation takes a while: keep it off the async workers.
    let (der, kid, jwk) = tokio::task::spawn_blocking(move || generate(alg)).await??;
    let row = KeyRow {
        private_sealed: st.secrets.seal(&STANDARD.encode(&der), &aad(&kid)),
        kid: kid.clone(),
        alg: alg.as_str().to_owned(),
        generation,
        public_jwk: jwk.to_string(),
        created_at: st.clock.now_ms(),
        active_from,
    };
    Ok(oidc::insert_key(&st.db.pool, &row).await?.then_some(kid))
}

/// On start: a first key of each algorithm, signing at once, when there is none.
pub async fn ensure_keys(st: &AppState) -> anyhow::Result<()> {
    for alg in KeyAlg::ALL {
        if oidc::max_generation(&st.db.pool, alg.as_str()).await? == 0 {
            if let Some(kid) = add_key(st, alg, 1, st.clock.now_ms()).await? {
                tracing::info!(%kid, alg = alg.as_str(), "first OpenID Connect signing key created");
            }
        }
    }
    st.oidc_keys.invalidate();
    Ok(())
}

/// One key made by a rotation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rotated {
    pub kid: String,
    pub alg: &'static str,
    pub generation: i64,
    /// Unix ms from which it signs.
    pub active_from: i64,
}

/// Adds the next generation of every algorithm, signing `publish_secs` from now, and
/// drops keys whose id_tokens have all expired.
pub async fn rotate(st: &AppState, publish_secs: i64) -> anyhow::Result<Vec<Rotated>> {
    anyhow::ensure!(publish_secs >= 0, "the publish delay cannot be negative");
    let mut out = Vec::new();
    for alg in KeyAlg::ALL {
        let generation = oidc::max_generation(&st.db.pool, alg.as_str()).await? + 1;
        let active_from = st.clock.now_ms() + publish_secs * 1000;
        match add_key(st, alg, generation, active_from).await? {
            Some(kid) => {
                tracing::info!(%kid, alg = alg.as_str(), generation, "OpenID Connect signing key added");
                out.push(Rotated { kid, alg: alg.as_str(), generation, active_from });
            }
            None => anyhow::bail!("another rotation of {} stored generation {generation} first; retry", alg.as_str()),
        }
    }
    st.oidc_keys.invalidate();
    prune(st).await?;
    Ok(out)
}

/// Deletes keys no longer published; returns their kids.
pub async fn prune(st: &AppState) -> anyhow::Result<Vec<String>> {
    let now = st.clock.now_ms();
    let ks = load(st, now).await?;
    let mut gone = Vec::new();
    for k in &ks.keys {
        if ks.state(k, now) == KeyState::Expired {
            oidc::delete_key(&st.db.pool, &k.kid).await?;
            tracing::info!(kid = %k.kid, "expired OpenID Connect signing key dropped");
            gone.push(k.kid.clone());
        }
    }
    if !gone.is_empty() {
        st.oidc_keys.invalidate();
    }
    Ok(gone)
}

/// `opengate oidc-key list`: every key with its state.
pub async fn report(st: &AppState) -> anyhow::Result<serde_json::Value> {
    let now = st.clock.now_ms();
    let ks = load(st, now).await?;
    let rows: Vec<serde_json::Value> = ks
        .keys
        .iter()
        .map(|k| {
            let (state, until) = match ks.state(k, now) {
                KeyState::Next => ("next", None),
                KeyState::Signing => ("signing", None),
                KeyState::Retiring { until } => ("retiring", Some(until)),
                KeyState::Expired => ("expired", None),
            };
            serde_json::json!({
                "kid": k.kid, "alg": k.alg.as_str(), "generation": k.generation, "state": state,
                "created_at": k.created_at, "active_from": k.active_from, "published_until": until,
            })
        })
        .collect();
    Ok(serde_json::json!(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_sign_and_publish_only_public_parts() {
        for alg in KeyAlg::ALL {
            let (der, kid, jwk) = generate(alg).expect("generate");
            assert_eq!(jwk["kid"], kid);
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["alg"], alg.as_str());
            assert!(jwk.get("d").is_none() && jwk.get("p").is_none(), "private parts in {jwk}");
            let header = jsonwebtoken::Header::new(alg.jose());
            let t = jsonwebtoken::encode(&header, &serde_json::json!({"a": 1}), &encoding_key(alg, &der));
            assert!(t.is_ok(), "{alg:?}: {t:?}");
        }
    }
}
