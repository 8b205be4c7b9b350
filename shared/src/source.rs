//! Signatures between the platform and a partner **source** (SPEC §9), keyed by the
//! source's shared secret (its ASCII bytes, like §12's secret keys):
//!
//! - an import link `/h5/import?source=…&uid=…&ts=…&redirect=…&sig=…`: `sig` is the
//!   lowercase hex HMAC-SHA256 of the §4 canonical query of every parameter except
//!   `sig` itself, so parameter order and percent-encoding style do not matter;
//! - the platform's calls to the source (its user API and its deduction endpoint)
//!   carry `X-OG-Source`, `X-OG-Timestamp` and `X-OG-Signature`, the hex HMAC of
//!   [`call_string_to_sign`].
//!
//! Both the server and the SDK call these, so there is one definition of each.

use crate::signing::{body_hash, canonical_query, sign, QueryError};

pub const HEADER_SOURCE: &str = "x-og-source";
pub const HEADER_TIMESTAMP: &str = "x-og-timestamp";
pub const HEADER_SIGNATURE: &str = "x-og-signature";
/// An import link older (or newer) than this is refused.
pub const IMPORT_MAX_AGE_SECS: i64 = 300;
/// The algorithm line of a source call's string to sign.
pub const CALL_ALGORITHM: &str = "OG1-SOURCE-HMAC-SHA256";

/// The string an import link's `sig` covers: the canonical query of `raw_query`
/// without its `sig` parameter(s).
pub fn import_string_to_sign(raw_query: &str) -> Result<String, QueryError> {
    let canonical = canonical_query(raw_query)?;
    Ok(canonical
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("sig=") && *p != "sig")
        .collect::<Vec<_>>()
        .join("&"))
}

/// The `sig` of an import link whose other parameters are `raw_query`.
pub fn sign_import(secret: &str, raw_query: &str) -> Result<String, QueryError> {
    Ok(sign(secret, &import_string_to_sign(raw_query)?))
}

/// What the signature of a platform → source call covers:
/// `OG1-SOURCE-HMAC-SHA256 \n METHOD \n path?query \n timestamp \n hex(SHA-256(body))`.
pub fn call_string_to_sign(method: &str, path_and_query: &str, timestamp: i64, body: &[u8]) -> String {
    format!("{CALL_ALGORITHM}\n{}\n{path_and_query}\n{timestamp}\n{}", method.to_ascii_uppercase(), body_hash(body))
}

/// The `X-OG-Signature` of a platform → source call.
pub fn sign_call(secret: &str, method: &str, path_and_query: &str, timestamp: i64, body: &[u8]) -> String {
    sign(secret, &call_string_to_sign(method, path_and_query, timestamp, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_signature_ignores_order_and_encoding_and_sig() {
        let a =
            import_string_to_sign("uid=u%201&source=qd&ts=1763784000&redirect=%2Fh5%2Faccount").expect("valid query");
        let b =
            import_string_to_sign("redirect=/h5/account&ts=1763784000&source=qd&uid=u+1&sig=abc").expect("valid query");
        assert_eq!(a, b);
        assert_eq!(a, "redirect=%2Fh5%2Faccount&source=qd&ts=1763784000&uid=u%201");
        let s = sign_import("k", "source=qd&uid=1&ts=1").expect("valid query");
        assert_eq!(s.len(), 64);
        assert_ne!(s, sign_import("k2", "source=qd&uid=1&ts=1").expect("valid query"));
    }

    #[test]
    fn call_string_names_every_part() {
        let s = call_string_to_sign("post", "/debit?x=1", 7, b"{}");
        assert_eq!(
            s,
            "OG1-SOURCE-HMAC-SHA256\nPOST\n/debit?x=1\n7\n44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }
}
