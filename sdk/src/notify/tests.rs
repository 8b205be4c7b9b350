//! The verifier against the published Standard Webhooks vector, rotation, tolerance
//! and tampering.

use opengate_shared::webhook;
use reqwest::header::HeaderMap;

use super::*;

const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW: &str = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTE=";
const TS: i64 = 1_763_784_000;

fn body(id: &str) -> Vec<u8> {
    serde_json::json!({
        "id": id, "type": "payment.succeeded", "created_at": TS,
        "data": {"order_id": "ord_1", "trade_no": "T-1", "app_id": "demoapp", "open_id": "oid_1", "amount": "12.50",
                 "currency": "PTS", "settle_amount": "1.25", "settle_currency": "OGC", "status": "paid",
                 "fail_reason": null, "paid_at": TS}
    })
    .to_string()
    .into_bytes()
}

#[test]
fn published_vector_signature_is_accepted_by_the_hmac_it_reuses() {
    // The Standard Webhooks reference vector: the body is not a notification, so
    // the signature passes and the body check is what refuses it.
    let v = NotificationVerifier::new([OLD]).expect("verifier");
    let got = v.verify_at(
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "1614265330",
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        br#"{"test": 2432232314}"#,
        1_614_265_330,
    );
    assert!(matches!(got, Err(VerifyError::Body(_))), "{got:?}");
}

#[test]
fn accepts_any_listed_secret_and_any_signature_in_the_header() {
    let b = body("evt_1");
    let both = webhook::signature_header(&[NEW.to_owned(), OLD.to_owned()], "evt_1", TS, &b).expect("sign");
    let only_old = webhook::sign(OLD, "evt_1", TS, &b).expect("sign");
    let only_new = webhook::sign(NEW, "evt_1", TS, &b).expect("sign");

    let rotating = NotificationVerifier::new([NEW, OLD]).expect("verifier");
    for header in [&both, &only_old, &only_new] {
        let n = rotating.verify_at("evt_1", &TS.to_string(), header, &b, TS).expect("verifies");
        assert_eq!(n.data.status, "paid");
    }
    let new_only = NotificationVerifier::new([NEW]).expect("verifier");
    assert!(new_only.verify_at("evt_1", &TS.to_string(), &both, &b, TS).is_ok(), "the header carries both");
    assert_eq!(new_only.verify_at("evt_1", &TS.to_string(), &only_old, &b, TS).err(), Some(VerifyError::Mismatch));
}

#[test]
fn refuses_tampering_replays_and_junk() {
    let b = body("evt_2");
    let sig = webhook::sign(OLD, "evt_2", TS, &b).expect("sign");
    let v = NotificationVerifier::new([OLD]).expect("verifier");
    let ts = TS.to_string();
    assert!(v.verify_at("evt_2", &ts, &sig, &b, TS + 300).is_ok(), "the window is inclusive");
    assert_eq!(v.verify_at("evt_2", &ts, &sig, &b, TS + 301).err(), Some(VerifyError::TooOld));
    assert_eq!(v.verify_at("evt_2", &ts, &sig, &b, TS - 301).err(), Some(VerifyError::TooOld));
    let strict = v.clone().with_tolerance(10);
    assert_eq!(strict.verify_at("evt_2", &ts, &sig, &b, TS + 11).err(), Some(VerifyError::TooOld));

    let mut changed = b.clone();
    changed.extend_from_slice(b" ");
    assert_eq!(v.verify_at("evt_2", &ts, &sig, &changed, TS).err(), Some(VerifyError::Mismatch));
    assert_eq!(v.verify_at("evt_3", &ts, &sig, &b, TS).err(), Some(VerifyError::Mismatch));
    assert_eq!(v.verify_at("evt_2", &(TS + 1).to_string(), &sig, &b, TS).err(), Some(VerifyError::Mismatch));
    for ts in ["", "-1", "1e9", " 1763784000", "99999999999999999999"] {
        assert_eq!(v.verify_at("evt_2", ts, &sig, &b, TS).err(), Some(VerifyError::BadTimestamp), "{ts:?}");
    }
    assert_eq!(v.verify_at("evt_2", &ts, "v2,abc v1,!!!", &b, TS).err(), Some(VerifyError::Mismatch));

    // A body signed under another id than its own.
    let other = body("evt_9");
    let sig9 = webhook::sign(OLD, "evt_2", TS, &other).expect("sign");
    assert_eq!(v.verify_at("evt_2", &ts, &sig9, &other, TS).err(), Some(VerifyError::IdMismatch));
}

#[test]
fn reads_the_standard_headers() {
    let b = body("evt_4");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).expect("clock");
    let mut h = HeaderMap::new();
    h.insert("webhook-id", "evt_4".parse().expect("header"));
    h.insert("webhook-timestamp", now.to_string().parse().expect("header"));
    let v = NotificationVerifier::new([OLD]).expect("verifier");
    assert_eq!(v.verify(&h, &b).err(), Some(VerifyError::MissingHeader("webhook-signature")));
    h.insert("webhook-signature", webhook::sign(OLD, "evt_4", now, &b).expect("sign").parse().expect("header"));
    assert_eq!(v.verify(&h, &b).expect("verifies").id, "evt_4");
}

#[test]
fn secrets_are_checked_and_never_printed() {
    assert_eq!(NotificationVerifier::new(Vec::<String>::new()).err(), Some(VerifyError::NoSecret));
    assert_eq!(NotificationVerifier::new(["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]).err(), Some(VerifyError::BadSecret));
    assert_eq!(NotificationVerifier::new(["whsec_!!"]).err(), Some(VerifyError::BadSecret));
    let v = NotificationVerifier::new([OLD]).expect("verifier");
    assert!(!format!("{v:?}").contains("MfKQ"));
}
