//! Request building against the SPEC §4 test vectors, and envelope decoding.

use opengate_shared::signing;
use reqwest::header::HeaderMap;

use super::*;

const SECRET: &str = "Xq3v9LmT2bRk7WcYp0Hs4NfJd8GzA1eUo6KiV5tQwSx";
const AK: &str = "akexample000000000000001";
const NONCE: &str = "n0nce-0123456789ABCDEF";
const TS: i64 = 1763784000;

pub(crate) fn client() -> Client {
    Client::new("http://og.test:8080", AK, SECRET).expect("client")
}

pub(crate) fn header(req: &reqwest::Request, name: &str) -> String {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The body bytes of a built request.
pub(crate) fn body(req: &reqwest::Request) -> Vec<u8> {
    req.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec).unwrap_or_default()
}

/// Checks the four signature headers of `req` with shared's verifier.
pub(crate) fn assert_signed(req: &reqwest::Request) {
    let url = req.url();
    let ts = header(req, "x-og-timestamp");
    let nonce = header(req, "x-og-nonce");
    assert!(Nonce::parse(&nonce).is_ok(), "nonce {nonce}");
    let cq = signing::canonical_query(url.query().unwrap_or("")).expect("query");
    let bh = signing::body_hash(&body(req));
    let input = signing::SigningInput {
        method: req.method().as_str(),
        path: url.path(),
        canonical_query: &cq,
        access_key: &header(req, "x-og-accesskey"),
        timestamp: &ts,
        nonce: &nonce,
        body_hash: &bh,
    };
    assert!(signing::verify(SECRET, &input.string_to_sign(), &header(req, "x-og-signature")), "signature verifies");
}

#[test]
fn spec_vector_through_the_request_builder() {
    let body = br#"{"trade_no":"T-1001","amount":"12.50","currency":"PTS","subject":"Tea"}"#.to_vec();
    let call = Call { body, ..Call::post("/open/v1/pay/orders") };
    let req = client().build(&call, TS, NONCE).expect("build");
    assert_eq!(req.url().as_str(), "http://og.test:8080/open/v1/pay/orders");
    assert_eq!(header(&req, "x-og-accesskey"), AK);
    assert_eq!(header(&req, "x-og-timestamp"), "1763784000");
    assert_eq!(header(&req, "x-og-nonce"), NONCE);
    assert_eq!(header(&req, "x-og-signature"), "42020b324251cf32d7f044e9b4dea171810595c29ff1dac4931969c5954a21e6");
    assert_eq!(header(&req, "content-type"), "application/json; charset=utf-8");
}

#[test]
fn spec_query_vector_through_the_request_builder() {
    let call = Call {
        query: "z=last&a=2&a=1&name=J%C3%BCrgen+K&empty&sym=a%2Bb%2Fc~d*e".into(),
        ..Call::get("/open/v1/users")
    };
    let req = client().build(&call, TS, NONCE).expect("build");
    assert_eq!(header(&req, "x-og-signature"), "2ca0ae61aca73294e8bdb90282234e483517c7466454c4b7ac9bc8ff3fdf961f");
    assert!(req.body().is_none(), "a GET has no body");
    assert_eq!(header(&req, "content-type"), "");
}

#[test]
fn public_signature_helper_matches_the_vector_and_checks_the_nonce() {
    let c = client();
    let sig = c
        .signature("GET", "/open/v1/users?z=last&a=2&a=1&name=J%C3%BCrgen+K&empty&sym=a%2Bb%2Fc~d*e", b"", TS, NONCE)
        .expect("sign");
    assert_eq!(sig, "2ca0ae61aca73294e8bdb90282234e483517c7466454c4b7ac9bc8ff3fdf961f");
    assert!(matches!(c.signature("GET", "/open/v1/ping", b"", TS, "short"), Err(Error::InvalidInput(_))));
    assert!(matches!(c.signature("GET", "/open/v1/ping?a=%zz", b"", TS, NONCE), Err(Error::InvalidInput(_))));
}

#[test]
fn a_base_path_is_part_of_what_is_signed() {
    let c = Client::new("https://og.example/gate/", AK, SECRET).expect("client");
    assert_eq!(c.base_url(), "https://og.example/gate");
    let req = c.build(&Call::get("/open/v1/ping"), TS, NONCE).expect("build");
    assert_eq!(req.url().path(), "/gate/open/v1/ping");
    assert_signed(&req);
}

#[test]
fn every_request_gets_a_fresh_nonce() {
    let a = random_token(24);
    let b = random_token(24);
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
    assert!(Nonce::parse(&a).is_ok());
}

#[test]
fn bad_configuration_is_refused_without_echoing_the_secret() {
    for base in ["og.example", "ftp://og.example", "https://og.example/?x=1", "https://og.example/#f"] {
        assert!(matches!(Client::new(base, AK, SECRET), Err(Error::InvalidInput(_))), "{base}");
    }
    assert!(matches!(Client::new("https://og.example", "AKbad", SECRET), Err(Error::InvalidInput(_))));
    let err = Client::new("https://og.example", AK, "not-the-secret!").expect_err("short secret");
    assert!(!err.to_string().contains("not-the-secret"), "{err}");
}

fn headers(rid: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-request-id", rid.parse().expect("header"));
    h
}

#[test]
fn envelopes_decode_to_data_or_typed_errors() {
    let ok: PingDataish =
        decode_envelope(200, &headers("r1"), br#"{"success":true,"data":{"app_id":"demoapp"},"requestId":"r1"}"#)
            .expect("data");
    assert_eq!(ok.app_id, "demoapp");

    let err = decode_envelope::<PingDataish>(
        404,
        &headers("r2"),
        br#"{"success":false,"errorCode":"U0303","errorMsg":"order not found","requestId":"r2"}"#,
    )
    .expect_err("error");
    assert_eq!(err.code(), Some(ErrorCode::U0303));
    assert_eq!(err.request_id(), Some("r2"));
    let Error::Api(api) = err else { panic!("api error") };
    assert_eq!((api.http_status, api.message.as_str(), api.retry_after_secs), (404, "order not found", None));

    let mut h = headers("r3");
    h.insert("retry-after", "7".parse().expect("header"));
    let limited = decode_envelope::<PingDataish>(
        429,
        &h,
        br#"{"success":false,"errorCode":"U0401","errorMsg":"slow down","requestId":"r3"}"#,
    );
    assert!(matches!(limited, Err(Error::Api(ApiError { code: ErrorCode::U0401, retry_after_secs: Some(7), .. }))));
}

#[test]
fn answers_outside_the_contract_are_protocol_errors() {
    let html = decode_envelope::<PingDataish>(502, &headers("r4"), b"<html>Bad gateway</html>");
    assert!(
        matches!(&html, Err(Error::Protocol { http_status: 502, request_id: Some(r), .. }) if r == "r4"),
        "{html:?}"
    );
    let unknown =
        decode_envelope::<PingDataish>(400, &headers("r5"), br#"{"success":false,"errorCode":"X1","requestId":"r5"}"#);
    assert!(matches!(unknown, Err(Error::Protocol { .. })));
    let shape = decode_envelope::<PingDataish>(200, &headers("r6"), br#"{"success":true,"data":[1],"requestId":"r6"}"#);
    assert!(matches!(shape, Err(Error::Protocol { .. })));
}

#[derive(Debug, serde::Deserialize)]
struct PingDataish {
    app_id: String,
}
