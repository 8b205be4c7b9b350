//! `/api/console/*`: an app's admin manages keys, IP bindings, URLs, the notify secret,
//! permission applications and reads the delivery log; nobody else sees the app.

use std::time::Duration;

use opengate_e2e::console::{admin_partner, get, post};
use opengate_e2e::login::H5;
use opengate_e2e::pay::{confirm, enable_pay, get_json, new_order, order, payer, Receiver, PIN};
use opengate_e2e::{assert_error, create_partner, send, spawn_app, Partner, Signed, TestApp};
use serde_json::{json, Value};

async fn ping(app: &TestApp, p: &Partner, access_key: &str, secret_key: &str) -> (u16, Value, String) {
    let k = Partner { access_key: access_key.to_owned(), secret_key: secret_key.to_owned(), ..p.clone() };
    send(Signed::new(&k, "GET", "/open/v1/ping", b"").request(app)).await
}

fn key<'a>(app_view: &'a Value, access_key: &str) -> &'a Value {
    app_view["keys"].as_array().expect("keys").iter().find(|k| k["access_key"] == access_key).expect("key listed")
}

#[tokio::test]
async fn admin_manages_keys_and_ip_bindings() {
    let app = spawn_app().await;
    let (p, h5) = admin_partner(&app).await;
    let (status, list) = get_json(&app, &h5, "/api/console/apps").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["apps"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["apps"][0]["app_id"], p.app_id.as_str());

    let (status, view) = get(&app, &h5, &p.app_id, "").await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(view["max_active_keys"], 5);
    let login = view["permissions"].as_array().expect("perms").iter().find(|x| x["permission"] == "login").cloned();
    assert_eq!(login, Some(json!({"permission": "login", "status": "approved"})));
    assert!(!view.to_string().contains(&p.secret_key), "a key's secret is never shown again");

    // A new key: its secret is shown once and it signs at once.
    let (status, created) = post(&app, &h5, &p.app_id, "/keys", &json!({})).await;
    assert_eq!(status, 200, "{created}");
    let (ak, sk) = (created["access_key"].as_str().expect("ak"), created["secret_key"].as_str().expect("sk"));
    assert_eq!(sk.len(), 43);
    assert_eq!(ping(&app, &p, ak, sk).await.0, 200);
    let (_, view) = get(&app, &h5, &p.app_id, "").await;
    assert!(!view.to_string().contains(sk));
    assert_eq!(key(&view, ak)["enabled"], true);

    // IP binding: 127.0.0.1 is outside 10.0.0.0/8, so the key is refused until unbound.
    let (status, view) =
        post(&app, &h5, &p.app_id, &format!("/keys/{ak}/ip-bindings"), &json!({"value": "10.1.2.3/8"})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(key(&view, ak)["ip_bindings"], json!(["10.0.0.0/8"]));
    assert_error(&ping(&app, &p, ak, sk).await, 403, "U0103");
    let (status, err) =
        post(&app, &h5, &p.app_id, &format!("/keys/{ak}/ip-bindings"), &json!({"value": "not an ip"})).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")), "{err}");
    let (status, view) =
        post(&app, &h5, &p.app_id, &format!("/keys/{ak}/ip-bindings/remove"), &json!({"value": "10.0.0.0/8"})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(key(&view, ak)["ip_bindings"], json!([]));
    assert_eq!(ping(&app, &p, ak, sk).await.0, 200);

    // Disable, enable, delete.
    let (_, view) = post(&app, &h5, &p.app_id, &format!("/keys/{ak}/disable"), &json!({})).await;
    assert_eq!(key(&view, ak)["enabled"], false);
    assert_error(&ping(&app, &p, ak, sk).await, 401, "U0102");
    post(&app, &h5, &p.app_id, &format!("/keys/{ak}/enable"), &json!({})).await;
    assert_eq!(ping(&app, &p, ak, sk).await.0, 200);
    let (status, view) = post(&app, &h5, &p.app_id, &format!("/keys/{ak}/delete"), &json!({})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["keys"].as_array().map(Vec::len), Some(1));
    assert_error(&ping(&app, &p, ak, sk).await, 401, "U0102");
    let (status, _) = post(&app, &h5, &p.app_id, &format!("/keys/{ak}/explode"), &json!({})).await;
    assert_eq!(status, 404);

    // At most 5 enabled keys: the sixth is refused and nothing is created.
    for _ in 0..4 {
        assert_eq!(post(&app, &h5, &p.app_id, "/keys", &json!({})).await.0, 200);
    }
    let (status, err) = post(&app, &h5, &p.app_id, "/keys", &json!({})).await;
    assert_eq!((status, err["error"].as_str()), (409, Some("conflict")), "{err}");
    assert_eq!(get(&app, &h5, &p.app_id, "").await.1["keys"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn only_the_apps_admin_sees_or_changes_it() {
    let app = spawn_app().await;
    let (p, admin) = admin_partner(&app).await;
    let (other, _) = admin_partner(&app).await;
    let (_, mobile) = opengate_e2e::login::user(&app).await;
    let user = H5::logged_in(&app, &mobile).await;

    // Someone else's app does not exist for them, whatever they try.
    let (status, list) = get_json(&app, &user, "/api/console/apps").await;
    assert_eq!((status, list), (200, json!({"apps": []})));
    assert_eq!(get(&app, &user, &p.app_id, "").await.0, 404);
    assert_eq!(post(&app, &user, &p.app_id, "/keys", &json!({})).await.0, 404);
    assert_eq!(post(&app, &user, &p.app_id, "/notify-secret/rotate", &json!({})).await.0, 404);
    assert_eq!(post(&app, &user, &p.app_id, &format!("/keys/{}/disable", p.access_key), &json!({})).await.0, 404);
    // An admin cannot reach another app's key through their own app.
    let (status, _) = post(&app, &admin, &other.app_id, &format!("/keys/{}/disable", p.access_key), &json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = post(&app, &admin, &p.app_id, &format!("/keys/{}/disable", other.access_key), &json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(ping(&app, &other, &other.access_key, &other.secret_key).await.0, 200, "still enabled");

    // Not logged in; no CSRF token; a stale one.
    let anon = H5::new(&app).await;
    let (status, err) = get_json(&app, &anon, "/api/console/apps").await;
    assert_eq!((status, err["error"].as_str()), (401, Some("login_required")));
    let resp = app
        .http
        .post(app.url(&format!("/api/console/apps/{}/keys", p.app_id)))
        .header("cookie", format!("og_session={}", admin.cookie))
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    let stale = H5 { cookie: admin.cookie.clone(), csrf: "x".repeat(43) };
    assert_eq!(post(&app, &stale, &p.app_id, "/keys", &json!({})).await.0, 403);
    assert_eq!(get(&app, &admin, &p.app_id, "").await.1["keys"].as_array().map(Vec::len), Some(1), "nothing created");
}

#[tokio::test]
async fn admin_manages_urls_notify_secret_and_permission_applications() {
    let app = spawn_app().await;
    let (p, h5) = admin_partner(&app).await;
    let a = p.app_id.as_str();

    // Redirect URIs: a bad one changes nothing.
    let (status, err) = post(&app, &h5, a, "/redirect-uris", &json!({"value": "https://x.example/cb#frag"})).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")), "{err}");
    let (status, err) = post(&app, &h5, a, "/redirect-uris", &json!({"value": "x", "extra": 1})).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")), "unknown fields refused: {err}");
    let (status, err) = post(&app, &h5, a, "/redirect-uris", &json!({"value": "x".repeat(20_000)})).await;
    assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")), "{err}");
    for bad in
        ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "file:///etc/passwd"]
    {
        let (status, err) = post(&app, &h5, a, "/redirect-uris", &json!({"value": bad})).await;
        assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")), "{bad}: {err}");
    }
    let (_, view) = post(&app, &h5, a, "/redirect-uris", &json!({"value": "myapp://oauth/cb"})).await;
    assert_eq!(view["redirect_uris"], json!(["myapp://oauth/cb"]), "a native app's own scheme is fine");
    post(&app, &h5, a, "/redirect-uris/remove", &json!({"value": "myapp://oauth/cb"})).await;
    let (_, view) = post(&app, &h5, a, "/redirect-uris", &json!({"value": "https://shop.example/cb"})).await;
    assert_eq!(view["redirect_uris"], json!(["https://shop.example/cb"]));
    let (_, view) = post(&app, &h5, a, "/redirect-uris/remove", &json!({"value": "https://shop.example/cb"})).await;
    assert_eq!(view["redirect_uris"], json!([]));
    assert_eq!(post(&app, &h5, a, "/redirect-uris/remove", &json!({"value": "https://shop.example/cb"})).await.0, 404);

    // Return hosts and the notify URL.
    let (_, view) = post(&app, &h5, a, "/return-hosts", &json!({"value": "Shop.Example"})).await;
    assert_eq!(view["return_hosts"], json!(["shop.example"]));
    assert_eq!(post(&app, &h5, a, "/return-hosts", &json!({"value": "bad host/x"})).await.0, 400);
    let (_, view) = post(&app, &h5, a, "/return-hosts/remove", &json!({"value": "shop.example"})).await;
    assert_eq!(view["return_hosts"], json!([]));
    let (_, view) = post(&app, &h5, a, "/notify-url", &json!({"notify_url": "https://shop.example/notify"})).await;
    assert_eq!(view["notify_url"], "https://shop.example/notify");
    let (status, _) = post(&app, &h5, a, "/notify-url", &json!({"notify_url": "ftp://shop.example/n"})).await;
    assert_eq!(status, 400);
    let (_, view) = post(&app, &h5, a, "/notify-url", &json!({"notify_url": null})).await;
    assert_eq!(view["notify_url"], Value::Null);

    // Notify secret rotation: shown once; both secrets sign for 24 h.
    let (status, rotated) = post(&app, &h5, a, "/notify-secret/rotate", &json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let secret = rotated["notify_secret"].as_str().expect("secret");
    assert!(secret.starts_with("whsec_") && secret != p.notify_secret);
    let until = rotated["app"]["previous_secret_valid_until"].as_i64().expect("until");
    assert_eq!(until, app.clock.now_ms() / 1000 + 24 * 3600);
    let signing = opengate::admin::notify_secrets(&app.state, a).await.expect("secrets");
    assert_eq!(signing, vec![secret.to_owned(), p.notify_secret.clone()]);
    let (_, view) = get(&app, &h5, a, "").await;
    assert!(!view.to_string().contains("whsec_"), "no secret in the app view");

    // Permission applications: applied (idempotent) → approved by the operator → refused again.
    let status_of = |v: &Value, name: &str| {
        v["permissions"].as_array().expect("perms").iter().find(|x| x["permission"] == name).expect("perm")["status"]
            .clone()
    };
    assert_eq!(status_of(&view, "pay"), Value::Null);
    let (status, view) = post(&app, &h5, a, "/permissions/pay/apply", &json!({})).await;
    assert_eq!((status, status_of(&view, "pay")), (200, json!("applied")));
    assert_eq!(post(&app, &h5, a, "/permissions/pay/apply", &json!({})).await.0, 200);
    opengate::admin::set_permission(&app.state, a, "pay", opengate::domain::PermissionStatus::Approved)
        .await
        .expect("approve");
    let (status, err) = post(&app, &h5, a, "/permissions/pay/apply", &json!({})).await;
    assert_eq!((status, err["error"].as_str()), (409, Some("conflict")), "{err}");
    assert_eq!(post(&app, &h5, a, "/permissions/login/apply", &json!({})).await.0, 409);
    assert_eq!(post(&app, &h5, a, "/permissions/fly/apply", &json!({})).await.0, 400);
    opengate::admin::set_permission(&app.state, a, "joint_login", opengate::domain::PermissionStatus::Refused)
        .await
        .expect("refuse");
    let (_, view) = post(&app, &h5, a, "/permissions/joint_login/apply", &json!({})).await;
    assert_eq!(status_of(&view, "joint_login"), "applied", "a refused permission may be applied for again");
}

#[tokio::test]
async fn admin_pages_through_orders_and_reads_the_delivery_log() {
    let app = spawn_app().await;
    let (p, h5) = admin_partner(&app).await;
    enable_pay(&app, &p).await;
    let (_, _, payer_h5) = payer(&app, "100.00").await;
    let rx = Receiver::start().await;
    opengate::admin::set_notify_url(&app.state, &p.app_id, Some(&rx.url())).await.expect("notify url");
    let mut ids = Vec::new();
    for (i, amount) in ["1.00", "2.50", "3.00"].iter().enumerate() {
        let o = new_order(&app, &p, &order(&format!("C-{i}"), amount)).await;
        ids.push(o["order_id"].as_str().expect("id").to_owned());
        app.clock.advance_secs(1);
    }
    assert_eq!(confirm(&app, &payer_h5, &ids[1], PIN).await.0, 200);
    rx.wait_for(1, Duration::from_secs(10)).await;

    let (status, page) = get(&app, &h5, &p.app_id, "/orders?limit=2").await;
    assert_eq!(status, 200, "{page}");
    let got: Vec<&str> =
        page["orders"].as_array().expect("orders").iter().filter_map(|o| o["order_id"].as_str()).collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[1].as_str()], "newest first");
    assert_eq!(page["orders"][1]["status"], "paid");
    assert_eq!(page["orders"][1]["amount"], "2.50");
    assert_eq!(page["orders"][0]["notification"], Value::Null);
    let next = page["next_before"].as_str().expect("more pages");
    let (_, page2) = get(&app, &h5, &p.app_id, &format!("/orders?limit=2&before={next}")).await;
    assert_eq!(page2["orders"].as_array().map(Vec::len), Some(1));
    assert_eq!(page2["orders"][0]["order_id"], ids[0].as_str());
    assert_eq!(page2["next_before"], Value::Null);
    let (_, one) = get(&app, &h5, &p.app_id, "/orders?trade_no=C-1").await;
    assert_eq!(one["orders"].as_array().map(Vec::len), Some(1));

    // The delivery log: one notification, delivered on its first attempt (the worker
    // records the outcome just after the receiver answers, so wait for it).
    let path = format!("/orders/{}/deliveries", ids[1]);
    let mut log = Value::Null;
    for _ in 0..100 {
        let (status, l) = get(&app, &h5, &p.app_id, &path).await;
        assert_eq!(status, 200, "{l}");
        log = l;
        if log["notifications"][0]["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let n = &log["notifications"][0];
    assert_eq!(n["status"], "delivered", "{log}");
    assert_eq!(n["event_type"], "payment.succeeded");
    assert_eq!(n["url"], rx.url());
    let attempts = n["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{log}");
    assert_eq!(attempts[0]["http_status"], 200);
    let (_, page) = get(&app, &h5, &p.app_id, "/orders?trade_no=C-1").await;
    assert_eq!(page["orders"][0]["notification"], "delivered");

    // Bad input changes nothing and says what is wrong.
    for q in ["/orders?limit=0", "/orders?limit=abc", "/orders?limit=101", "/orders?before=zzz", "/orders?page=2"] {
        let (status, err) = get(&app, &h5, &p.app_id, q).await;
        assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")), "{q}: {err}");
    }
    // Another app's order is not in this app's log.
    let stranger = create_partner(&app).await;
    enable_pay(&app, &stranger).await;
    let o = new_order(&app, &stranger, &order("S-1", "1.00")).await;
    let (status, _) =
        get(&app, &h5, &p.app_id, &format!("/orders/{}/deliveries", o["order_id"].as_str().expect("id"))).await;
    assert_eq!(status, 404);
}
