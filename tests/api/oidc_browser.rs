//! OpenID Connect in real headless Chromium: an `openidconnect` relying party makes
//! the authorize URL (nonce, PKCE), the user logs in and consents on the H5 pages, the
//! partner's callback server gets the code, and the relying party verifies the
//! id_token (discovery, JWKS over HTTP, nonce, at_hash). Then `prompt=login` on the
//! same browser: the H5 asks for the password again and the new id_token's
//! `auth_time` is the new login.

use std::time::Duration;

use opengate_e2e::browser;
use opengate_e2e::demo_partner::spawn_public_app;
use opengate_e2e::login::{partner_callback, query_of, user, PASSWORD};
use openidconnect::core::{CoreClient, CoreIdTokenVerifier, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AccessTokenHash, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

async fn log_in(b: &browser::Browser, mobile: &str) {
    let wait = Duration::from_secs(20);
    b.element("#account", wait).await.send_keys(mobile).await.expect("type account");
    b.element("#password", wait).await.send_keys(PASSWORD).await.expect("type password");
    b.element("#login-submit", wait).await.click().await.expect("submit");
}

#[tokio::test]
async fn a_relying_party_logs_a_user_in_through_the_h5_in_chromium() {
    let app = spawn_public_app().await;
    let partner = opengate_e2e::create_partner(&app).await;
    let (callback, mut received) = partner_callback().await;
    opengate::admin::add_redirect_uri(&app.state, &partner.app_id, &callback).await.expect("redirect uri");
    let (_, mobile) = user(&app).await;
    let Some(b) = browser::start(390, 844).await else { return };

    let issuer = IssuerUrl::new(app.state.config.public_base_url.clone()).expect("issuer");
    let meta = CoreProviderMetadata::discover_async(issuer.clone(), &app.http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(
        meta.clone(),
        ClientId::new(partner.access_key.clone()),
        Some(ClientSecret::new(partner.secret_key.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(callback.clone()).expect("redirect"));
    // id_tokens name the app id as audience; the clock is the platform's.
    let clock = app.clock.clone();
    let verifier =
        CoreIdTokenVerifier::new_public_client(ClientId::new(partner.app_id.clone()), issuer, meta.jwks().clone())
            .set_time_fn(move || chrono::DateTime::from_timestamp(clock.now_secs(), 0).expect("time"));

    let mut auth_times = Vec::new();
    for (round, prompt) in [(1, None), (2, Some("login"))] {
        let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if let Some(p) = prompt {
            req = req.add_extra_param("prompt", p);
        }
        let (url, csrf, nonce) = req.url();
        b.client.goto(url.as_str()).await.expect("open authorize link");

        // Round 1: not logged in. Round 2 (prompt=login): logged in, asked again anyway.
        log_in(&b, &mobile).await;
        if round == 1 {
            b.wait_text("#app-name", |t| t.contains("Test App"), Duration::from_secs(20)).await;
            b.screenshot("oidc-1-consent").await;
            b.element("#approve", Duration::from_secs(20)).await.click().await.expect("agree");
        }
        let query = tokio::time::timeout(Duration::from_secs(20), received.recv())
            .await
            .expect("partner callback reached")
            .expect("query");
        let params = query_of(&format!("http://x/?{query}"));
        assert_eq!(params["state"], *csrf.secret(), "round {round}");

        let tokens = client
            .exchange_code(AuthorizationCode::new(params["code"].clone()))
            .expect("token endpoint")
            .set_pkce_verifier(pkce_verifier)
            .request_async(&app.http)
            .await
            .expect("code exchange");
        let id_token = tokens.id_token().expect("id_token");
        let claims = id_token.claims(&verifier, &nonce).expect("id_token verifies");
        let hash = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().expect("alg"),
            id_token.signing_key(&verifier).expect("key"),
        )
        .expect("hash");
        assert_eq!(Some(&hash), claims.access_token_hash(), "round {round}");
        auth_times.push(claims.auth_time().expect("auth_time"));
        // Move on so the second login is visibly later.
        app.clock.advance_secs(60);
    }
    assert!(auth_times[1] > auth_times[0], "prompt=login logged in again: {auth_times:?}");
    b.close().await;
}
