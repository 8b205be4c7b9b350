//! Fixed test vectors. They are published in docs/API.md; the second one was
//! computed independently with Python's `hmac` and `urllib.parse`.

use super::*;

const SECRET: &str = "Xq3v9LmT2bRk7WcYp0Hs4NfJd8GzA1eUo6KiV5tQwSx";
const AK: &str = "akexample000000000000001";
const NONCE: &str = "n0nce-0123456789ABCDEF";

#[test]
fn spec_vector_pay_order() {
    let body = br#"{"trade_no":"T-1001","amount":"12.50","currency":"PTS","subject":"Tea"}"#;
    assert_eq!(body_hash(body), "d48a1a087c85a2c7ffae95aab841041d103b73a786fd6691d98d43c6efa6f077");
    let sig =
        sign_request(SECRET, AK, "POST", "/open/v1/pay/orders", "", 1763784000, NONCE, body).expect("valid query");
    assert_eq!(sig, "42020b324251cf32d7f044e9b4dea171810595c29ff1dac4931969c5954a21e6");
    let input = SigningInput {
        method: "post",
        path: "/open/v1/pay/orders",
        canonical_query: "",
        access_key: AK,
        timestamp: "1763784000",
        nonce: NONCE,
        body_hash: &body_hash(body),
    };
    assert!(verify(SECRET, &input.string_to_sign(), &sig));
    assert!(!verify("another-secret", &input.string_to_sign(), &sig));
}

#[test]
fn query_vector() {
    let raw = "z=last&a=2&a=1&name=J%C3%BCrgen+K&empty&sym=a%2Bb%2Fc~d*e";
    assert_eq!(canonical_query(raw).expect("valid"), "a=1&a=2&empty=&name=J%C3%BCrgen%20K&sym=a%2Bb%2Fc~d%2Ae&z=last");
    let sig = sign_request(SECRET, AK, "GET", "/open/v1/users", raw, 1763784000, NONCE, b"").expect("valid");
    assert_eq!(sig, "2ca0ae61aca73294e8bdb90282234e483517c7466454c4b7ac9bc8ff3fdf961f");
    // Order of parameters does not matter.
    let reordered = "sym=a%2Bb%2Fc~d*e&empty&name=J%C3%BCrgen+K&a=1&z=last&a=2";
    let sig2 = sign_request(SECRET, AK, "GET", "/open/v1/users", reordered, 1763784000, NONCE, b"").expect("valid");
    assert_eq!(sig, sig2);
}

#[test]
fn canonical_query_edge_cases() {
    assert_eq!(canonical_query("").expect("ok"), "");
    assert_eq!(canonical_query("&&").expect("ok"), "");
    assert_eq!(canonical_query("b=&a").expect("ok"), "a=&b=");
    assert_eq!(canonical_query("a=%7e").expect("ok"), "a=~");
    assert_eq!(canonical_query("a=x=y").expect("ok"), "a=x%3Dy");
    assert_eq!(canonical_query("f%5Bx%5D=1").expect("ok"), "f%5Bx%5D=1");
    assert_eq!(canonical_query("a=%25").expect("ok"), "a=%25");
    assert_eq!(canonical_query("a=%2").expect_err("invalid"), QueryError(2));
    assert!(canonical_query("a=%zz").is_err());
    assert!(canonical_query("x%=1").is_err());
}

#[test]
fn signature_format() {
    assert!(is_signature_format(&"a".repeat(64)));
    assert!(!is_signature_format(&"A".repeat(64)));
    assert!(!is_signature_format(&"a".repeat(63)));
    assert!(!is_signature_format(&"g".repeat(64)));
}
