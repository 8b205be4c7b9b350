//! The partner request signature of SPEC §4 and §12: canonical query, string to
//! sign, HMAC-SHA256. The server, the SDK and the tests all call these functions, so
//! there is exactly one definition of what gets signed.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "OG1-HMAC-SHA256";
pub const HEADER_ACCESS_KEY: &str = "x-og-accesskey";
pub const HEADER_TIMESTAMP: &str = "x-og-timestamp";
pub const HEADER_NONCE: &str = "x-og-nonce";
pub const HEADER_SIGNATURE: &str = "x-og-signature";
/// Accepted clock difference, inclusive (SPEC §12).
pub const TIMESTAMP_WINDOW_SECS: i64 = 300;
/// How long a nonce stays "seen" for its key.
pub const NONCE_TTL_SECS: i64 = 900;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query: invalid percent-encoding at byte {0}")]
pub struct QueryError(pub usize);

/// RFC 3986 encoding: unreserved characters kept, every other byte `%XX` upper case.
pub fn rfc3986_encode(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value (`+` is a
/// space); an invalid `%` sequence is an error, not passed through.
fn form_decode(part: &[u8], offset: usize) -> Result<Vec<u8>, QueryError> {
    let mut out = Vec::with_capacity(part.len());
    let mut i = 0;
    while i < part.len() {
        match part[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = part.get(i + 1).copied().and_then(hex_val);
                let lo = part.get(i + 2).copied().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(QueryError(offset + i)),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(out)
}

/// CANONICAL_QUERY of SPEC §4/§12 from the raw query string (without `?`).
pub fn canonical_query(raw: &str) -> Result<String, QueryError> {
    if raw.is_empty() {
        return Ok(String::new());
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut offset = 0;
    for part in raw.as_bytes().split(|&b| b == b'&') {
        if !part.is_empty() {
            let (name, value, value_offset) = match part.iter().position(|&b| b == b'=') {
                Some(eq) => (&part[..eq], &part[eq + 1..], offset + eq + 1),
                None => (part, &part[part.len()..], offset + part.len()),
            };
            let mut n = String::new();
            rfc3986_encode(&form_decode(name, offset)?, &mut n);
            let mut v = String::new();
            rfc3986_encode(&form_decode(value, value_offset)?, &mut v);
            pairs.push((n, v));
        }
        offset += part.len() + 1;
    }
    pairs.sort_unstable();
    let mut out = String::with_capacity(raw.len() + 8);
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    Ok(out)
}

/// Lowercase hex of SHA-256 of the body (of zero bytes when there is none).
pub fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// What a request's signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SigningInput<'a> {
    pub method: &'a str,
    /// The path exactly as on the request line, percent-encoded, without the query.
    pub path: &'a str,
    /// Already canonical (see [`canonical_query`]).
    pub canonical_query: &'a str,
    pub access_key: &'a str,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    /// Lowercase hex SHA-256 of the body (see [`body_hash`]).
    pub body_hash: &'a str,
}

impl SigningInput<'_> {
    pub fn string_to_sign(&self) -> String {
        let parts = [
            ALGORITHM,
            self.method,
            self.path,
            self.canonical_query,
            self.access_key,
            self.timestamp,
            self.nonce,
            self.body_hash,
        ];
        let mut s = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                s.push('\n');
            }
            if i == 1 {
                // METHOD is upper case whatever the caller passed.
                s.push_str(&p.to_ascii_uppercase());
            } else {
                s.push_str(p);
            }
        }
        s
    }
}

fn mac(secret_key: &str, string_to_sign: &str) -> HmacSha256 {
    // HMAC accepts keys of any length; this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(string_to_sign.as_bytes());
    m
}

/// Lowercase hex HMAC-SHA256 of `string_to_sign` keyed by the secret key's ASCII bytes.
pub fn sign(secret_key: &str, string_to_sign: &str) -> String {
    hex::encode(mac(secret_key, string_to_sign).finalize().into_bytes())
}

/// Whether a header value has the form of a signature: 64 lowercase hex characters.
pub fn is_signature_format(sig: &str) -> bool {
    sig.len() == 64 && sig.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Constant-time check of a signature (already checked with [`is_signature_format`]).
pub fn verify(secret_key: &str, string_to_sign: &str, signature_hex: &str) -> bool {
    let mut raw = [0u8; 32];
    if hex::decode_to_slice(signature_hex, &mut raw).is_err() {
        return false;
    }
    mac(secret_key, string_to_sign).verify_slice(&raw).is_ok()
}

/// Signs a whole request: the helper the SDK and tests use.
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    secret_key: &str,
    access_key: &str,
    method: &str,
    path: &str,
    raw_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Result<String, QueryError> {
    let cq = canonical_query(raw_query)?;
    let ts = timestamp.to_string();
    let bh = body_hash(body);
    let input = SigningInput { method, path, canonical_query: &cq, access_key, timestamp: &ts, nonce, body_hash: &bh };
    Ok(sign(secret_key, &input.string_to_sign()))
}

#[cfg(test)]
mod tests;
