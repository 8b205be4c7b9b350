//! Starting and finishing "Log in with OpenGate" (SPEC §5.1–5.3): the authorize URL
//! with `state` and a PKCE S256 challenge, and the callback check that the `state`
//! came back unchanged before the code is exchanged.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::client::{encode, random_token};

/// A PKCE verifier (RFC 7636) and its S256 challenge.
///
/// ```
/// let p = opengate_sdk::Pkce::new();
/// assert_eq!(p.verifier().len(), 43);
/// assert_eq!(p.challenge().len(), 43);
/// // RFC 7636 appendix B.
/// let rfc = opengate_sdk::Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
/// assert_eq!(rfc.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pkce([redacted])")
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

impl Pkce {
    /// A fresh verifier: 32 random bytes, 43 characters of base64url.
    pub fn new() -> Pkce {
        Pkce { verifier: random_token(32) }
    }

    /// A verifier kept from earlier (43..128 of `[A-Za-z0-9-._~]`); `None` otherwise.
    pub fn from_verifier(verifier: &str) -> Option<Pkce> {
        let ok = (43..=128).contains(&verifier.len())
            && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        ok.then(|| Pkce { verifier: verifier.to_owned() })
    }

    /// The secret half: keep it on the server until the code exchange.
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// `base64url(SHA-256(verifier))`, sent as `code_challenge`.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }
}

/// A fresh random `state` (24 random bytes, base64url).
pub fn new_state() -> String {
    random_token(24)
}

/// Builds `GET /oauth/authorize?…` with state and PKCE.
///
/// ```
/// use opengate_sdk::AuthorizeUrl;
///
/// let start = AuthorizeUrl::new("https://og.example", "demoapp", "https://shop.example/callback")
///     .scope("profile")
///     .build();
/// assert!(start.url.starts_with("https://og.example/oauth/authorize?response_type=code&client_id=demoapp"));
/// assert!(start.url.contains("&redirect_uri=https%3A%2F%2Fshop.example%2Fcallback&scope=openid%20profile&"));
/// assert!(start.url.contains(&format!("&state={}", start.state)));
/// assert!(start.url.contains(&format!("&code_challenge={}&code_challenge_method=S256", start.pkce.challenge())));
/// // Keep start.state and start.pkce with the user's session until the callback.
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizeUrl {
    base_url: String,
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    device_id: Option<String>,
    pkce: Option<Pkce>,
}

/// What [`AuthorizeUrl::build`] made: the URL to send the browser to, and what the
/// callback needs (keep both server-side, tied to the user's session).
#[derive(Debug, Clone)]
pub struct AuthorizeStart {
    /// Where to send the browser.
    pub url: String,
    /// The `state` sent; compare it at the callback ([`CallbackParams::check`]).
    pub state: String,
    /// The PKCE pair; its verifier goes with the code exchange.
    pub pkce: Pkce,
}

impl AuthorizeUrl {
    /// `client_id` is the app id or one of its access keys; `redirect_uri` must equal
    /// a registered one exactly.
    pub fn new(base_url: &str, client_id: &str, redirect_uri: &str) -> AuthorizeUrl {
        AuthorizeUrl {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scopes: vec!["openid".to_owned()],
            state: None,
            device_id: None,
            pkce: None,
        }
    }

    /// Asks for one more scope (`profile`, `mobile`, `wallet`); `openid` is always in.
    pub fn scope(mut self, scope: &str) -> Self {
        for s in scope.split_ascii_whitespace() {
            if !self.scopes.iter().any(|have| have == s) {
                self.scopes.push(s.to_owned());
            }
        }
        self
    }

    /// Your own `state` (default: [`new_state`]).
    pub fn state(mut self, state: &str) -> Self {
        self.state = Some(state.to_owned());
        self
    }

    /// Binds the login to your app's device id (default: the H5 makes one and
    /// returns it in the callback).
    pub fn device_id(mut self, device_id: &str) -> Self {
        self.device_id = Some(device_id.to_owned());
        self
    }

    /// Your own PKCE verifier (default: [`Pkce::new`]).
    pub fn pkce(mut self, pkce: Pkce) -> Self {
        self.pkce = Some(pkce);
        self
    }

    /// The URL, with a fresh `state` and PKCE pair unless given.
    pub fn build(self) -> AuthorizeStart {
        let state = self.state.unwrap_or_else(new_state);
        let pkce = self.pkce.unwrap_or_default();
        let mut url = format!(
            "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope={}&state={}",
            self.base_url,
            encode(&self.client_id),
            encode(&self.redirect_uri),
            encode(&self.scopes.join(" ")),
            encode(&state),
        );
        if let Some(d) = &self.device_id {
            url.push_str("&device_id=");
            url.push_str(&encode(d));
        }
        url.push_str("&code_challenge=");
        url.push_str(&pkce.challenge());
        url.push_str("&code_challenge_method=S256");
        AuthorizeStart { url, state, pkce }
    }
}

/// The query of the callback (`redirect_uri?code=…&state=…&device_id=…` or
/// `?error=…`); deserializable straight from an axum/serde query extractor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CallbackParams {
    /// The access code (`ac_…`), on agreement.
    #[serde(default)]
    pub code: Option<String>,
    /// The `state` sent at authorize, unchanged.
    #[serde(default)]
    pub state: Option<String>,
    /// The device the grant is bound to (the H5 makes one when none was sent).
    #[serde(default)]
    pub device_id: Option<String>,
    /// `access_denied`, `invalid_scope`, … instead of a code.
    #[serde(default)]
    pub error: Option<String>,
    /// A human-readable explanation of `error`.
    #[serde(default)]
    pub error_description: Option<String>,
}

/// A callback whose `state` matched: exchange `code` (with the PKCE verifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The single-use access code, valid 5 minutes.
    pub code: String,
    /// The device the tokens are bound to (send it as `X-OG-Device-Id`).
    pub device_id: Option<String>,
}

/// Why a callback does not lead to a code exchange.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// `state` missing or not the one sent: not our login (possible CSRF).
    #[error("state does not match this session's login")]
    StateMismatch,
    /// The user said no (`access_denied`) or the platform refused the request.
    #[error("authorization failed: {error}")]
    Denied {
        /// The OAuth error code (`access_denied`, …).
        error: String,
        /// `error_description`, when sent.
        description: Option<String>,
    },
    /// Neither a code nor an error.
    #[error("the callback has no code")]
    MissingCode,
}

impl CallbackParams {
    /// Checks `state` against the one kept for this session (in constant time),
    /// then returns the code or the platform's error.
    ///
    /// ```
    /// use opengate_sdk::{CallbackError, CallbackParams};
    ///
    /// let p = CallbackParams { code: Some("ac_1".into()), state: Some("s1".into()), ..Default::default() };
    /// assert_eq!(p.clone().check("s1").unwrap().code, "ac_1");
    /// assert_eq!(p.check("s2"), Err(CallbackError::StateMismatch));
    /// ```
    pub fn check(self, expected_state: &str) -> Result<Callback, CallbackError> {
        let got = self.state.unwrap_or_default();
        if expected_state.is_empty() || !constant_time_eq(got.as_bytes(), expected_state.as_bytes()) {
            return Err(CallbackError::StateMismatch);
        }
        if let Some(error) = self.error {
            return Err(CallbackError::Denied { error, description: self.error_description });
        }
        let code = self.code.filter(|c| !c.is_empty()).ok_or(CallbackError::MissingCode)?;
        Ok(Callback { code, device_id: self.device_id })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_carries_every_parameter_encoded() {
        let start =
            AuthorizeUrl::new("http://127.0.0.1:8080/", "akexample000000000000001", "http://127.0.0.1:8081/callback")
                .scope("profile mobile")
                .scope("profile")
                .state("st 1&x")
                .device_id("dev.1")
                .pkce(Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").expect("verifier"))
                .build();
        assert_eq!(
            start.url,
            "http://127.0.0.1:8080/oauth/authorize?response_type=code&client_id=akexample000000000000001\
             &redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&scope=openid%20profile%20mobile&state=st%201%26x\
             &device_id=dev.1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
        assert_eq!(start.state, "st 1&x");
    }

    #[test]
    fn defaults_are_fresh_each_time() {
        let a = AuthorizeUrl::new("https://og.example", "demoapp", "https://s.example/cb").build();
        let b = AuthorizeUrl::new("https://og.example", "demoapp", "https://s.example/cb").build();
        assert_ne!(a.state, b.state);
        assert_ne!(a.pkce, b.pkce);
        assert!(Pkce::from_verifier(a.pkce.verifier()).is_some(), "generated verifiers are valid");
        assert!(!format!("{:?}", a.pkce).contains(a.pkce.verifier()));
        assert!(Pkce::from_verifier("short").is_none());
        assert!(Pkce::from_verifier(&"a".repeat(129)).is_none());
    }

    #[test]
    fn callbacks_are_checked_state_first() {
        let denied = CallbackParams {
            state: Some("s".into()),
            error: Some("access_denied".into()),
            error_description: Some("the user said no".into()),
            ..Default::default()
        };
        assert!(
            matches!(denied.clone().check("s"), Err(CallbackError::Denied { error, .. }) if error == "access_denied")
        );
        assert_eq!(
            denied.check("other"),
            Err(CallbackError::StateMismatch),
            "an error with a foreign state is not ours"
        );
        let no_state = CallbackParams { code: Some("ac".into()), ..Default::default() };
        assert_eq!(
            no_state.clone().check(""),
            Err(CallbackError::StateMismatch),
            "an empty expected state never matches"
        );
        assert_eq!(no_state.check("s"), Err(CallbackError::StateMismatch));
        let no_code = CallbackParams { state: Some("s".into()), ..Default::default() };
        assert_eq!(no_code.check("s"), Err(CallbackError::MissingCode));
        let ok = CallbackParams {
            code: Some("ac".into()),
            state: Some("s".into()),
            device_id: Some("h5-1".into()),
            ..Default::default()
        };
        assert_eq!(ok.check("s"), Ok(Callback { code: "ac".into(), device_id: Some("h5-1".into()) }));
    }
}
