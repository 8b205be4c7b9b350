//! Secrets at rest and random material. Secret keys must be recoverable (the server
//! computes HMACs with them), so they are sealed with ChaCha20-Poly1305 under the
//! operator's master key, each bound to its row by associated data.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::{Rng, RngCore};

pub fn decode_master_key(s: &str) -> Result<[u8; 32], String> {
    let raw = STANDARD
        .decode(s.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(s.trim()))
        .map_err(|_| "master_key is not valid base64; generate one with `openssl rand -base64 32`".to_string())?;
    raw.try_into().map_err(|_| {
        "master_key must decode to exactly 32 bytes; generate one with `openssl rand -base64 32`".to_string()
    })
}

/// Seals and opens secrets with the master key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
    /// Keys the payment-PIN hashes (derived from the master key, never stored).
    pin_key: [u8; 32],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a stored secret could not be decrypted (wrong master key, or the row was altered)")]
pub struct OpenError;

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> SecretBox {
        let pin_key = hmac_sha256(key, b"opengate/payment-pin/v1");
        SecretBox { cipher: ChaCha20Poly1305::new(Key::from_slice(key)), pin_key }
    }

    /// The stored form of a payment PIN: hex HMAC-SHA256 under a key derived from the
    /// master key, over the user id and the PIN (ADR 0008). A copy of the database
    /// alone is not enough to try the million PINs offline.
    pub fn pin_hash(&self, user_id: &str, pin: &str) -> String {
        let mut msg = Vec::with_capacity(user_id.len() + 1 + pin.len());
        msg.extend_from_slice(user_id.as_bytes());
        msg.push(0);
        msg.extend_from_slice(pin.as_bytes());
        hex::encode(hmac_sha256(&self.pin_key, &msg))
    }

    /// `v1.` + base64(nonce ‖ ciphertext).
    pub fn seal(&self, plaintext: &str, aad: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: aad.as_bytes() })
            .unwrap_or_else(|_| unreachable!("ChaCha20-Poly1305 encryption of a short message cannot fail"));
        let mut out = Vec::with_capacity(12 + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("v1.{}", STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str, aad: &str) -> Result<String, OpenError> {
        let raw = sealed.strip_prefix("v1.").ok_or(OpenError)?;
        let raw = STANDARD.decode(raw).map_err(|_| OpenError)?;
        if raw.len() < 12 + 16 {
            return Err(OpenError);
        }
        let pt = self
            .cipher
            .decrypt(Nonce::from_slice(&raw[..12]), Payload { msg: &raw[12..], aad: aad.as_bytes() })
            .map_err(|_| OpenError)?;
        String::from_utf8(pt).map_err(|_| OpenError)
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// `ak` + 22 of `[a-z0-9]` (SPEC §2), ~113 bits.
pub fn new_access_key() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(24);
    s.push_str("ak");
    for _ in 0..22 {
        s.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    s
}

/// 256 random bits, base64url without padding: 43 characters (SPEC §2).
pub fn new_secret_key() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// `whsec_` + base64 of 32 random bytes (Standard Webhooks).
pub fn new_notify_secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    format!("whsec_{}", STANDARD.encode(b))
}

/// A prefixed opaque id: `usr_…`, `evt_…`; 128 random bits in lowercase base32-ish hex.
pub fn new_id(prefix: &str) -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}_{}", hex::encode(b))
}

/// Equality of secrets without an early exit (the time depends on the length only).
pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn new_master_key() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    STANDARD.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opengate_shared::ids::AccessKey;

    #[test]
    fn generated_material_has_spec_shapes() {
        for _ in 0..100 {
            assert!(AccessKey::parse(&new_access_key()).is_ok());
            assert_eq!(new_secret_key().len(), 43);
            let ns = new_notify_secret();
            let raw = STANDARD.decode(ns.trim_start_matches("whsec_")).expect("base64");
            assert_eq!(raw.len(), 32);
        }
    }

    #[test]
    fn sealed_secrets_open_only_with_same_key_and_aad() {
        let k = decode_master_key(&new_master_key()).expect("key");
        let b = SecretBox::new(&k);
        let sealed = b.seal("s3cret", "ak:one");
        assert!(!sealed.contains("s3cret"));
        assert_eq!(b.open(&sealed, "ak:one").expect("open"), "s3cret");
        assert!(b.open(&sealed, "ak:two").is_err());
        let other = SecretBox::new(&decode_master_key(&new_master_key()).expect("key"));
        assert!(other.open(&sealed, "ak:one").is_err());
    }
}
