//! Standard Webhooks signatures (SPEC §8): `v1,` + base64(HMAC-SHA256(key, id.ts.body)),
//! the key being the base64 after `whsec_`. Several signatures (during a secret
//! rotation) are separated by spaces in one `webhook-signature` header.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER_ID: &str = "webhook-id";
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// How far (seconds) a receiver should accept a timestamp from its own clock.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the secret must be whsec_ followed by base64")]
    BadSecret,
    #[error("the timestamp is too far from now")]
    Timestamp,
    #[error("no signature matches")]
    Mismatch,
}

fn key_of(secret: &str) -> Result<Vec<u8>, WebhookError> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    STANDARD.decode(b64).map_err(|_| WebhookError::BadSecret)
}

fn mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    m.update(id.as_bytes());
    m.update(b".");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// One `v1,<base64>` signature.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, WebhookError> {
    let key = key_of(secret)?;
    Ok(format!("v1,{}", STANDARD.encode(mac(&key, id, timestamp, body).finalize().into_bytes())))
}

/// The `webhook-signature` header value: one signature per secret, space-separated.
pub fn signature_header(secrets: &[String], id: &str, timestamp: i64, body: &[u8]) -> Result<String, WebhookError> {
    let sigs: Result<Vec<String>, WebhookError> = secrets.iter().map(|s| sign(s, id, timestamp, body)).collect();
    Ok(sigs?.join(" "))
}

/// Checks a delivery as a receiver would: timestamp within [`TOLERANCE_SECS`] of
/// `now` and at least one `v1` signature made with `secret` (constant-time compare).
pub fn verify(secret: &str, id: &str, timestamp: i64, header: &str, body: &[u8], now: i64) -> Result<(), WebhookError> {
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(WebhookError::Timestamp);
    }
    let key = key_of(secret)?;
    for part in header.split(' ') {
        let Some(sig) = part.strip_prefix("v1,") else { continue };
        let Ok(raw) = STANDARD.decode(sig) else { continue };
        if mac(&key, id, timestamp, body).verify_slice(&raw).is_ok() {
            return Ok(());
        }
    }
    Err(WebhookError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn published_standard_webhooks_vector() {
        assert_eq!(sign(SECRET, ID, TS, BODY), Ok("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".to_owned()));
        verify(SECRET, ID, TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", BODY, TS).expect("vector verifies");
    }

    #[test]
    fn verify_refuses_tampering_and_old_timestamps() {
        let header = signature_header(&["whsec_AAAA".into(), SECRET.into()], ID, TS, BODY).expect("sign");
        assert_eq!(header.split(' ').count(), 2);
        verify(SECRET, ID, TS, &header, BODY, TS + 10).expect("second signature matches");
        assert_eq!(verify(SECRET, ID, TS, &header, b"{}", TS), Err(WebhookError::Mismatch));
        assert_eq!(verify(SECRET, "msg_other", TS, &header, BODY, TS), Err(WebhookError::Mismatch));
        assert_eq!(verify(SECRET, ID, TS, &header, BODY, TS + 301), Err(WebhookError::Timestamp));
        assert_eq!(sign("whsec_!!", ID, TS, BODY), Err(WebhookError::BadSecret));
    }
}
