//! "Log in with OpenGate" on the partner server (SPEC §5): code exchange, refresh,
//! revocation, introspection and `user/info`, plus `ping` to check the signing.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::{Call, Client};
use crate::error::{Error, Result};
use crate::PingData;

/// A token pair (SPEC §5.4). Its `Debug` output hides both tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// `at_…`: for `user/info`, lives `expires_in` seconds.
    pub access_token: String,
    /// `rt_…`: for a new pair; each is used once.
    pub refresh_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// Seconds the refresh token lives.
    pub refresh_expires_in: i64,
    /// Granted scopes, space-separated (`openid profile`).
    pub scope: String,
    /// The user, as seen by this app.
    pub open_id: String,
    /// The user, as seen by every app of this company.
    pub union_id: String,
    /// OpenID Connect id_token (SPEC §13): a JWS to verify with the platform's JWKS
    /// (`GET /oauth/jwks`); `aud` is the app id, `sub` the `open_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field("refresh_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("open_id", &self.open_id)
            .finish_non_exhaustive()
    }
}

/// The RFC 7662 answer of introspection; only `active` is present for a dead token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Introspection {
    /// Whether the token is a live token of this app.
    pub active: bool,
    /// Granted scopes, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// The app id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// `Bearer` or `refresh_token`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Expiry, unix seconds.
    #[serde(default)]
    pub exp: Option<i64>,
    /// Issue time, unix seconds.
    #[serde(default)]
    pub iat: Option<i64>,
    /// The `open_id`.
    #[serde(default)]
    pub sub: Option<String>,
    /// The user, as seen by this app.
    #[serde(default)]
    pub open_id: Option<String>,
    /// The user, as seen by every app of this company.
    #[serde(default)]
    pub union_id: Option<String>,
    /// The device the login is bound to.
    #[serde(default)]
    pub device_id: Option<String>,
}

/// One wallet balance (scope `wallet`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// The asset code (`OGC`, `PTS`, …).
    pub asset: String,
    /// A decimal string, e.g. `"12.50"`.
    pub amount: String,
}

/// `data` of `GET /open/v1/user/info`: fields appear per granted scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// The user, as seen by this app.
    pub open_id: String,
    /// The user, as seen by every app of this company.
    pub union_id: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Scope `profile`.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Scope `profile`; `None` also when the user has no avatar.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Scope `mobile`, masked (`138****5678`).
    #[serde(default)]
    pub mobile: Option<String>,
    /// Scope `wallet`.
    #[serde(default)]
    pub balances: Option<Vec<Balance>>,
}

#[derive(Deserialize)]
struct Revoked {
    #[allow(dead_code)]
    revoked: bool,
}

impl Client {
    /// `GET /open/v1/ping`: checks the key pair and the signing.
    pub async fn ping(&self) -> Result<PingData> {
        self.call(&Call::get("/open/v1/ping")).await
    }

    /// Exchanges an access code from the login callback for a token pair
    /// (`grant_type=authorization_code`). `redirect_uri` must be the one used at
    /// authorize; `code_verifier` is the PKCE verifier when a challenge was sent.
    ///
    /// ```no_run
    /// # async fn f(og: opengate_sdk::Client) -> opengate_sdk::Result<()> {
    /// let tokens = og.exchange_code("ac_…", "https://shop.example/callback", Some("verifier…")).await?;
    /// println!("{} granted {}", tokens.open_id, tokens.scope);
    /// # Ok(()) }
    /// ```
    pub async fn exchange_code(&self, code: &str, redirect_uri: &str, code_verifier: Option<&str>) -> Result<TokenSet> {
        let mut body = json!({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri});
        if let Some(v) = code_verifier {
            body["code_verifier"] = json!(v);
        }
        self.call(&Call::post_json("/open/v1/oauth/token", &body)?).await
    }

    /// A new pair for a refresh token (`grant_type=refresh_token`); the old refresh
    /// token stops working. `scope` may narrow the grant, never widen it.
    pub async fn refresh_token(&self, refresh_token: &str, scope: Option<&str>) -> Result<TokenSet> {
        let mut body = json!({"grant_type": "refresh_token", "refresh_token": refresh_token});
        if let Some(s) = scope {
            body["scope"] = json!(s);
        }
        self.call(&Call::post_json("/open/v1/oauth/token", &body)?).await
    }

    /// Revokes an access token (alone) or a refresh token (the whole login). An
    /// unknown token succeeds too (RFC 7009).
    pub async fn revoke(&self, token: &str) -> Result<()> {
        let _: Revoked = self.call(&Call::post_json("/open/v1/oauth/revoke", &json!({"token": token}))?).await?;
        Ok(())
    }

    /// Introspects a token of this app (RFC 7662); another app's token is inactive.
    pub async fn introspect(&self, token: &str) -> Result<Introspection> {
        self.call(&Call::post_json("/open/v1/oauth/introspect", &json!({"token": token}))?).await
    }

    /// `GET /open/v1/user/info` with the access token and the device id the login
    /// was bound to. `required_scope` (e.g. `Some("wallet")`) makes a token without
    /// it fail with `U0204` instead of leaving the fields out.
    ///
    /// ```no_run
    /// # async fn f(og: opengate_sdk::Client, tokens: opengate_sdk::TokenSet) -> opengate_sdk::Result<()> {
    /// let me = og.user_info(&tokens.access_token, "h5-device-id-from-the-callback", None).await?;
    /// println!("hello {}", me.nickname.as_deref().unwrap_or("there"));
    /// # Ok(()) }
    /// ```
    pub async fn user_info(
        &self,
        access_token: &str,
        device_id: &str,
        required_scope: Option<&str>,
    ) -> Result<UserInfo> {
        if access_token.is_empty() || access_token.bytes().any(|b| b.is_ascii_control()) {
            return Err(Error::InvalidInput("access_token: must be a token".into()));
        }
        let mut call = Call::get("/open/v1/user/info");
        if let Some(s) = required_scope {
            call.query = format!("scope={}", crate::client::encode(s));
        }
        call.headers.push(("authorization", format!("Bearer {access_token}")));
        call.headers.push(("x-og-device-id", device_id.to_owned()));
        self.call(&call).await
    }
}

#[cfg(test)]
mod tests {
    use crate::client::tests::{assert_signed, body, client, header};
    use crate::client::Call;

    #[test]
    fn user_info_carries_bearer_device_and_scope() {
        let mut call = Call::get("/open/v1/user/info");
        call.query = format!("scope={}", crate::client::encode("wallet profile"));
        call.headers.push(("authorization", "Bearer at_x".into()));
        call.headers.push(("x-og-device-id", "dev-1".into()));
        let req = client().build(&call, 1763784000, "n0nce-0123456789ABCDEF").expect("build");
        assert_eq!(req.url().query(), Some("scope=wallet%20profile"));
        assert_eq!(header(&req, "authorization"), "Bearer at_x");
        assert_eq!(header(&req, "x-og-device-id"), "dev-1");
        assert_signed(&req);
        assert!(body(&req).is_empty());
    }

    #[test]
    fn a_header_http_cannot_carry_is_invalid_input() {
        let mut call = Call::get("/open/v1/user/info");
        call.headers.push(("x-og-device-id", "dev\nX-Injected: 1".into()));
        let got = client().build(&call, 1763784000, "n0nce-0123456789ABCDEF");
        assert!(matches!(got, Err(crate::Error::InvalidInput(_))), "{got:?}");
    }

    #[test]
    fn token_debug_hides_tokens() {
        let t: super::TokenSet = serde_json::from_value(serde_json::json!({
            "access_token": "at_secret", "refresh_token": "rt_secret", "token_type": "Bearer", "expires_in": 7200,
            "refresh_expires_in": 2592000, "scope": "openid", "open_id": "oid_1", "union_id": "uid_1"
        }))
        .expect("token set");
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("at_secret") && !dbg.contains("rt_secret"), "{dbg}");
        assert!(dbg.contains("oid_1"));
        assert_eq!(t.id_token, None, "answers without an id_token still parse");
    }
}
