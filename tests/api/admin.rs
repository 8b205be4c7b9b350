//! Operator rules (SPEC §2, §3): ids, admin account, permissions, key pairs, bindings.

use clap::Parser;
use opengate::admin::{self, AdminError};
use opengate::cli::{execute_with, Cli};
use opengate::clock::Clock;
use opengate::domain::PermissionStatus;
use opengate_e2e::{create_partner, spawn_app, test_config, unique};

#[tokio::test]
async fn sixth_active_key_is_refused_and_limit_counts_enabled_keys() {
    let app = spawn_app().await;
    let p = create_partner(&app).await; // 1 key
    let mut keys = vec![p.access_key.clone()];
    for _ in 0..4 {
        keys.push(admin::create_key(&app.state, &p.app_id).await.expect("key").access_key);
    }
    let err = admin::create_key(&app.state, &p.app_id).await.expect_err("6th key");
    assert!(matches!(err, AdminError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("at most") || err.to_string().contains("most allowed"), "{err}");
    // Disable one: a new one fits; re-enabling the disabled one is then refused.
    admin::set_key_enabled(&app.state, &keys[0], false).await.expect("disable");
    admin::create_key(&app.state, &p.app_id).await.expect("5th active again");
    let err = admin::set_key_enabled(&app.state, &keys[0], true).await.expect_err("6th enabled");
    assert!(matches!(err, AdminError::Conflict(_)), "{err}");
    // Deleting frees a place too.
    admin::delete_key(&app.state, &keys[1]).await.expect("delete");
    admin::set_key_enabled(&app.state, &keys[0], true).await.expect("re-enable fits now");
}

#[tokio::test]
async fn concurrent_key_creation_never_exceeds_the_limit() {
    let app = spawn_app().await;
    let p = create_partner(&app).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let st = app.state.clone();
        let app_id = p.app_id.clone();
        set.spawn(async move { admin::create_key(&st, &app_id).await.is_ok() });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        if r.expect("task") {
            ok += 1;
        }
    }
    assert_eq!(ok, 4, "1 existing + 4 new = 5 active");
    let report = admin::app_report(&app.state, &p.app_id).await.expect("report");
    assert_eq!(report.keys.iter().filter(|k| k.enabled).count(), 5);
}

#[tokio::test]
async fn admin_account_is_bound_for_ever_and_frozen() {
    let app = spawn_app().await;
    let st = &app.state;
    let first = format!("{}@corp.example", unique("a"));
    let second = format!("{}@corp.example", unique("b"));
    admin::create_user(st, None, Some(&first), None, "First").await.expect("user");
    admin::create_user(st, None, Some(&second), None, "Second").await.expect("user");
    let app_id = unique("app");
    let created = admin::create_app(st, "acmecorp", &app_id, "Acme", &first).await.expect("app");
    let again = admin::create_app(st, "acmecorp", &app_id, "Acme", &second).await.expect_err("rebind");
    assert!(again.to_string().contains("can never be changed"), "{again}");
    let report = admin::app_report(st, &app_id).await.expect("report");
    assert_eq!(report.admin_user_id, created.admin_user_id);
    let u = admin::find_user(st, &first).await.expect("user");
    assert!(u.trading_frozen && u.withdrawal_frozen);
    let other = admin::find_user(st, &second).await.expect("user");
    assert!(!other.trading_frozen && !other.withdrawal_frozen);
    // Two apps of one company share the company id.
    let app2 = unique("app");
    let c2 = admin::create_app(st, "acmecorp", &app2, "Acme 2", &second).await.expect("second app");
    assert_eq!(c2.company_id, "acmecorp");
}

#[tokio::test]
async fn ids_that_break_spec_section_2_are_refused() {
    let app = spawn_app().await;
    let st = &app.state;
    let email = format!("{}@corp.example", unique("c"));
    admin::create_user(st, None, Some(&email), None, "Admin").await.expect("user");
    for (company, app_id) in [
        ("Acme", "goodapp1"),
        ("acme", "goodapp1"),
        ("1acmecorp", "goodapp1"),
        ("acme_corp", "goodapp1"),
        ("acmecorp", "App123"),
        ("acmecorp", "app"),
        ("acmecorp", "a23456789012345678901234567890123"),
        ("acmecorp", "app-one"),
    ] {
        let err = admin::create_app(st, company, app_id, "X", &email).await.expect_err("invalid id");
        assert!(matches!(err, AdminError::Invalid(_)), "{company}/{app_id}: {err}");
        assert!(err.to_string().contains("^[a-z][a-z0-9]{5,31}$"), "{err}");
    }
    assert!(admin::create_company(st, "Bad-Co", "x").await.is_err());
}

#[tokio::test]
async fn permissions_redirects_and_bindings_validate_input() {
    let app = spawn_app().await;
    let st = &app.state;
    let p = create_partner(&app).await;
    let report = admin::app_report(st, &p.app_id).await.expect("report");
    assert_eq!(report.permissions, vec![("login".to_string(), "approved".to_string())]);
    admin::set_permission(st, &p.app_id, "pay", PermissionStatus::Applied).await.expect("apply");
    admin::set_permission(st, &p.app_id, "pay", PermissionStatus::Approved).await.expect("approve");
    admin::set_permission(st, &p.app_id, "joint_login", PermissionStatus::Refused).await.expect("refuse");
    assert!(admin::set_permission(st, &p.app_id, "login", PermissionStatus::Refused).await.is_err());
    assert!(admin::set_permission(st, &p.app_id, "teleport", PermissionStatus::Approved).await.is_err());
    let report = admin::app_report(st, &p.app_id).await.expect("report");
    assert!(report.permissions.contains(&("pay".into(), "approved".into())));
    assert!(report.permissions.contains(&("joint_login".into(), "refused".into())));

    admin::add_redirect_uri(st, &p.app_id, "https://shop.example.com/cb").await.expect("uri");
    admin::add_redirect_uri(st, &p.app_id, "shopapp://oauth").await.expect("custom scheme");
    for bad in ["/relative", "https://x.example/cb#frag", "not a uri"] {
        assert!(admin::add_redirect_uri(st, &p.app_id, bad).await.is_err(), "{bad}");
    }
    admin::set_notify_url(st, &p.app_id, Some("https://shop.example.com/notify")).await.expect("notify");
    assert!(admin::set_notify_url(st, &p.app_id, Some("ftp://x/notify")).await.is_err());

    for bad in ["1.2.3", "1.2.3.4/40", "example.com", ""] {
        assert!(admin::bind_ip(st, &p.access_key, bad).await.is_err(), "{bad}");
    }
    assert_eq!(admin::bind_ip(st, &p.access_key, "10.1.2.3/8").await.expect("bind"), "10.0.0.0/8");
    assert_eq!(admin::bind_ip(st, &p.access_key, "2001:db8::1").await.expect("bind"), "2001:db8::1/128");
    let report = admin::app_report(st, &p.app_id).await.expect("report");
    assert_eq!(report.keys[0].ip_bindings, vec!["10.0.0.0/8", "2001:db8::1/128"]);
    assert_eq!(report.redirect_uris.len(), 2);
}

#[tokio::test]
async fn notify_secret_rotation_keeps_the_old_secret_for_24_hours() {
    let app = spawn_app().await;
    let st = &app.state;
    let p = create_partner(&app).await;
    assert_eq!(admin::notify_secrets(st, &p.app_id).await.expect("secrets"), vec![p.notify_secret.clone()]);
    let new = admin::rotate_notify_secret(st, &p.app_id).await.expect("rotate");
    assert!(new.starts_with("whsec_"));
    assert_eq!(
        admin::notify_secrets(st, &p.app_id).await.expect("secrets"),
        vec![new.clone(), p.notify_secret.clone()]
    );
    app.clock.advance_secs(24 * 3600 + 1);
    assert_eq!(admin::notify_secrets(st, &p.app_id).await.expect("secrets"), vec![new]);
}

#[tokio::test]
async fn secrets_are_encrypted_at_rest() {
    let app = spawn_app().await;
    let p = create_partner(&app).await;
    let (enc,): (String,) = sqlx::query_as("SELECT secret_enc FROM access_keys WHERE access_key = $1")
        .bind(&p.access_key)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("row");
    assert!(!enc.contains(&p.secret_key));
    let (nenc,): (String,) = sqlx::query_as("SELECT notify_secret_enc FROM apps WHERE id = $1")
        .bind(&p.app_id)
        .fetch_one(&app.state.db.pool)
        .await
        .expect("row");
    assert!(!nenc.contains(p.notify_secret.trim_start_matches("whsec_")));
}

fn cli(args: &[&str]) -> Cli {
    Cli::parse_from(std::iter::once("opengate").chain(args.iter().copied()))
}

#[tokio::test]
async fn operator_command_line_onboards_an_app() {
    let app = spawn_app().await;
    let cfg = test_config(&app.database_url);
    let run = |args: &'static [&'static str]| {
        let cfg = cfg.clone();
        async move { execute_with(cli(args).command, cfg, Clock::system()).await }
    };
    let out = run(&["user", "create", "--email", "ops@clicorp.example", "--nickname", "Ops", "--no-password"])
        .await
        .expect("user");
    assert!(out.contains("created without a password"), "{out}");
    let out = run(&[
        "app",
        "create",
        "--company",
        "clicorp",
        "--app",
        "cliapp01",
        "--name",
        "CLI",
        "--admin",
        "ops@clicorp.example",
    ])
    .await
    .expect("app");
    assert!(out.contains("notify secret"), "{out}");
    let out = run(&["key", "create", "cliapp01"]).await.expect("key");
    let ak = out.lines().find_map(|l| l.strip_prefix("access key: ")).expect("access key line").to_owned();
    assert!(out.contains("secret key: ") && out.contains("shown only this once"), "{out}");
    run(&["app", "permission", "cliapp01", "pay", "approve"]).await.expect("approve");
    run(&["app", "redirect-uri", "add", "cliapp01", "https://cli.example/cb"]).await.expect("uri");
    let show = run(&["app", "show", "cliapp01"]).await.expect("show");
    assert!(show.contains(&ak) && show.contains("\"pay\"") && show.contains("https://cli.example/cb"), "{show}");
    assert!(!show.contains("secret"), "no secret in app show: {show}");
    let err = run(&[
        "app",
        "create",
        "--company",
        "clicorp",
        "--app",
        "BadApp",
        "--name",
        "x",
        "--admin",
        "ops@clicorp.example",
    ])
    .await
    .expect_err("bad id");
    assert!(err.to_string().contains("app_id"), "{err}");
    run(&["currency", "set", "OGC", "2"]).await.expect("currency");
    let out = run(&["credit", "ops@clicorp.example", "OGC", "12.5"]).await.expect("credit");
    assert!(out.contains("balance now 12.50 OGC"), "{out}");
    assert!(run(&["credit", "ops@clicorp.example", "OGC", "--", "-1"]).await.is_err());
    assert!(run(&["credit", "ops@clicorp.example", "OGC", "1.234"]).await.is_err());
}
