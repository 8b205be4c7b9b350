//! OpenID Connect (SPEC §13, issue 15): an off-the-shelf relying party (the
//! `openidconnect` crate) discovers the platform from its issuer, fetches the JWKS over
//! HTTP and verifies the id_tokens of the §5 flow (nonce, at_hash, signature, issuer,
//! audience, expiry); claims per scope; RS256 and EdDSA; key rotation with a moved
//! clock; two nodes on one database. The login is driven through the H5 API the way
//! the H5 pages do it (login, consent), as in the other non-browser login tests.

use base64::Engine;
use opengate_e2e::demo_partner::spawn_public_app;
use opengate_e2e::login::{self, code_for, exchange, query_of, request_id, LoginSetup, H5, REDIRECT_URI};
use opengate_e2e::{spawn_on_database_with, TestApp};
use openidconnect::core::{
    CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    JsonWebKeySetUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde_json::{json, Value};

/// Another node of the same platform: same database, same public address (issuer).
async fn node_of(a: &TestApp) -> TestApp {
    let (url, dir) = a.keep_database();
    let base = a.state.config.public_base_url.clone();
    spawn_on_database_with(&url, dir, |c| c.public_base_url = base).await
}

/// The JWKS as a relying party fetches it.
async fn jwks(app: &TestApp) -> CoreJsonWebKeySet {
    let url = JsonWebKeySetUrl::new(app.url("/oauth/jwks")).expect("jwks url");
    CoreJsonWebKeySet::fetch_async(&url, &app.http).await.expect("JWKS fetched")
}

/// The kids the JWKS publishes, sorted.
async fn kids(app: &TestApp) -> Vec<String> {
    let v: Value = app.http.get(app.url("/oauth/jwks")).send().await.expect("jwks").json().await.expect("json");
    let mut k: Vec<String> =
        v["keys"].as_array().expect("keys").iter().map(|k| k["kid"].as_str().expect("kid").to_owned()).collect();
    k.sort();
    k
}

/// A verifier for the app's id_tokens (audience = app_id) whose clock is the platform's.
fn verifier<'a>(app: &TestApp, app_id: &str, keys: CoreJsonWebKeySet) -> CoreIdTokenVerifier<'a> {
    let clock = app.clock.clone();
    CoreIdTokenVerifier::new_public_client(
        ClientId::new(app_id.to_owned()),
        IssuerUrl::new(app.state.config.public_base_url.clone()).expect("issuer"),
        keys,
    )
    .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, CoreJwsSigningAlgorithm::EdDsa])
    .set_time_fn(move || chrono::DateTime::from_timestamp(clock.now_secs(), 0).expect("time"))
}

/// Verifies `id_token` (signature, iss, aud, exp, nonce) and its at_hash against
/// `access_token`; returns the JOSE header and the claims as JSON.
fn verify(v: &CoreIdTokenVerifier<'_>, id_token: &str, access_token: &str, nonce: Option<&str>) -> (Value, Value) {
    let tok: CoreIdToken = id_token.parse().expect("an id_token is a JWS");
    let claims = match nonce {
        Some(n) => tok.claims(v, &Nonce::new(n.to_owned())).expect("id_token verifies").clone(),
        None => tok
            .claims(v, |n: Option<&Nonce>| n.map_or(Ok(()), |_| Err("unexpected nonce".into())))
            .expect("id_token verifies")
            .clone(),
    };
    let expected = claims.access_token_hash().expect("at_hash present");
    let alg = tok.signing_alg().expect("alg");
    let key = tok.signing_key(v).expect("signing key in the JWKS");
    let actual = AccessTokenHash::from_token(&AccessToken::new(access_token.to_owned()), alg, key).expect("hash");
    assert_eq!(&actual, expected, "at_hash matches the access token");
    (part(id_token, 0), part(id_token, 1))
}

/// Part `i` (header 0, payload 1) of a compact JWS, decoded; only after verification.
fn part(jws: &str, i: usize) -> Value {
    let seg = jws.split('.').nth(i).expect("JWS part");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(seg).expect("base64url");
    serde_json::from_slice(&raw).expect("JSON")
}

/// Native endpoint tokens for a login with `extra` authorize parameters.
async fn native_tokens(app: &TestApp, s: &LoginSetup, scope: &str, granted: &[&str], extra: &[(&str, &str)]) -> Value {
    let h5 = H5::logged_in(app, &s.mobile).await;
    let q = code_for(app, s, &h5, scope, granted, extra).await;
    let got = exchange(app, &s.partner, &q["code"], None).await;
    assert_eq!(got.0, 200, "{:?}", got.1);
    got.1["data"].clone()
}

#[tokio::test]
async fn an_off_the_shelf_relying_party_discovers_and_verifies_id_tokens() {
    let app = spawn_public_app().await;
    let s = login::setup(&app).await;
    let issuer = IssuerUrl::new(app.state.config.public_base_url.clone()).expect("issuer");

    // Discovery beside RFC 8414, one issuer; the JWKS comes over HTTP with it.
    let meta = CoreProviderMetadata::discover_async(issuer.clone(), &app.http).await.expect("discovery");
    let rfc8414: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .expect("metadata")
        .json()
        .await
        .expect("json");
    assert_eq!(rfc8414["issuer"].as_str(), Some(meta.issuer().as_str()));
    assert_eq!(meta.jwks_uri().as_str(), app.url("/oauth/jwks"));
    assert_eq!(meta.jwks().keys().len(), 2, "one RS256 and one EdDSA key on a fresh platform");

    let client = CoreClient::from_provider_metadata(
        meta.clone(),
        ClientId::new(s.partner.access_key.clone()),
        Some(ClientSecret::new(s.partner.secret_key.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).expect("redirect"));
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("mobile".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The user logs in and consents on the H5 (mobile unticked).
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let resp = app.http.get(auth_url.as_str()).send().await.expect("authorize");
    let loc = resp.headers()["location"].to_str().expect("location").to_owned();
    let id = request_id(&loc);
    let body = json!({"approve": true, "scopes": ["profile"], "device_id": "h5-browser-1"});
    let answer: Value = h5
        .post(&app, &format!("/api/h5/authorize/{id}"), &body)
        .send()
        .await
        .expect("consent")
        .json()
        .await
        .expect("json");
    let q = query_of(answer["redirect"].as_str().expect("redirect"));
    assert_eq!(q["state"], *csrf.secret());

    let tokens = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .expect("token endpoint")
        .set_pkce_verifier(pkce_verifier)
        .request_async(&app.http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("id_token with scope openid").to_string();
    let v = verifier(&app, &s.partner.app_id, meta.jwks().clone());
    let (header, claims) = verify(&v, &id_token, tokens.access_token().secret(), Some(nonce.secret()));
    assert_eq!(header["alg"], "RS256", "the default algorithm");
    assert!(header["kid"].as_str().is_some_and(|k| k.starts_with("rs256-")), "{header}");
    assert_eq!(claims["iss"], app.state.config.public_base_url);
    assert_eq!(claims["aud"], s.partner.app_id);
    assert!(claims["sub"].as_str().is_some_and(|x| x.starts_with("oid_")), "{claims}");
    assert!(claims["union_id"].as_str().is_some_and(|x| x.starts_with("uid_")), "{claims}");
    assert_eq!(claims["nickname"], "Tea Lover", "profile granted");
    assert!(claims.get("mobile").is_none(), "mobile was unticked: {claims}");
    assert!(claims.get("picture").is_none(), "no avatar set: {claims}");
    let (iat, exp, auth_time) = (claims["iat"].as_i64(), claims["exp"].as_i64(), claims["auth_time"].as_i64());
    assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(3600));
    assert!(auth_time.zip(iat).is_some_and(|(a, i)| a <= i && i - a < 60), "auth_time is the login: {claims}");

    // /oauth/userinfo with the Bearer token: the same subject, §5.10's fields.
    let info = client
        .user_info(tokens.access_token().clone(), None)
        .expect("userinfo endpoint")
        .request_async::<openidconnect::EmptyAdditionalClaims, _, openidconnect::core::CoreGenderClaim>(&app.http)
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), claims["sub"].as_str().expect("sub"));
    let raw: Value = app
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(tokens.access_token().secret())
        .send()
        .await
        .expect("userinfo")
        .json()
        .await
        .expect("json");
    assert_eq!((raw["sub"].clone(), raw["open_id"].clone()), (claims["sub"].clone(), claims["sub"].clone()));
    assert_eq!((raw["union_id"].clone(), raw["nickname"].clone()), (claims["union_id"].clone(), json!("Tea Lover")));
    let bad = app.http.post(app.url("/oauth/userinfo")).bearer_auth("at_nonsense").send().await.expect("userinfo");
    assert_eq!(bad.status(), 401);
    let challenge = bad.headers()["www-authenticate"].to_str().expect("header");
    assert!(challenge.starts_with("Bearer ") && challenge.contains("invalid_token"), "{challenge}");

    // Refresh: a new id_token for the same login (same nonce and auth_time), new at_hash.
    let rt = tokens.refresh_token().expect("refresh token").secret().clone();
    let again = client
        .exchange_refresh_token(&RefreshToken::new(rt))
        .expect("token endpoint")
        .request_async(&app.http)
        .await
        .expect("refresh");
    let id2 = again.id_token().expect("id_token on refresh").to_string();
    let (_, c2) = verify(&v, &id2, again.access_token().secret(), Some(nonce.secret()));
    assert_eq!((c2["sub"].clone(), c2["auth_time"].clone()), (claims["sub"].clone(), claims["auth_time"].clone()));
    assert_ne!(c2["at_hash"], claims["at_hash"]);
}

#[tokio::test]
async fn native_endpoint_id_tokens_carry_scope_claims_and_follow_the_apps_algorithm() {
    let app = spawn_public_app().await;
    let s = login::setup(&app).await;
    opengate::login::oidc::set_app_alg(&app.state, &s.partner.app_id, "EdDSA").await.expect("EdDSA chosen");
    assert!(opengate::login::oidc::set_app_alg(&app.state, &s.partner.app_id, "HS256").await.is_err());

    let extra = [("device_id", "partner-dev-1"), ("nonce", "n-0123456789")];
    let d = native_tokens(&app, &s, "openid profile mobile", &["profile", "mobile"], &extra).await;
    let v = verifier(&app, &s.partner.app_id, jwks(&app).await);
    let id_token = d["id_token"].as_str().expect("id_token in the native answer");
    let (header, claims) = verify(&v, id_token, d["access_token"].as_str().expect("at"), Some("n-0123456789"));
    assert_eq!(header["alg"], "EdDSA");
    assert!(header["kid"].as_str().is_some_and(|k| k.starts_with("eddsa-")), "{header}");
    assert_eq!((claims["sub"].clone(), claims["union_id"].clone()), (d["open_id"].clone(), d["union_id"].clone()));
    assert_eq!(claims["mobile"], opengate_shared::ids::mask_mobile(&s.mobile), "masked as in §5.10");
    assert_eq!(claims["nickname"], "Tea Lover");

    // Without profile/mobile: none of their claims; without a nonce: no nonce claim.
    let d2 = native_tokens(&app, &s, "openid", &[], &[("device_id", "partner-dev-2")]).await;
    let (_, c2) =
        verify(&v, d2["id_token"].as_str().expect("id_token"), d2["access_token"].as_str().expect("at"), None);
    for absent in ["nickname", "mobile", "picture", "nonce"] {
        assert!(c2.get(absent).is_none(), "{absent} present: {c2}");
    }

    // A plain OAuth 2.0 request (scope without `openid`): no id_token, no signature.
    let plain = native_tokens(&app, &s, "profile", &["profile"], &[("device_id", "partner-dev-3")]).await;
    assert_eq!(plain["scope"], "openid profile", "openid is still granted (SPEC §5)");
    assert!(plain.get("id_token").is_none(), "{plain}");
    let r = login::refresh(&app, &s.partner, plain["refresh_token"].as_str().expect("rt")).await;
    assert!(r.1["data"].get("id_token").is_none(), "{:?}", r.1);

    // A token bound to the partner's device: /oauth/userinfo refuses it (use the signed endpoint).
    let r = app
        .http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(d["access_token"].as_str().expect("at"))
        .send()
        .await
        .expect("userinfo");
    assert_eq!(r.status(), 401);
    let (st, info, _) =
        login::user_info(&app, &s.partner, d["access_token"].as_str().expect("at"), Some("partner-dev-1")).await;
    assert_eq!((st, info["data"]["open_id"].clone()), (200, claims["sub"].clone()));

    // Refresh at the native endpoint: EdDSA again, the login's nonce kept.
    let r = login::refresh(&app, &s.partner, d["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(r.0, 200, "{:?}", r.1);
    let (h3, c3) = verify(
        &v,
        r.1["data"]["id_token"].as_str().expect("id_token"),
        r.1["data"]["access_token"].as_str().expect("at"),
        Some("n-0123456789"),
    );
    assert_eq!((h3["alg"].clone(), c3["sub"].clone()), (json!("EdDSA"), claims["sub"].clone()));
}

#[tokio::test]
async fn rotated_keys_are_published_before_they_sign_and_kept_until_old_id_tokens_expire() {
    let app = spawn_public_app().await;
    let s = login::setup(&app).await;
    let first = kids(&app).await;
    assert_eq!(first.len(), 2);
    let d0 = native_tokens(&app, &s, "openid profile", &["profile"], &[("device_id", "dev-r")]).await;
    let kid0 = part(d0["id_token"].as_str().expect("id_token"), 0)["kid"].as_str().expect("kid").to_owned();

    // The operator command, from its own process state on the same database.
    let cmd = opengate::cli::Command::OidcKey(opengate::login::oidc_cli::OidcKeyCmd::Rotate { publish_secs: None });
    let out = opengate::cli::execute_with(cmd, opengate_e2e::test_config(&app.database_url), app.clock.clone())
        .await
        .expect("oidc-key rotate");
    let added: Value = serde_json::from_str(&out).expect("JSON report");
    let new_rs = added.as_array().expect("array").iter().find(|k| k["alg"] == "RS256").expect("RS256 added");
    let new_kid = new_rs["kid"].as_str().expect("kid").to_owned();

    // Published at once (within one key refresh on this node), not signing yet.
    app.clock.advance_secs(6);
    let after = kids(&app).await;
    assert_eq!(after.len(), 4, "old and new keys are published: {after:?}");
    assert!(after.contains(&new_kid) && after.contains(&kid0));
    let d1 = native_tokens(&app, &s, "openid profile", &["profile"], &[("device_id", "dev-r")]).await;
    assert_eq!(part(d1["id_token"].as_str().expect("id_token"), 0)["kid"], kid0.as_str(), "the old key still signs");

    // The old key's last id_token, shortly before the publish delay (600 s) ends…
    app.clock.advance_secs(585);
    let last = native_tokens(&app, &s, "openid profile", &["profile"], &[("device_id", "dev-r")]).await;
    assert_eq!(part(last["id_token"].as_str().expect("id_token"), 0)["kid"], kid0.as_str());
    // …then the new key signs, and id_tokens of both verify.
    app.clock.advance_secs(15);
    let d2 = native_tokens(&app, &s, "openid profile", &["profile"], &[("device_id", "dev-r")]).await;
    assert_eq!(part(d2["id_token"].as_str().expect("id_token"), 0)["kid"], new_kid.as_str());
    let v = verifier(&app, &s.partner.app_id, jwks(&app).await);
    for d in [&d1, &last, &d2] {
        verify(&v, d["id_token"].as_str().expect("id_token"), d["access_token"].as_str().expect("at"), None);
    }

    // Just before the old key's last id_token expires (3600 s) the key is still published…
    app.clock.advance_secs(3600 - 15 - 10);
    assert!(kids(&app).await.contains(&kid0));
    let v = verifier(&app, &s.partner.app_id, jwks(&app).await);
    verify(&v, last["id_token"].as_str().expect("id_token"), last["access_token"].as_str().expect("at"), None);
    // …and once every id_token it signed has expired it is dropped.
    app.clock.advance_secs(30);
    let later = kids(&app).await;
    assert!(!later.contains(&kid0) && later.contains(&new_kid), "{later:?}");
    let gone = opengate::login::oidc_keys::prune(&app.state).await.expect("prune");
    assert!(gone.contains(&kid0), "{gone:?}");
}

#[tokio::test]
async fn two_nodes_on_one_database_publish_and_sign_with_one_key_set() {
    let a = spawn_public_app().await;
    let b = node_of(&a).await;
    let s = login::setup(&a).await;
    assert_eq!(kids(&a).await, kids(&b).await, "keys made on first start are shared");

    // A second start on the same database makes no new keys.
    let c = node_of(&a).await;
    assert_eq!(kids(&c).await, kids(&a).await);
    c.stop().await;

    let added = opengate::login::oidc_keys::rotate(&a.state, 600).await.expect("rotate on node A");
    assert_eq!(added.len(), 2);
    assert_eq!(kids(&a).await.len(), 4, "node A publishes at once");
    b.clock.advance_secs(6);
    assert_eq!(kids(&b).await, kids(&a).await, "node B within one key refresh");

    // Both nodes switch to the new key at the same time, and each verifies the other's tokens.
    a.clock.advance_secs(606);
    b.clock.advance_secs(600);
    let da = native_tokens(&a, &s, "openid profile", &["profile"], &[("device_id", "dev-a")]).await;
    let db = native_tokens(&b, &s, "openid profile", &["profile"], &[("device_id", "dev-b")]).await;
    let kid_a = part(da["id_token"].as_str().expect("id_token"), 0)["kid"].clone();
    let kid_b = part(db["id_token"].as_str().expect("id_token"), 0)["kid"].clone();
    assert_eq!(kid_a, kid_b);
    let new_rs = added.iter().find(|k| k.alg == "RS256").expect("RS256");
    assert_eq!(kid_a, new_rs.kid.as_str());
    let va = verifier(&a, &s.partner.app_id, jwks(&a).await);
    verify(&va, db["id_token"].as_str().expect("id_token"), db["access_token"].as_str().expect("at"), None);
}

/// `GET /oauth/authorize?{query}` as the browser of `h5` (its session cookie) → Location.
async fn authorize_as(app: &TestApp, h5: Option<&H5>, query: &str) -> String {
    let mut rb = app.http.get(app.url(&format!("/oauth/authorize?{query}")));
    if let Some(h) = h5 {
        rb = rb.header("cookie", format!("og_session={}", h.cookie));
    }
    let resp = rb.send().await.expect("authorize");
    assert!(resp.status().is_redirection(), "authorize answered {}", resp.status());
    resp.headers()["location"].to_str().expect("location").to_owned()
}

#[tokio::test]
async fn prompt_none_answers_from_the_session_without_a_page() {
    let app = spawn_public_app().await;
    let s = login::setup(&app).await;
    let silent = |extra: &[(&str, &str)]| {
        let mut all = vec![("prompt", "none"), ("device_id", "dev-silent"), ("nonce", "n-silent")];
        all.extend_from_slice(extra);
        login::authorize_query(&s.partner.app_id, "openid profile", "st-none", &all)
    };

    // Nobody logged in: back to the partner with login_required (no page).
    let q = query_of(&authorize_as(&app, None, &silent(&[])).await);
    assert_eq!((q["error"].as_str(), q["state"].as_str()), ("login_required", "st-none"));

    // Logged in, nothing granted yet: consent_required.
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let q = query_of(&authorize_as(&app, Some(&h5), &silent(&[])).await);
    assert_eq!(q["error"], "consent_required");

    // After a consent: the code at once, and its id_token carries the nonce.
    code_for(&app, &s, &h5, "profile", &["profile"], &[("device_id", "dev-silent")]).await;
    let q = query_of(&authorize_as(&app, Some(&h5), &silent(&[])).await);
    assert!(!q.contains_key("error"), "{q:?}");
    assert_eq!((q["state"].as_str(), q["device_id"].as_str()), ("st-none", "dev-silent"));
    let got = exchange(&app, &s.partner, &q["code"], None).await;
    assert_eq!(got.0, 200, "{:?}", got.1);
    let v = verifier(&app, &s.partner.app_id, jwks(&app).await);
    let d = &got.1["data"];
    verify(&v, d["id_token"].as_str().expect("id_token"), d["access_token"].as_str().expect("at"), Some("n-silent"));

    // max_age older than the login: login_required; without the partner's device id:
    // interaction_required; a bad prompt: invalid_request.
    app.clock.advance_secs(120);
    let q = query_of(&authorize_as(&app, Some(&h5), &silent(&[("max_age", "60")])).await);
    assert_eq!(q["error"], "login_required");
    let no_device = login::authorize_query(&s.partner.app_id, "profile", "st-x", &[("prompt", "none")]);
    assert_eq!(query_of(&authorize_as(&app, Some(&h5), &no_device).await)["error"], "interaction_required");
    let bad = login::authorize_query(&s.partner.app_id, "profile", "st-x", &[("prompt", "none login")]);
    assert_eq!(query_of(&authorize_as(&app, Some(&h5), &bad).await)["error"], "invalid_request");
}

#[tokio::test]
async fn prompt_login_and_max_age_make_an_old_session_log_in_again_and_prompt_consent_asks_again() {
    let app = spawn_public_app().await;
    let s = login::setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    code_for(&app, &s, &h5, "openid profile", &["profile"], &[("device_id", "dev-p")]).await;
    app.clock.advance_secs(30);

    // prompt=login: the session (made before the request) must log in again.
    let q = login::authorize_query(
        &s.partner.app_id,
        "openid profile",
        "st-l",
        &[("prompt", "login"), ("device_id", "dev-p")],
    );
    let id = request_id(&authorize_as(&app, Some(&h5), &q).await);
    let view = h5.get(&app, &format!("/api/h5/authorize/{id}")).send().await.expect("view");
    assert_eq!(view.status(), 401);
    let body: Value = view.json().await.expect("json");
    assert_eq!(body["error"], "login_required");
    let whoami: Value = h5.get(&app, "/api/h5/session").send().await.expect("session").json().await.expect("json");
    assert!(whoami["user"].is_null(), "the old session ended: {whoami}");
    // The browser gets a new (anonymous) session and logs in on the login page.
    let mut h5 = H5::new(&app).await;
    let (st, _) = h5.login(&app, &s.mobile, login::PASSWORD).await;
    assert_eq!(st, 200);
    let view: Value =
        h5.get(&app, &format!("/api/h5/authorize/{id}")).send().await.expect("view").json().await.expect("json");
    let q = query_of(view["redirect"].as_str().expect("already granted: straight on after the new login"));
    let got = exchange(&app, &s.partner, &q["code"], None).await;
    let claims = part(got.1["data"]["id_token"].as_str().expect("id_token"), 1);
    assert!(claims["auth_time"].as_i64() >= Some(app.clock.now_secs() - 5), "auth_time is the new login: {claims}");

    // max_age: a login 200 s old is too old for max_age=100, fine for max_age=300.
    app.clock.advance_secs(200);
    let fine =
        login::authorize_query(&s.partner.app_id, "profile", "st-m", &[("max_age", "300"), ("device_id", "dev-p")]);
    let id = request_id(&authorize_as(&app, Some(&h5), &fine).await);
    let view = h5.get(&app, &format!("/api/h5/authorize/{id}")).send().await.expect("view");
    assert_eq!(view.status(), 200);
    let old =
        login::authorize_query(&s.partner.app_id, "profile", "st-m", &[("max_age", "100"), ("device_id", "dev-p")]);
    let id = request_id(&authorize_as(&app, Some(&h5), &old).await);
    let view = h5.get(&app, &format!("/api/h5/authorize/{id}")).send().await.expect("view");
    assert_eq!(view.status(), 401);

    // prompt=consent: the consent page even though everything was granted.
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let q =
        login::authorize_query(&s.partner.app_id, "profile", "st-c", &[("prompt", "consent"), ("device_id", "dev-p")]);
    let id = request_id(&authorize_as(&app, Some(&h5), &q).await);
    let view: Value =
        h5.get(&app, &format!("/api/h5/authorize/{id}")).send().await.expect("view").json().await.expect("json");
    assert!(view["redirect"].is_null() && view["app_id"] == s.partner.app_id.as_str(), "{view}");
}

#[tokio::test]
async fn nodes_starting_together_on_an_empty_database_make_one_key_per_algorithm() {
    let (url, _dir) = opengate_e2e::fresh_database().await;
    // The database exists and is migrated; the keys are made by the nodes' first start.
    let first = opengate::storage::connect(&url, 2).await.expect("migrate");
    first.pool.close().await;
    let start = || opengate::startup::open_state(opengate_e2e::test_config(&url), opengate::clock::Clock::system());
    let (a, b, c) = tokio::join!(start(), start(), start());
    let (a, b, c) = (a.expect("node a"), b.expect("node b"), c.expect("node c"));
    let rows = opengate::storage::oidc::list_keys(&a.db.pool).await.expect("keys");
    let mut algs: Vec<(&str, i64)> = rows.iter().map(|r| (r.alg.as_str(), r.generation)).collect();
    algs.sort();
    assert_eq!(algs, vec![("EdDSA", 1), ("RS256", 1)], "one key per algorithm and generation");
    for n in [&a, &b, &c] {
        let ks = n.oidc_keys.current(n).await.expect("key set");
        assert_eq!(ks.keys.len(), 2);
    }
}
