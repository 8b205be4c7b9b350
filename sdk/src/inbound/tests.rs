//! Joint-login and user-lookup requests as built and signed, and JSON:API answers
//! decoded (the endpoints are checked against a real server in tests/api).

use reqwest::header::HeaderMap;
use serde_json::json;

use super::*;
use crate::client::tests::{assert_signed, body, client};
use crate::{ApiError, ErrorCode};

const TS: i64 = 1763784000;
const NONCE: &str = "n0nce-0123456789ABCDEF";

#[test]
fn joint_login_body_uses_the_partner_field_names() {
    let mut map = serde_json::Map::new();
    map.insert("name".into(), json!("Kim"));
    let req = JointLogin {
        open_id: "u-42".into(),
        merchant_no: "M001".into(),
        mob: "+8613800138000".into(),
        source_mc: "mc01".into(),
        source_af: "af01".into(),
        map: Some(map),
    };
    let call = Call::post_json("/open/v1/joint-login", &req).expect("call");
    let built = client().build(&call, TS, NONCE).expect("build");
    assert_eq!(built.url().path(), "/open/v1/joint-login");
    let sent: serde_json::Value = serde_json::from_slice(&body(&built)).expect("json");
    assert_eq!(
        sent,
        json!({"openId":"u-42","merchantNo":"M001","mob":"+8613800138000","sourceMc":"mc01","sourceAf":"af01","map":{"name":"Kim"}})
    );
    assert_signed(&built);
    let without_map = serde_json::to_value(JointLogin { map: None, ..req }).expect("json");
    assert!(without_map.get("map").is_none(), "map is optional and left out");
}

#[test]
fn lookup_filters_are_encoded_and_signed() {
    let call = Call { query: UserFilter::CellPhone("+86 138".into()).query(), ..Call::get("/open/v1/users") };
    let built = client().build(&call, TS, NONCE).expect("build");
    assert_eq!(built.url().query(), Some("filter[cellPhone]=%2B86%20138"));
    assert_signed(&built);
    assert_eq!(UserFilter::UserName("kim_1".into()).query(), "filter[userName]=kim_1");
    assert!(matches!(segment("id", ".."), Err(Error::InvalidInput(_))));
}

fn jsonapi(rid: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("content-type", "application/vnd.api+json".parse().expect("header"));
    h.insert("x-request-id", rid.parse().expect("header"));
    h
}

fn user_resource(cell: Option<&str>) -> serde_json::Value {
    let mut attrs =
        json!({"userName":"kim","nickName":"Kim","status":0,"createTime":1,"updateTime":2,"openId":"oid_9"});
    if let Some(c) = cell {
        attrs["cellPhone"] = json!(c);
    }
    json!({"type":"users","id":"usr_1","attributes":attrs})
}

#[test]
fn collections_and_single_users_decode() {
    let doc = json!({"data":[user_resource(Some("13800138000")), user_resource(None)]});
    let list: Vec<Resource> = decode_jsonapi(200, &jsonapi("r1"), doc.to_string().as_bytes()).expect("list");
    let users: Vec<LookupUser> = list.into_iter().map(|r| r.into_user().expect("user")).collect();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].cell_phone.as_deref(), Some("13800138000"));
    assert_eq!(users[1].cell_phone, None, "absent when the user has none");
    assert_eq!(
        (users[0].id.as_str(), users[0].nick_name.as_str(), users[0].open_id.as_str()),
        ("usr_1", "Kim", "oid_9")
    );
    assert!(users[0].is_active());

    let empty: Vec<Resource> = decode_jsonapi(200, &jsonapi("r2"), br#"{"data":[]}"#).expect("empty");
    assert!(empty.is_empty());

    let one: Resource =
        decode_jsonapi(200, &jsonapi("r3"), json!({"data": user_resource(None)}).to_string().as_bytes()).expect("one");
    assert_eq!(one.into_user().expect("user").user_name.as_deref(), Some("kim"));

    let mut other = user_resource(None);
    other["type"] = json!("orders");
    let wrong: Resource = serde_json::from_value(other).expect("resource");
    assert!(wrong.into_user().is_err(), "only users resources are users");
}

#[test]
fn jsonapi_errors_become_typed_errors() {
    let body = br#"{"errors":[{"status":"401","code":"U0105","title":"signature mismatch","detail":"signature mismatch; check the string to sign"}]}"#;
    let err = decode_jsonapi::<Vec<Resource>>(401, &jsonapi("r4"), body).expect_err("error");
    assert_eq!(err.code(), Some(ErrorCode::U0105));
    assert_eq!(err.request_id(), Some("r4"));
    let Error::Api(api) = err else { panic!("api error") };
    assert_eq!(api.message, "signature mismatch; check the string to sign");
    assert_eq!(api.http_status, 401);

    // A title is the message when there is no detail.
    let err = decode_jsonapi::<Resource>(
        403,
        &jsonapi("r5"),
        br#"{"errors":[{"status":"403","code":"U0076","title":"no permission"}]}"#,
    );
    assert!(
        matches!(err, Err(Error::Api(ApiError { code: ErrorCode::U0076, ref message, .. })) if message == "no permission")
    );

    // A platform without the endpoint answers in the envelope.
    let env = br#"{"success":false,"errorCode":"U0404","errorMsg":"no such endpoint","requestId":"r6"}"#;
    let err = decode_jsonapi::<Resource>(404, &jsonapi("r6"), env).expect_err("U0404");
    assert_eq!(err.code(), Some(ErrorCode::U0404));

    for bad in [&br#"{"errors":[]}"#[..], br#"{"meta":{}}"#, b"oops"] {
        assert!(matches!(decode_jsonapi::<Resource>(500, &jsonapi("r7"), bad), Err(Error::Protocol { .. })));
    }
}

#[test]
fn joint_login_answer_is_a_url_string() {
    let env = br#"{"success":true,"data":"https://og.example/h5/joint/jl_abc","requestId":"r8"}"#;
    let url: String = decode_envelope(200, &jsonapi("r8"), env).expect("url");
    assert_eq!(url, "https://og.example/h5/joint/jl_abc");
}
