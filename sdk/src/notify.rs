//! Verifying the notifications the platform posts to the notify URL (SPEC §8):
//! Standard Webhooks headers, one or more `v1,<base64>` signatures, a timestamp
//! tolerance, and several secrets accepted at once for a rotation. The HMAC itself
//! is `opengate_shared::webhook`, the same code the platform signs with.

use std::time::{SystemTime, UNIX_EPOCH};

use opengate_shared::webhook::{self, WebhookError, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use reqwest::header::HeaderMap;

use crate::{Notification, RefundNotification};

/// Why a delivery was refused. Answer anything but HTTP 200 and the platform retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A configured secret is not `whsec_` + base64.
    #[error("notify secret: must be whsec_ followed by base64")]
    BadSecret,
    /// No secret was configured.
    #[error("no notify secret configured")]
    NoSecret,
    /// A `webhook-*` header is missing (or not text).
    #[error("header {0} is missing or not text")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not unix seconds.
    #[error("webhook-timestamp is not unix seconds")]
    BadTimestamp,
    /// The timestamp is outside the tolerance (a replay, or a badly wrong clock).
    #[error("webhook-timestamp is too far from now")]
    TooOld,
    /// No `v1` signature was made with a configured secret over this id, time and body.
    #[error("no signature matches")]
    Mismatch,
    /// The signature is right but the body is not a notification.
    #[error("body: {0}")]
    Body(String),
    /// The body's `id` differs from `webhook-id`.
    #[error("body id differs from webhook-id")]
    IdMismatch,
}

/// Checks notifications signed with the app's notify secret(s).
///
/// ```
/// use opengate_sdk::NotificationVerifier;
/// use opengate_shared::webhook;
///
/// let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// // During a rotation, list the new secret and the old one.
/// let verifier = NotificationVerifier::new([secret, "whsec_AAAA"])?;
///
/// let body = br#"{"id":"evt_1","type":"payment.succeeded","created_at":1763784000,"data":{"order_id":"ord_1",
///   "trade_no":"T-1","app_id":"demoapp","open_id":"oid_1","amount":"12.50","currency":"PTS","settle_amount":"1.25",
///   "settle_currency":"OGC","status":"paid","fail_reason":null,"paid_at":1763784000}}"#;
/// let sig = webhook::sign(secret, "evt_1", 1763784000, body).expect("sign");
/// let n = verifier.verify_at("evt_1", "1763784000", &sig, body, 1763784010)?;
/// assert_eq!((n.kind.as_str(), n.data.trade_no.as_str()), ("payment.succeeded", "T-1"));
/// # Ok::<(), opengate_sdk::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct NotificationVerifier {
    secrets: Vec<String>,
    tolerance_secs: i64,
}

impl std::fmt::Debug for NotificationVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationVerifier")
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("tolerance_secs", &self.tolerance_secs)
            .finish()
    }
}

impl NotificationVerifier {
    /// A verifier accepting a signature made with any of `secrets` (`whsec_…`),
    /// with the default tolerance of 5 minutes.
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, VerifyError> {
        let secrets: Vec<String> = secrets.into_iter().map(|s| s.as_ref().trim().to_owned()).collect();
        if secrets.is_empty() {
            return Err(VerifyError::NoSecret);
        }
        for s in &secrets {
            // Signing anything proves the secret decodes.
            if !s.starts_with("whsec_") || webhook::sign(s, "x", 0, b"").is_err() {
                return Err(VerifyError::BadSecret);
            }
        }
        Ok(NotificationVerifier { secrets, tolerance_secs: webhook::TOLERANCE_SECS })
    }

    /// Accept timestamps this far (seconds) from the local clock.
    pub fn with_tolerance(mut self, secs: i64) -> Self {
        self.tolerance_secs = secs.max(0);
        self
    }

    /// Verifies a request as received: its `webhook-*` headers and exact body bytes.
    /// `HeaderMap` is the `http` crate's, so axum's and hyper's header maps fit.
    ///
    /// ```no_run
    /// use reqwest::header::HeaderMap;
    /// use reqwest::StatusCode;
    /// # fn store(_: opengate_sdk::Notification) {}
    ///
    /// fn notify(verifier: &opengate_sdk::NotificationVerifier, headers: &HeaderMap, body: &[u8]) -> StatusCode {
    ///     match verifier.verify(headers, body) {
    ///         Ok(n) => { store(n); StatusCode::OK } // store idempotently by n.id / trade_no
    ///         Err(_) => StatusCode::BAD_REQUEST,
    ///     }
    /// }
    /// ```
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<Notification, VerifyError> {
        let get = |name: &'static str| {
            headers.get(name).and_then(|v| v.to_str().ok()).ok_or(VerifyError::MissingHeader(name))
        };
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        self.verify_at(get(HEADER_ID)?, get(HEADER_TIMESTAMP)?, get(HEADER_SIGNATURE)?, body, now)
    }

    /// Verifies a delivery of any type (SPEC §8, §13): a payment or a refund
    /// notification, told apart by its `type`. Use this when refunds are on; `verify`
    /// reads every delivery as a payment notification.
    pub fn verify_event(&self, headers: &HeaderMap, body: &[u8]) -> Result<Event, VerifyError> {
        self.verify(headers, body)?;
        Event::parse(body)
    }

    /// The same from the three header values, at `now` (unix seconds).
    pub fn verify_at(
        &self,
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: i64,
    ) -> Result<Notification, VerifyError> {
        let digits = !timestamp.is_empty() && timestamp.len() <= 12 && timestamp.bytes().all(|b| b.is_ascii_digit());
        let ts: i64 = timestamp.parse().ok().filter(|_| digits).ok_or(VerifyError::BadTimestamp)?;
        if (now - ts).abs() > self.tolerance_secs {
            return Err(VerifyError::TooOld);
        }
        // shared's verify also checks the window; ours (configurable) is checked above.
        let matched = self.secrets.iter().any(|s| match webhook::verify(s, id, ts, signature, body, ts) {
            Ok(()) => true,
            Err(WebhookError::Mismatch | WebhookError::Timestamp | WebhookError::BadSecret) => false,
        });
        if !matched {
            return Err(VerifyError::Mismatch);
        }
        let n: Notification = serde_json::from_slice(body).map_err(|e| VerifyError::Body(e.to_string()))?;
        if n.id != id {
            return Err(VerifyError::IdMismatch);
        }
        Ok(n)
    }
}

/// A verified notification: a payment's (`payment.succeeded` / `payment.failed`) or a
/// refund's (`refund.succeeded` / `refund.failed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A payment notification (SPEC §8).
    Payment(Notification),
    /// A refund notification (SPEC §13).
    Refund(RefundNotification),
}

impl Event {
    /// Reads a notification body (already verified) by its `type`.
    pub fn parse(body: &[u8]) -> Result<Event, VerifyError> {
        #[derive(serde::Deserialize)]
        struct Kind {
            #[serde(rename = "type")]
            kind: String,
        }
        let k: Kind = serde_json::from_slice(body).map_err(|e| VerifyError::Body(e.to_string()))?;
        if k.kind.starts_with("refund.") {
            serde_json::from_slice(body).map(Event::Refund).map_err(|e| VerifyError::Body(e.to_string()))
        } else {
            serde_json::from_slice(body).map(Event::Payment).map_err(|e| VerifyError::Body(e.to_string()))
        }
    }

    /// The notification id (`webhook-id`): deduplicate deliveries by it.
    pub fn id(&self) -> &str {
        match self {
            Event::Payment(n) => &n.id,
            Event::Refund(n) => &n.id,
        }
    }
}

#[cfg(test)]
mod tests;
