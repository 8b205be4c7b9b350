//! What can go wrong on a call: the platform said no ([`ApiError`], carrying the
//! SPEC §10 `errorCode`), the request never completed (transport), or the answer
//! was not what the contract promises (protocol).

use opengate_shared::ErrorCode;

/// The result of every SDK call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error answer of the platform: the SPEC §10 code, its message and the request id
/// to quote to the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message} (requestId {request_id})")]
pub struct ApiError {
    /// `U0029`, `U0105`, `U0303`, … (SPEC §10).
    pub code: ErrorCode,
    /// `errorMsg` (or the JSON:API `detail`); names the field for `U0029`.
    pub message: String,
    /// `requestId` of the answer (equal to its `X-Request-Id` header).
    pub request_id: String,
    /// The HTTP status of the answer.
    pub http_status: u16,
    /// `Retry-After` in seconds, sent with `U0401` (rate limited).
    pub retry_after_secs: Option<u64>,
}

/// Any failure of an SDK call.
///
/// ```
/// use opengate_sdk::{ApiError, Error, ErrorCode};
///
/// fn explain(e: &Error) -> &'static str {
///     match e {
///         Error::Api(ApiError { code: ErrorCode::U0303, .. }) => "unknown order",
///         Error::Api(a) if a.code == ErrorCode::U0105 => "check the secret key",
///         Error::Api(_) => "the platform refused",
///         Error::Transport(_) => "network trouble; retry",
///         _ => "bug or misconfiguration",
///     }
/// }
/// # let _ = explain;
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The platform answered with an error code.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request did not complete (connection, TLS, timeout, reading the body).
    #[error("request failed: {0}")]
    Transport(#[source] reqwest::Error),
    /// The answer does not follow the contract (not JSON, unknown error code, wrong shape).
    #[error("unexpected answer (HTTP {http_status}, requestId {request_id:?}): {detail}")]
    Protocol {
        /// The HTTP status of the answer.
        http_status: u16,
        /// Its request id, when it had one.
        request_id: Option<String>,
        /// What did not fit.
        detail: String,
    },
    /// An argument the SDK refuses before sending anything.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl Error {
    /// The SPEC §10 code when the platform answered with one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api(a) => Some(a.code),
            _ => None,
        }
    }

    /// The platform's request id, when an answer arrived.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(a) => Some(&a.request_id),
            Error::Protocol { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        // The URL may carry a looked-up phone number in its query: keep it out of logs.
        Error::Transport(e.without_url())
    }
}
