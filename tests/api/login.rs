//! Login (SPEC §5, §12): authorize checks, consent, codes, tokens, refresh rotation,
//! revocation, device binding and user/info, over real HTTP.

use opengate_e2e::login::{
    authorize, authorize_query, code_for, exchange, query_of, refresh, request_id, setup, signed_post, tokens,
    user_info, user_info_path, H5, REDIRECT_URI,
};
use opengate_e2e::{assert_error, spawn_app, spawn_app_with, spawn_second_node};
use serde_json::json;

#[tokio::test]
async fn full_flow_grants_exactly_the_ticked_scopes() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    // mobile is unticked on the consent page.
    let q = code_for(&app, &s, &h5, "profile mobile", &["profile"], &[("device_id", "dev-42")]).await;
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["device_id"], "dev-42");
    assert!(q["code"].starts_with("ac_"));

    let got = exchange(&app, &s.partner, &q["code"], None).await;
    assert_eq!(got.0, 200, "{:?}", got.1);
    let d = &got.1["data"];
    assert_eq!(d["token_type"], "Bearer");
    assert_eq!(d["scope"], "openid profile");
    assert_eq!(d["expires_in"], 7200);
    assert_eq!(d["refresh_expires_in"], 30 * 86400);
    let at = d["access_token"].as_str().expect("at");
    assert!(at.starts_with("at_") && d["refresh_token"].as_str().expect("rt").starts_with("rt_"));
    let open_id = d["open_id"].as_str().expect("open_id");
    let union_id = d["union_id"].as_str().expect("union_id");
    assert_ne!(open_id, union_id);
    assert!(!open_id.contains(&s.user_id[4..]) && !union_id.contains(&s.user_id[4..]));

    let info = user_info(&app, &s.partner, at, Some("dev-42")).await;
    assert_eq!(info.0, 200, "{:?}", info.1);
    let data = info.1["data"].as_object().expect("object");
    assert_eq!(info.1["data"]["open_id"], open_id);
    assert_eq!(info.1["data"]["union_id"], union_id);
    assert_eq!(info.1["data"]["nickname"], "Tea Lover");
    assert_eq!(info.1["data"]["avatar_url"], serde_json::Value::Null);
    assert!(!data.contains_key("mobile"), "mobile was unticked: {data:?}");
    assert!(!data.contains_key("balances"));

    // Tokens are stored only as hashes.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM access_tokens WHERE token_hash = $1")
        .bind(at)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("count");
    assert_eq!(n, 0, "raw token must not be stored");
}

#[tokio::test]
async fn mobile_is_masked_and_wallet_needs_pay() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    // wallet is not entitled without the pay permission.
    let loc = authorize(&app, &authorize_query(&s.partner.app_id, "wallet", "x", &[])).await;
    let q = query_of(&loc);
    assert_eq!(q["error"], "invalid_scope");
    assert_eq!(q["state"], "x");

    opengate::admin::set_permission(&app.state, &s.partner.app_id, "pay", opengate::domain::PermissionStatus::Approved)
        .await
        .expect("pay");
    opengate::admin::set_currency(&app.state, "PTS", 2).await.expect("currency");
    opengate::admin::credit(&app.state, &s.mobile, "PTS", "12.50", "test").await.expect("credit");
    let d = tokens(&app, &s, "mobile wallet", &["mobile", "wallet"], "d1").await;
    let info = user_info(&app, &s.partner, d["access_token"].as_str().expect("at"), Some("d1")).await;
    assert_eq!(info.0, 200, "{:?}", info.1);
    let m = info.1["data"]["mobile"].as_str().expect("mobile");
    assert_eq!(m, format!("{}****{}", &s.mobile[..3], &s.mobile[7..]));
    assert_eq!(info.1["data"]["balances"], json!([{"asset": "PTS", "amount": "12.50"}]));
    assert!(info.1["data"].get("nickname").is_none());
    // A caller that needs a scope the token lacks gets U0204.
    let at = d["access_token"].as_str().expect("at");
    let got = user_info_path(&app, &s.partner, "/open/v1/user/info?scope=profile", at, Some("d1")).await;
    assert_error(&got, 403, "U0204");
    let got = user_info_path(&app, &s.partner, "/open/v1/user/info?scope=wallet", at, Some("d1")).await;
    assert_eq!(got.0, 200);
}

#[tokio::test]
async fn authorize_errors_before_a_trusted_redirect_are_shown_not_redirected() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let unknown = authorize(&app, &authorize_query("nosuchapp1", "profile", "x", &[])).await;
    assert!(unknown.starts_with("/h5/error?error=invalid_client"), "{unknown}");
    let mut q = authorize_query(&s.partner.app_id, "profile", "x", &[]);
    q = q.replace("partner.example%2Fcallback", "evil.example%2Fcallback");
    let bad_redirect = authorize(&app, &q).await;
    assert!(bad_redirect.starts_with("/h5/error?error=invalid_redirect_uri"), "{bad_redirect}");
    let missing = authorize(&app, "response_type=code").await;
    assert!(missing.starts_with("/h5/error?error=invalid_request"), "{missing}");
    opengate::admin::set_app_active(&app.state, &s.partner.app_id, false).await.expect("suspend");
    let suspended = authorize(&app, &authorize_query(&s.partner.app_id, "", "x", &[])).await;
    assert!(suspended.starts_with("/h5/error?error=invalid_client"), "{suspended}");
    opengate::admin::set_app_active(&app.state, &s.partner.app_id, true).await.expect("activate");

    // Once the redirect URI is trusted, errors go back to it with the state.
    let cases = [
        (authorize_query(&s.partner.app_id, "profile email", "s1", &[]), "invalid_scope"),
        (
            authorize_query(&s.partner.app_id, "profile", "s1", &[])
                .replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            authorize_query(
                &s.partner.app_id,
                "",
                "s1",
                &[("code_challenge", "abc"), ("code_challenge_method", "S256")],
            ),
            "invalid_request",
        ),
        (
            authorize_query(
                &s.partner.app_id,
                "",
                "s1",
                &[("code_challenge", &"a".repeat(43)), ("code_challenge_method", "plain")],
            ),
            "invalid_request",
        ),
        (authorize_query(&s.partner.app_id, "", "s1", &[("device_id", "bad device")]), "invalid_request"),
    ];
    for (query, error) in cases {
        let loc = authorize(&app, &query).await;
        assert!(loc.starts_with(REDIRECT_URI), "{loc}");
        let q = query_of(&loc);
        assert_eq!(q["error"], error, "{loc}");
        assert_eq!(q["state"], "s1");
    }
    // client_id may be one of the app's access keys.
    let loc = authorize(&app, &authorize_query(&s.partner.access_key, "profile", "s", &[])).await;
    assert!(loc.starts_with("/h5/authorize?request=ar_"), "{loc}");
}

#[tokio::test]
async fn a_code_is_single_use_and_reuse_revokes_its_tokens() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let q = code_for(&app, &s, &h5, "profile", &["profile"], &[("device_id", "d")]).await;
    let first = exchange(&app, &s.partner, &q["code"], None).await;
    assert_eq!(first.0, 200);
    let at = first.1["data"]["access_token"].as_str().expect("at").to_owned();
    let rt = first.1["data"]["refresh_token"].as_str().expect("rt").to_owned();
    assert_eq!(user_info(&app, &s.partner, &at, Some("d")).await.0, 200);

    let second = exchange(&app, &s.partner, &q["code"], None).await;
    assert_error(&second, 400, "U0201");
    assert!(second.1["errorMsg"].as_str().expect("msg").contains("invalid_grant"));
    assert_error(&user_info(&app, &s.partner, &at, Some("d")).await, 401, "U0202");
    assert_error(&refresh(&app, &s.partner, &rt).await, 400, "U0201");
    // Unknown code.
    assert_error(&exchange(&app, &s.partner, "ac_nope", None).await, 400, "U0201");
}

#[tokio::test]
async fn concurrent_exchanges_of_one_code_leave_no_live_token() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let q = code_for(&app, &s, &h5, "", &[], &[("device_id", "d")]).await;
    let results = join_all((0..8).map(|_| exchange(&app, &s.partner, &q["code"], None))).await;
    let ok: Vec<_> = results.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(ok.len(), 1, "exactly one exchange wins: {:?}", results.iter().map(|r| r.0).collect::<Vec<_>>());
    for r in results.iter().filter(|r| r.0 != 200) {
        assert_error(r, 400, "U0201");
    }
    // The losers' second use revoked what the winner got.
    let at = ok[0].1["data"]["access_token"].as_str().expect("at");
    assert_error(&user_info(&app, &s.partner, at, Some("d")).await, 401, "U0202");
}

/// Polls every future on this task until all are done (requests run concurrently).
async fn join_all<F: std::future::Future>(futs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futs.map(Box::pin).collect();
    let mut outs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if outs[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => outs[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outs.into_iter().flatten().collect()
}

#[tokio::test]
async fn codes_expire_after_five_minutes() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let q = code_for(&app, &s, &h5, "", &[], &[("device_id", "d")]).await;
    app.clock.advance_secs(301);
    let got = exchange(&app, &s.partner, &q["code"], None).await;
    assert_error(&got, 400, "U0201");
    assert!(got.1["errorMsg"].as_str().expect("msg").contains("expired"));
}

#[tokio::test]
async fn redirect_mismatch_pkce_and_cross_app_codes_are_invalid_grant() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    // RFC 7636 appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let pkce = [("device_id", "d"), ("code_challenge", challenge), ("code_challenge_method", "S256")];
    let q = code_for(&app, &s, &h5, "", &[], &pkce).await;
    let code = &q["code"];
    let wrong_redirect = signed_post(
        &app,
        &s.partner,
        "/open/v1/oauth/token",
        &json!({"grant_type": "authorization_code", "code": code, "redirect_uri": "https://partner.example/other", "code_verifier": verifier}),
    )
    .await;
    assert_error(&wrong_redirect, 400, "U0201");
    assert_error(&exchange(&app, &s.partner, code, None).await, 400, "U0201");
    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
    assert_error(&exchange(&app, &s.partner, code, Some(wrong)).await, 400, "U0201");
    // Another app cannot redeem it (and does not burn it).
    let other = opengate_e2e::create_partner(&app).await;
    assert_error(&exchange(&app, &other, code, Some(verifier)).await, 400, "U0201");
    let good = exchange(&app, &s.partner, code, Some(verifier)).await;
    assert_eq!(good.0, 200, "{:?}", good.1);
    // A verifier for a code issued without PKCE is refused.
    let q2 = code_for(&app, &s, &h5, "", &[], &[("device_id", "d")]).await;
    assert_error(&exchange(&app, &s.partner, &q2["code"], Some(verifier)).await, 400, "U0201");
    // Malformed bodies are U0029 naming the field.
    let missing =
        signed_post(&app, &s.partner, "/open/v1/oauth/token", &json!({"grant_type": "authorization_code"})).await;
    assert_error(&missing, 400, "U0029");
    assert!(missing.1["errorMsg"].as_str().expect("msg").starts_with("code"));
    let bad_type = signed_post(&app, &s.partner, "/open/v1/oauth/token", &json!({"grant_type": "password"})).await;
    assert_error(&bad_type, 400, "U0029");
}

#[tokio::test]
async fn refresh_rotates_with_grace_then_detects_reuse() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let d = tokens(&app, &s, "profile", &["profile"], "d").await;
    let (at0, rt0) = (d["access_token"].as_str().expect("at"), d["refresh_token"].as_str().expect("rt"));
    let r1 = refresh(&app, &s.partner, rt0).await;
    assert_eq!(r1.0, 200, "{:?}", r1.1);
    let (at1, rt1) =
        (r1.1["data"]["access_token"].as_str().expect("at"), r1.1["data"]["refresh_token"].as_str().expect("rt"));
    assert_ne!(rt1, rt0);
    assert_eq!(r1.1["data"]["scope"], "openid profile");
    assert_eq!(r1.1["data"]["open_id"], d["open_id"]);
    // The old access token dies at once.
    assert_error(&user_info(&app, &s.partner, at0, Some("d")).await, 401, "U0202");
    // Within the grace period the old refresh token answers again; both pairs live.
    let r2 = refresh(&app, &s.partner, rt0).await;
    assert_eq!(r2.0, 200, "{:?}", r2.1);
    let at2 = r2.1["data"]["access_token"].as_str().expect("at");
    assert_eq!(user_info(&app, &s.partner, at1, Some("d")).await.0, 200);
    assert_eq!(user_info(&app, &s.partner, at2, Some("d")).await.0, 200);
    // After the grace period, reuse revokes the whole family.
    app.clock.advance_secs(11);
    let reuse = refresh(&app, &s.partner, rt0).await;
    assert_error(&reuse, 400, "U0201");
    assert_error(&user_info(&app, &s.partner, at1, Some("d")).await, 401, "U0202");
    assert_error(&user_info(&app, &s.partner, at2, Some("d")).await, 401, "U0202");
    assert_error(&refresh(&app, &s.partner, rt1).await, 400, "U0201");
}

#[tokio::test]
async fn refresh_may_narrow_scope_never_widen_and_grace_zero_disables() {
    let app = spawn_app_with(|c| c.refresh_grace_secs = 0).await;
    let s = setup(&app).await;
    let d = tokens(&app, &s, "profile mobile", &["profile", "mobile"], "d").await;
    let rt = d["refresh_token"].as_str().expect("rt");
    let wide = signed_post(
        &app,
        &s.partner,
        "/open/v1/oauth/token",
        &json!({"grant_type": "refresh_token", "refresh_token": rt, "scope": "profile wallet"}),
    )
    .await;
    assert_error(&wide, 400, "U0029");
    let narrow = signed_post(
        &app,
        &s.partner,
        "/open/v1/oauth/token",
        &json!({"grant_type": "refresh_token", "refresh_token": rt, "scope": "profile"}),
    )
    .await;
    assert_eq!(narrow.0, 200, "{:?}", narrow.1);
    assert_eq!(narrow.1["data"]["scope"], "openid profile");
    // Grace 0: an immediate second use is already reuse.
    assert_error(&refresh(&app, &s.partner, rt).await, 400, "U0201");
    let new_rt = narrow.1["data"]["refresh_token"].as_str().expect("rt");
    assert_error(&refresh(&app, &s.partner, new_rt).await, 400, "U0201");
}

#[tokio::test]
async fn refresh_tokens_expire() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let d = tokens(&app, &s, "", &[], "d").await;
    app.clock.advance_secs(2 * 3600 + 1);
    let at = d["access_token"].as_str().expect("at");
    assert_error(&user_info(&app, &s.partner, at, Some("d")).await, 401, "U0202");
    let r = refresh(&app, &s.partner, d["refresh_token"].as_str().expect("rt")).await;
    assert_eq!(r.0, 200, "an expired access token is what refresh is for");
    app.clock.advance_secs(30 * 86400 + 1);
    let rt = r.1["data"]["refresh_token"].as_str().expect("rt");
    assert_error(&refresh(&app, &s.partner, rt).await, 400, "U0201");
}

#[tokio::test]
async fn device_binding_and_cross_app_tokens() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let d = tokens(&app, &s, "profile", &["profile"], "phone-1").await;
    let at = d["access_token"].as_str().expect("at");
    assert_error(&user_info(&app, &s.partner, at, Some("phone-2")).await, 401, "U0203");
    assert_error(&user_info(&app, &s.partner, at, None).await, 401, "U0203");
    let other = opengate_e2e::create_partner(&app).await;
    let cross = user_info(&app, &other, at, Some("phone-1")).await;
    assert_error(&cross, 401, "U0202");
    assert!(!cross.1["errorMsg"].as_str().expect("msg").contains(&s.partner.app_id), "never says whose it is");
    assert_error(&user_info(&app, &s.partner, "at_garbage", Some("phone-1")).await, 401, "U0202");
    let no_bearer = opengate_e2e::send(
        opengate_e2e::Signed::new(&s.partner, "GET", "/open/v1/user/info", b"")
            .request(&app)
            .header("x-og-device-id", "phone-1"),
    )
    .await;
    assert_error(&no_bearer, 401, "U0202");
    // Introspection by another app says inactive; by the owner, active.
    let mine = signed_post(&app, &s.partner, "/open/v1/oauth/introspect", &json!({"token": at})).await;
    assert_eq!(mine.1["data"]["active"], true, "{:?}", mine.1);
    assert_eq!(mine.1["data"]["client_id"], s.partner.app_id.as_str());
    assert_eq!(mine.1["data"]["sub"], d["open_id"]);
    assert_eq!(mine.1["data"]["device_id"], "phone-1");
    let theirs = signed_post(&app, &other, "/open/v1/oauth/introspect", &json!({"token": at})).await;
    assert_eq!(theirs.1["data"], json!({"active": false}));
}

#[tokio::test]
async fn partner_revoke_and_unknown_tokens() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let d = tokens(&app, &s, "", &[], "d").await;
    let at = d["access_token"].as_str().expect("at");
    let rt = d["refresh_token"].as_str().expect("rt");
    let unknown = signed_post(&app, &s.partner, "/open/v1/oauth/revoke", &json!({"token": "nope"})).await;
    assert_eq!(unknown.0, 200, "RFC 7009: unknown tokens are fine");
    let r = signed_post(&app, &s.partner, "/open/v1/oauth/revoke", &json!({"token": at})).await;
    assert_eq!(r.0, 200);
    assert_error(&user_info(&app, &s.partner, at, Some("d")).await, 401, "U0202");
    // Revoking the refresh token ends the whole login.
    let r2 = refresh(&app, &s.partner, rt).await;
    assert_eq!(r2.0, 200);
    let at2 = r2.1["data"]["access_token"].as_str().expect("at");
    let rt2 = r2.1["data"]["refresh_token"].as_str().expect("rt");
    signed_post(&app, &s.partner, "/open/v1/oauth/revoke", &json!({"token": rt2})).await;
    assert_error(&user_info(&app, &s.partner, at2, Some("d")).await, 401, "U0202");
    let missing = signed_post(&app, &s.partner, "/open/v1/oauth/revoke", &json!({})).await;
    assert_error(&missing, 400, "U0029");
}

#[tokio::test]
async fn user_revoke_kills_every_token_on_every_node_and_ids_are_stable() {
    let app = spawn_app().await;
    let node2 = spawn_second_node(&app).await;
    let s = setup(&app).await;
    let d1 = tokens(&app, &s, "profile", &["profile"], "d").await;
    let d2 = tokens(&app, &s, "profile", &["profile"], "d").await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let grants = h5.get(&app, "/api/h5/grants").send().await.expect("grants");
    let list: serde_json::Value = grants.json().await.expect("json");
    assert_eq!(list.as_array().expect("array").len(), 1);
    assert_eq!(list[0]["app_id"], s.partner.app_id.as_str());
    assert_eq!(list[0]["scopes"], json!(["openid", "profile"]));

    // Without the CSRF token nothing changes.
    let no_csrf = app
        .http
        .post(app.url(&format!("/api/h5/grants/{}/revoke", s.partner.app_id)))
        .header("cookie", format!("og_session={}", h5.cookie))
        .send()
        .await
        .expect("post");
    assert_eq!(no_csrf.status(), 403);
    let at1 = d1["access_token"].as_str().expect("at");
    assert_eq!(user_info(&node2, &s.partner, at1, Some("d")).await.0, 200);

    let r =
        h5.post(&app, &format!("/api/h5/grants/{}/revoke", s.partner.app_id), &json!({})).send().await.expect("revoke");
    assert_eq!(r.status(), 200);
    for d in [&d1, &d2] {
        let at = d["access_token"].as_str().expect("at");
        assert_error(&user_info(&node2, &s.partner, at, Some("d")).await, 401, "U0202");
        assert_error(&user_info(&app, &s.partner, at, Some("d")).await, 401, "U0202");
        assert_error(&refresh(&node2, &s.partner, d["refresh_token"].as_str().expect("rt")).await, 400, "U0201");
    }
    let after: serde_json::Value =
        h5.get(&app, "/api/h5/grants").send().await.expect("grants").json().await.expect("json");
    assert_eq!(after, json!([]));

    // Re-granting asks for consent again and gives the same open_id and union_id.
    let d3 = tokens(&app, &s, "profile", &["profile"], "d").await;
    assert_eq!(d3["open_id"], d1["open_id"]);
    assert_eq!(d3["union_id"], d1["union_id"]);

    // A second app of the same company: same union_id, different open_id.
    let app2 = "second".to_owned() + &opengate_e2e::unique("a");
    let admin = opengate_e2e::login::email();
    opengate::admin::create_user(&app.state, None, Some(&admin), None, "Admin 2").await.expect("admin");
    opengate::admin::create_app(&app.state, &s.partner.company_id, &app2, "Second", &admin).await.expect("app");
    opengate::admin::add_redirect_uri(&app.state, &app2, REDIRECT_URI).await.expect("uri");
    let key = opengate::admin::create_key(&app.state, &app2).await.expect("key");
    let p2 = opengate_e2e::Partner {
        app_id: app2.clone(),
        access_key: key.access_key,
        secret_key: key.secret_key,
        ..s.partner.clone()
    };
    let s2 = opengate_e2e::login::LoginSetup { partner: p2, user_id: s.user_id.clone(), mobile: s.mobile.clone() };
    let d4 = tokens(&app, &s2, "", &[], "d").await;
    assert_eq!(d4["union_id"], d1["union_id"]);
    assert_ne!(d4["open_id"], d1["open_id"]);
    node2.stop().await;
}

#[tokio::test]
async fn consent_is_remembered_deny_redirects_and_requests_are_single_use() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let h5 = H5::logged_in(&app, &s.mobile).await;
    // Deny.
    let loc = authorize(&app, &authorize_query(&s.partner.app_id, "profile", "st-9", &[("device_id", "d")])).await;
    let id = request_id(&loc);
    let r = h5.post(&app, &format!("/api/h5/authorize/{id}"), &json!({"approve": false})).send().await.expect("deny");
    let v: serde_json::Value = r.json().await.expect("json");
    let q = query_of(v["redirect"].as_str().expect("redirect"));
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-9");
    // The request is used now.
    let again =
        h5.post(&app, &format!("/api/h5/authorize/{id}"), &json!({"approve": true})).send().await.expect("again");
    assert_eq!(again.status(), 410);
    // Consent, then a second authorize of the same scopes skips the consent screen.
    code_for(&app, &s, &h5, "profile", &["profile"], &[("device_id", "d")]).await;
    let loc = authorize(&app, &authorize_query(&s.partner.app_id, "profile", "st-2", &[("device_id", "d")])).await;
    let view: serde_json::Value = h5
        .get(&app, &format!("/api/h5/authorize/{}", request_id(&loc)))
        .send()
        .await
        .expect("view")
        .json()
        .await
        .expect("json");
    let q = query_of(view["redirect"].as_str().expect("skips consent"));
    assert_eq!(q["state"], "st-2");
    assert_eq!(exchange(&app, &s.partner, &q["code"], None).await.0, 200);
    // A wider request asks again.
    let loc = authorize(&app, &authorize_query(&s.partner.app_id, "profile mobile", "s", &[("device_id", "d")])).await;
    let view: serde_json::Value = h5
        .get(&app, &format!("/api/h5/authorize/{}", request_id(&loc)))
        .send()
        .await
        .expect("view")
        .json()
        .await
        .expect("json");
    assert_eq!(view["redirect"], serde_json::Value::Null);
    assert_eq!(view["app_name"], "Test App");
    assert_eq!(
        view["scopes"],
        json!([{"scope":"openid","required":true},{"scope":"profile","required":false},{"scope":"mobile","required":false}])
    );
    // Granting a scope that was not requested is refused.
    let r = h5
        .post(&app, &format!("/api/h5/authorize/{}", request_id(&loc)), &json!({"approve": true, "scopes": ["wallet"]}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    // Logged out: login required; unknown request: 404; expired: 410.
    let anon = H5::new(&app).await;
    let r = anon.get(&app, &format!("/api/h5/authorize/{}", request_id(&loc))).send().await.expect("get");
    assert_eq!(r.status(), 401);
    assert_eq!(h5.get(&app, "/api/h5/authorize/ar_nope").send().await.expect("get").status(), 404);
    app.clock.advance_secs(601);
    assert_eq!(
        h5.get(&app, &format!("/api/h5/authorize/{}", request_id(&loc))).send().await.expect("get").status(),
        410
    );
}

#[tokio::test]
async fn h5_login_rotates_the_session_and_locks_after_repeated_failures() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let mut h5 = H5::new(&app).await;
    let anon_cookie = h5.cookie.clone();
    // No CSRF header: refused before the password is even looked at.
    let r = app
        .http
        .post(app.url("/api/h5/login"))
        .header("cookie", format!("og_session={anon_cookie}"))
        .json(&json!({"account": s.mobile, "password": opengate_e2e::login::PASSWORD}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    let (status, body) = h5.login(&app, &s.mobile, opengate_e2e::login::PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(h5.cookie, anon_cookie, "a new session id on login");
    assert_eq!(body["user"]["nickname"], "Tea Lover");
    assert_eq!(body["user"]["account"], format!("{}****{}", &s.mobile[..3], &s.mobile[7..]));
    let old: serde_json::Value = app
        .http
        .get(app.url("/api/h5/grants"))
        .header("cookie", format!("og_session={anon_cookie}"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(old["error"], "login_required");

    let mut other = H5::new(&app).await;
    for _ in 0..4 {
        let (status, body) = other.login(&app, &s.mobile, "wrong password!").await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "bad_credentials");
    }
    let (status, body) = other.login(&app, &s.mobile, "wrong password!").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "locked");
    assert!(body["retry_at"].as_i64().expect("retry_at") > app.clock.now_ms() / 1000, "{body}");
    // Even the right password is refused while locked…
    let (status, _) = other.login(&app, &s.mobile, opengate_e2e::login::PASSWORD).await;
    assert_eq!(status, 429);
    // …and works again after 15 minutes.
    app.clock.advance_secs(15 * 60 + 1);
    let (status, _) = other.login(&app, &s.mobile, opengate_e2e::login::PASSWORD).await;
    assert_eq!(status, 200);
    // Unknown accounts get the same answer as wrong passwords.
    let mut third = H5::new(&app).await;
    let (status, body) = third.login(&app, "nobody@example.com", "whatever123").await;
    assert_eq!((status, body["error"].as_str()), (401, Some("bad_credentials")));
    // Logout ends the session.
    let r = h5.post(&app, "/api/h5/logout", &json!({})).send().await.expect("logout");
    assert_eq!(r.status(), 200);
    let after = h5.get(&app, "/api/h5/grants").send().await.expect("get");
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn session_cookie_attributes() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/api/h5/session")).send().await.expect("get");
    let c = r.headers()["set-cookie"].to_str().expect("cookie").to_owned();
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"), "{c}");
    assert!(!c.contains("Secure"), "plain http in tests: {c}");
    let https = spawn_app_with(|c| c.public_base_url = "https://pay.example.com".into()).await;
    let r = https.http.get(https.url("/api/h5/session")).send().await.expect("get");
    assert!(r.headers()["set-cookie"].to_str().expect("cookie").contains("; Secure"));
}

#[tokio::test]
async fn unsafe_token_lifetimes_refuse_to_start() {
    let (url, _dir) = opengate_e2e::fresh_database().await;
    for (tweak, needle) in [
        (
            Box::new(|c: &mut opengate::config::Config| c.access_token_ttl_secs = 86_401) as Box<dyn Fn(&mut _)>,
            "access_token_ttl_secs",
        ),
        (Box::new(|c: &mut opengate::config::Config| c.refresh_token_ttl_secs = 6 * 86400), "refresh_token_ttl_secs"),
    ] {
        let mut cfg = opengate_e2e::test_config(&url);
        tweak(&mut cfg);
        let err = opengate::Application::build(cfg).await.err().expect("refused").to_string();
        assert!(err.contains(needle), "{err}");
    }
}

/// Introspection answers are cached per node (ADR 0011); every way a token dies
/// reaches a node that cached it at once, also when it happened on another node.
#[tokio::test]
async fn cached_introspection_sees_every_revocation_on_any_node_at_once() {
    let app = spawn_app().await;
    let node2 = spawn_second_node(&app).await;
    let s = setup(&app).await;
    let introspect = |node: &'static str, at: String| {
        let (app, node2, p) = (&app, &node2, s.partner.clone());
        async move {
            let target = if node == "a" { app } else { node2 };
            let r = signed_post(target, &p, "/open/v1/oauth/introspect", &json!({"token": at})).await;
            assert_eq!(r.0, 200, "{:?}", r.1);
            r.1["data"]["active"].as_bool().expect("active")
        }
    };
    // Cached on node a (asked twice), then killed on node b: node a says inactive at once.
    let fresh = || tokens(&app, &s, "profile", &["profile"], "d");
    let cache = |at: &str| {
        let at = at.to_owned();
        let introspect = &introspect;
        async move {
            assert!(introspect("a", at.clone()).await);
            assert!(introspect("a", at).await);
        }
    };

    // 1. The partner revokes the access token.
    let d = fresh().await;
    let at = d["access_token"].as_str().expect("at").to_owned();
    cache(&at).await;
    let r = signed_post(&node2, &s.partner, "/open/v1/oauth/revoke", &json!({"token": at})).await;
    assert_eq!(r.0, 200);
    assert!(!introspect("a", at.clone()).await, "revoke on b → inactive on a");

    // 2. A refresh on b revokes the old access token.
    let d = fresh().await;
    let at = d["access_token"].as_str().expect("at").to_owned();
    cache(&at).await;
    assert_eq!(refresh(&node2, &s.partner, d["refresh_token"].as_str().expect("rt")).await.0, 200);
    assert!(!introspect("a", at).await, "refresh on b → old access token inactive on a");

    // 3. The partner revokes the refresh token: its whole family dies.
    let d = fresh().await;
    let at = d["access_token"].as_str().expect("at").to_owned();
    cache(&at).await;
    signed_post(&node2, &s.partner, "/open/v1/oauth/revoke", &json!({"token": d["refresh_token"]})).await;
    assert!(!introspect("a", at).await, "family revoke on b → inactive on a");

    // 4. A code used twice: every token issued from it dies.
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let q = code_for(&app, &s, &h5, "profile", &["profile"], &[]).await;
    let first = exchange(&app, &s.partner, &q["code"], None).await;
    let at = first.1["data"]["access_token"].as_str().expect("at").to_owned();
    cache(&at).await;
    assert_error(&exchange(&node2, &s.partner, &q["code"], None).await, 400, "U0201");
    assert!(!introspect("a", at).await, "code reuse on b → inactive on a");

    // 5. The user revokes the app on b.
    let d = fresh().await;
    let at = d["access_token"].as_str().expect("at").to_owned();
    cache(&at).await;
    let r = h5.post(&node2, &format!("/api/h5/grants/{}/revoke", s.partner.app_id), &json!({})).send().await;
    assert_eq!(r.expect("revoke").status(), 200);
    assert!(!introspect("a", at).await, "user revoke on b → inactive on a");

    // 6. A cached token asked about by another app, and after it expires.
    let d = fresh().await;
    let at = d["access_token"].as_str().expect("at").to_owned();
    cache(&at).await;
    let other = opengate_e2e::create_partner(&app).await;
    let theirs = signed_post(&app, &other, "/open/v1/oauth/introspect", &json!({"token": at})).await;
    assert_eq!(theirs.1["data"], json!({"active": false}));
    app.clock.advance_secs(2 * 3600 + 1);
    assert!(!introspect("a", at).await, "expired");
    node2.stop().await;
}
