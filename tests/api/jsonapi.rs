//! The JSON:API user lookup (SPEC §9): every answer, success or error (including
//! authentication), is checked against the JSON:API 1.1 schema in tests/schemas/ with
//! a maintained validator, and the schema itself is shown to refuse broken documents.

use opengate_e2e::{create_partner, inbound, login, send, spawn_app, Signed, TestApp};
use serde_json::{json, Value};

fn validator() -> jsonschema::Validator {
    let path = opengate_e2e::workspace_dir().join("tests/schemas/jsonapi-1.1.schema.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(path).expect("schema file")).expect("schema JSON");
    jsonschema::options().should_validate_formats(true).build(&schema).expect("valid schema")
}

#[track_caller]
fn assert_jsonapi(v: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "not a JSON:API 1.1 document: {errors:?}\n{doc:#}");
}

/// Sends a signed GET and returns (status, content type, body).
async fn get(app: &TestApp, p: &opengate_e2e::Partner, path: &str) -> (u16, String, Value) {
    let resp = Signed::new(p, "GET", path, b"").request(app).send().await.expect("sent");
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, ct, resp.json().await.expect("JSON body"))
}

#[track_caller]
fn assert_error(v: &jsonschema::Validator, got: &(u16, String, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{:#}", got.2);
    assert_eq!(got.1, "application/vnd.api+json");
    assert_jsonapi(v, &got.2);
    let e = &got.2["errors"][0];
    assert_eq!((e["status"].as_str(), e["code"].as_str()), (Some(status.to_string().as_str()), Some(code)), "{e}");
    assert!(e["title"].is_string() && e["detail"].is_string(), "{e}");
}

#[test]
fn the_schema_refuses_documents_that_break_json_api() {
    let v = validator();
    let broken = [
        json!({}),
        json!({"data": null, "errors": [{"code": "x"}]}),
        json!({"included": []}),
        json!({"data": {"type": "users", "id": 13}}),
        json!({"data": {"id": "13"}}),
        json!({"data": {"type": "users", "id": "1", "attributes": {"id": "x"}}}),
        json!({"data": {"type": "users", "id": "1", "password": "x"}}),
        json!({"errors": [{"status": 400}]}),
        json!({"errors": []}),
        json!({"errors": [{}]}),
        json!({"data": [], "links": {"self": 5}}),
        json!({"data": [], "jsonapi": {"version": "1.1", "extra": true}}),
        json!({"data": {"type": "bad type", "id": "1"}}),
    ];
    for doc in broken {
        assert!(!v.is_valid(&doc), "the schema accepted {doc}");
    }
    assert!(v.is_valid(&json!({"data": [], "jsonapi": {"version": "1.1"}})));
}

#[tokio::test]
async fn users_are_looked_up_in_json_api_with_the_callers_open_id_and_never_a_secret() {
    let app = spawn_app().await;
    let v = validator();
    let src = inbound::source(&app, "partner_users", "jsonapi").await;
    let p = &src.partner;
    let (user_id, mobile) = login::user(&app).await;

    // By mobile: a collection of one, unmasked, with this app's openId.
    let got = get(&app, p, &format!("/open/v1/users?filter[cellPhone]={mobile}")).await;
    assert_eq!((got.0, got.1.as_str()), (200, "application/vnd.api+json"), "{:#}", got.2);
    assert_jsonapi(&v, &got.2);
    let items = got.2["data"].as_array().expect("collection");
    assert_eq!(items.len(), 1);
    let u = &items[0];
    assert_eq!((u["type"].as_str(), u["id"].as_str()), (Some("users"), Some(user_id.as_str())));
    let a = &u["attributes"];
    assert_eq!(a["cellPhone"], mobile.as_str());
    assert_eq!(a["userName"], mobile.as_str(), "no user name: the mobile stands in");
    assert_eq!((a["nickName"].as_str(), a["status"].as_i64()), (Some("Tea Lover"), Some(0)));
    assert!(a["createTime"].as_i64().is_some_and(|t| (t - app.clock.now_secs()).abs() < 60), "{a}");
    let open_id = a["openId"].as_str().expect("openId").to_owned();
    let mut keys: Vec<&str> = a.as_object().expect("attributes").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["cellPhone", "createTime", "nickName", "openId", "status", "updateTime", "userName"]);
    let text = got.2.to_string().to_lowercase();
    assert!(!text.contains("password") && !text.contains("pin") && !text.contains("argon"), "{text}");

    // The same openId as at login for this app; another app sees another one.
    let again = get(&app, p, &format!("/open/v1/users/{user_id}")).await;
    assert_eq!(again.0, 200);
    assert_jsonapi(&v, &again.2);
    assert_eq!(again.2["data"]["attributes"]["openId"], open_id.as_str());
    let other = inbound::source(&app, "partner_users", "jsonapi").await;
    let theirs = get(&app, &other.partner, &format!("/open/v1/users/{user_id}")).await;
    assert_ne!(theirs.2["data"]["attributes"]["openId"], open_id.as_str());

    // By user name (an imported user keeps the partner's), and nothing found → [].
    src.site.add_user("7", "ACaY1475853051", None, "Imported");
    let landing =
        inbound::open(&app, &inbound::import_link(&src.code, &src.secret, "7", app.clock.now_secs(), None)).await;
    assert_eq!(landing.location, "/h5/account");
    let got = get(&app, p, "/open/v1/users?filter[userName]=ACaY1475853051").await;
    assert_jsonapi(&v, &got.2);
    let imported = &got.2["data"][0]["attributes"];
    assert_eq!(imported["nickName"], "Imported");
    assert!(imported.get("cellPhone").is_none(), "absent when the user has none: {imported}");
    let none = get(&app, p, "/open/v1/users?filter[cellPhone]=13000000000").await;
    assert_eq!((none.0, none.2["data"].clone()), (200, json!([])));
    assert_jsonapi(&v, &none.2);

    // Errors, all JSON:API: parameters, unknown id, permission, authentication.
    for bad in [
        "/open/v1/users",
        "/open/v1/users?filter[cellPhone]=12ab",
        "/open/v1/users?filter[email]=a@b.c",
        "/open/v1/users?filter[cellPhone]=13000000000&filter[userName]=x",
    ] {
        assert_error(&v, &get(&app, p, bad).await, 400, "U0029");
    }
    assert_error(&v, &get(&app, p, "/open/v1/users/usr_nobody").await, 404, "U0404");
    assert_error(&v, &get(&app, p, "/open/v1/users/a/b").await, 404, "U0404");
    let outsider = create_partner(&app).await;
    assert_error(&v, &get(&app, &outsider, "/open/v1/users?filter[cellPhone]=13000000000").await, 403, "U0076");
    let mut forged = Signed::new(p, "GET", "/open/v1/users?filter[cellPhone]=13000000000", b"");
    forged.secret_key = "x".repeat(43);
    let resp = forged.request(&app).send().await.expect("sent");
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned();
    let body: Value = resp.json().await.expect("json");
    assert_error(&v, &(status, ct, body), 401, "U0105");
    let unsigned = app.http.get(app.url("/open/v1/users/x")).send().await.expect("sent");
    let ct = unsigned.headers().get("content-type").and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned();
    let (status, body) = (unsigned.status().as_u16(), unsigned.json::<Value>().await.expect("json"));
    assert_error(&v, &(status, ct, body), 401, "U0101");

    // Other /open/v1 answers keep the SPEC envelope.
    let ping = send(Signed::new(p, "GET", "/open/v1/ping", b"").request(&app)).await;
    assert_eq!(ping.1["success"], true);
}
