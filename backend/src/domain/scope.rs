//! OAuth scopes (SPEC §5): `openid` (always granted), `profile`, `mobile`, `wallet`.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    OpenId,
    Profile,
    Mobile,
    Wallet,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::OpenId, Scope::Profile, Scope::Mobile, Scope::Wallet];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Mobile => "mobile",
            Scope::Wallet => "wallet",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A set of scopes, always containing `openid`, kept in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parses a space-separated list (RFC 6749 §3.3). Unknown scopes are an error;
    /// `openid` is added when missing; duplicates are ignored.
    pub fn parse(s: &str) -> Result<ScopeSet, String> {
        let mut v = vec![Scope::OpenId];
        for part in s.split(' ').filter(|p| !p.is_empty()) {
            let sc = Scope::parse(part)
                .ok_or_else(|| format!("scope {part:?} is not one of openid, profile, mobile, wallet"))?;
            if !v.contains(&sc) {
                v.push(sc);
            }
        }
        v.sort();
        Ok(ScopeSet(v))
    }

    pub fn from_scopes(it: impl IntoIterator<Item = Scope>) -> ScopeSet {
        let mut v: Vec<Scope> = it.into_iter().collect();
        v.push(Scope::OpenId);
        v.sort();
        v.dedup();
        ScopeSet(v)
    }

    pub fn contains(&self, s: Scope) -> bool {
        self.0.contains(&s)
    }

    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.contains(*s))
    }

    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }

    pub fn intersect(&self, other: &ScopeSet) -> ScopeSet {
        ScopeSet::from_scopes(self.0.iter().copied().filter(|s| other.contains(*s)))
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        f.write_str(&parts.join(" "))
    }
}

/// PKCE S256 (RFC 7636): BASE64URL(SHA256(verifier)) == challenge.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let ok_verifier = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if !ok_verifier {
        return false;
    }
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    // Both are public values; the comparison need not be constant-time, but it is cheap.
    computed.len() == challenge.len() && computed.bytes().zip(challenge.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
}

/// A PKCE challenge has the shape of a base64url SHA-256 (43 characters).
pub fn is_pkce_challenge(c: &str) -> bool {
    c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_sets() {
        let s = ScopeSet::parse("wallet profile").expect("valid");
        assert_eq!(s.to_string(), "openid profile wallet");
        assert!(ScopeSet::parse("profile email").is_err());
        assert_eq!(ScopeSet::parse("").expect("empty").to_string(), "openid");
        let narrow = ScopeSet::parse("profile").expect("valid");
        assert!(narrow.is_subset_of(&s));
        assert!(!s.is_subset_of(&narrow));
    }

    #[test]
    fn pkce_rfc7636_appendix_b() {
        assert!(pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_s256_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(is_pkce_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
}
