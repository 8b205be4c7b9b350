//! The standard OAuth 2.0 endpoints (`/oauth/*`, RFC 6749/7009/7662/8414), driven by
//! the off-the-shelf `oauth2` crate (not written here) and by raw form posts.

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IntrospectionUrl, PkceCodeChallenge, RedirectUrl,
    RevocationUrl, Scope, StandardRevocableToken, TokenIntrospectionResponse, TokenResponse, TokenUrl,
};
use opengate_e2e::login::{query_of, request_id, setup, user_info, H5, REDIRECT_URI};
use opengate_e2e::{assert_error, spawn_app, TestApp};
use serde_json::{json, Value};

/// Consents on the H5 API to the request behind an authorize URL; returns the redirect's query.
async fn consent(
    app: &TestApp,
    h5: &H5,
    authorize_url: &str,
    scopes: &[&str],
) -> std::collections::HashMap<String, String> {
    let resp = app.http.get(authorize_url).send().await.expect("authorize");
    let loc = resp.headers()["location"].to_str().expect("location").to_owned();
    let id = request_id(&loc);
    let body = json!({"approve": true, "scopes": scopes, "device_id": "lib-device"});
    let v: Value = h5
        .post(app, &format!("/api/h5/authorize/{id}"), &body)
        .send()
        .await
        .expect("consent")
        .json()
        .await
        .expect("json");
    query_of(v["redirect"].as_str().expect("redirect"))
}

#[tokio::test]
async fn oauth2_crate_runs_the_whole_flow_with_pkce() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let client = BasicClient::new(ClientId::new(s.partner.access_key.clone()))
        .set_client_secret(ClientSecret::new(s.partner.secret_key.clone()))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).expect("url"))
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).expect("url"))
        .set_revocation_url(RevocationUrl::new(app.url("/oauth/revoke")).expect("url"))
        .set_introspection_url(IntrospectionUrl::new(app.url("/oauth/introspect")).expect("url"))
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).expect("url"));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let q = consent(&app, &h5, auth_url.as_str(), &["profile"]).await;
    assert_eq!(&q["state"], csrf.secret());

    let tok = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange through the oauth2 crate");
    let at = tok.access_token().secret().clone();
    assert_eq!(
        tok.scopes().map(|v| v.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        Some(vec!["openid".into(), "profile".into()])
    );
    assert_eq!(user_info(&app, &s.partner, &at, Some("lib-device")).await.0, 200);

    let intro = client.introspect(tok.access_token()).request_async(&http).await.expect("introspect");
    assert!(intro.active());
    assert_eq!(intro.client_id().map(|c| c.as_str().to_owned()), Some(s.partner.app_id.clone()));

    let rt = tok.refresh_token().expect("refresh token").clone();
    let tok2 = client.exchange_refresh_token(&rt).request_async(&http).await.expect("refresh");
    assert_ne!(tok2.access_token().secret(), &at);
    assert_error(&user_info(&app, &s.partner, &at, Some("lib-device")).await, 401, "U0202");

    // The crate refuses a revocation URL that is not https (InsecureUrl), and tests
    // run on plain loopback HTTP: check that refusal, then revoke by a raw RFC 7009 post.
    let refused = client.revoke_token(StandardRevocableToken::AccessToken(tok2.access_token().clone()));
    assert!(refused.is_err());
    let at2 = tok2.access_token().secret();
    let (st, _, _) = form(
        &app,
        "/oauth/revoke",
        Some((&s.partner.access_key, &s.partner.secret_key)),
        &format!("token={at2}&token_type_hint=access_token"),
    )
    .await;
    assert_eq!(st, 200);
    assert_error(&user_info(&app, &s.partner, at2, Some("lib-device")).await, 401, "U0202");
    let intro = client.introspect(tok2.access_token()).request_async(&http).await.expect("introspect");
    assert!(!intro.active());

    // A wrong verifier is refused by the server through the library too.
    let (challenge, _right) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _) = client.authorize_url(CsrfToken::new_random).set_pkce_challenge(challenge).url();
    let q = consent(&app, &h5, auth_url.as_str(), &[]).await;
    let (_, wrong) = PkceCodeChallenge::new_random_sha256();
    let err = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(wrong)
        .request_async(&http)
        .await
        .expect_err("wrong verifier");
    assert!(format!("{err:?}").contains("invalid_grant"), "{err:?}");
}

async fn form(
    app: &TestApp,
    path: &str,
    basic: Option<(&str, &str)>,
    body: &str,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut rb =
        app.http.post(app.url(path)).header("content-type", "application/x-www-form-urlencoded").body(body.to_owned());
    if let Some((u, p)) = basic {
        rb = rb.basic_auth(u, Some(p));
    }
    let resp = rb.send().await.expect("post");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("text");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)), headers)
}

#[tokio::test]
async fn token_endpoint_client_auth_and_errors_follow_rfc_6749() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let (ak, sk) = (s.partner.access_key.as_str(), s.partner.secret_key.as_str());
    let authorize = app.url(&format!(
        "/oauth/authorize?{}",
        opengate_e2e::login::authorize_query(&s.partner.app_id, "profile", "z", &[("device_id", "dd")])
    ));
    let q = consent(&app, &h5, &authorize, &["profile"]).await;
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let code_body =
        format!("grant_type=authorization_code&code={}&redirect_uri={}", enc(&q["code"]), enc(REDIRECT_URI));

    // No client authentication: 401 with a Basic challenge.
    let (st, v, h) = form(&app, "/oauth/token", None, &code_body).await;
    assert_eq!((st, v["error"].as_str()), (401, Some("invalid_client")));
    assert!(h["www-authenticate"].to_str().expect("hdr").starts_with("Basic"));
    // Wrong secret.
    let (st, v, _) = form(&app, "/oauth/token", Some((ak, "not-the-secret")), &code_body).await;
    assert_eq!((st, v["error"].as_str()), (401, Some("invalid_client")));
    // Both methods at once.
    let both = format!("{code_body}&client_id={ak}&client_secret={}", enc(sk));
    let (st, v, _) = form(&app, "/oauth/token", Some((ak, sk)), &both).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_request")));
    // A repeated parameter.
    let (st, v, _) = form(&app, "/oauth/token", Some((ak, sk)), &format!("{code_body}&code=x")).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_request")));
    // Wrong content type.
    let r =
        app.http.post(app.url("/oauth/token")).basic_auth(ak, Some(sk)).json(&json!({})).send().await.expect("post");
    assert_eq!(r.status(), 400);
    // Unsupported grant.
    let (st, v, _) = form(&app, "/oauth/token", Some((ak, sk)), "grant_type=password&username=a&password=b").await;
    assert_eq!((st, v["error"].as_str()), (400, Some("unsupported_grant_type")));
    // IP bindings apply here too.
    opengate::admin::bind_ip(&app.state, ak, "203.0.113.7").await.expect("bind");
    let (st, v, _) = form(&app, "/oauth/token", Some((ak, sk)), &code_body).await;
    assert_eq!((st, v["error"].as_str()), (401, Some("invalid_client")), "{v}");
    opengate::admin::unbind_ip(&app.state, ak, "203.0.113.7").await.expect("unbind");

    // client_secret_post works; the answer carries the extension members and no-store.
    let post = format!("{code_body}&client_id={ak}&client_secret={}", enc(sk));
    let (st, v, h) = form(&app, "/oauth/token", None, &post).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(h["cache-control"], "no-store");
    for k in ["access_token", "refresh_token", "open_id", "union_id"] {
        assert!(v[k].is_string(), "{k} in {v}");
    }
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["refresh_expires_in"], 30 * 86400);
    // Second use of the code.
    let (st, v, _) = form(&app, "/oauth/token", Some((ak, sk)), &code_body).await;
    assert_eq!((st, v["error"].as_str()), (400, Some("invalid_grant")));

    // Introspection and revocation need client auth; unknown tokens: inactive / 200.
    let (st, v, _) = form(&app, "/oauth/introspect", Some((ak, sk)), "token=unknown").await;
    assert_eq!((st, &v), (200, &json!({"active": false})));
    let (st, _, _) = form(&app, "/oauth/revoke", Some((ak, sk)), "token=unknown").await;
    assert_eq!(st, 200);
    let (st, _, _) = form(&app, "/oauth/introspect", None, "token=unknown").await;
    assert_eq!(st, 401);
}

#[tokio::test]
async fn metadata_follows_rfc_8414() {
    let app = spawn_app().await;
    let v: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let base = app.state.config.public_base_url.trim_end_matches('/').to_owned();
    assert_eq!(v["issuer"], base.as_str());
    assert_eq!(v["token_endpoint"], format!("{base}/oauth/token"));
    assert_eq!(v["authorization_endpoint"], format!("{base}/oauth/authorize"));
    assert_eq!(v["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(v["response_types_supported"], json!(["code"]));
    assert!(v["token_endpoint_auth_methods_supported"]
        .as_array()
        .expect("arr")
        .contains(&json!("client_secret_basic")));
}
