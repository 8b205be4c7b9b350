//! Operations surface: health, readiness, metrics, request ids, configuration refusal,
//! rate limits.

use opengate::config::Config;
use opengate::Application;
use opengate_e2e::{assert_error, create_partner, send, spawn_app, spawn_app_with, test_config, Signed};

#[tokio::test]
async fn health_ready_and_metrics() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(r.status(), 200);
    let r = app.http.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(r.status(), 200);
    let p = create_partner(&app).await;
    assert_eq!(send(Signed::new(&p, "GET", "/open/v1/ping", b"").request(&app)).await.0, 200);
    let text = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(text.contains("opengate_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/open/v1/ping\""), "{text}");
    assert!(text.contains("opengate_http_request_duration_seconds_bucket"), "{text}");
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.state.db.pool.close().await;
    let r = app.http.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(r.status(), 503);
    let r = app.http.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn request_ids_are_kept_when_valid_and_replaced_otherwise() {
    let app = spawn_app().await;
    let keep = app.http.get(app.url("/healthz")).header("x-request-id", "trace.ABC_123-x").send().await.expect("req");
    assert_eq!(keep.headers()["x-request-id"], "trace.ABC_123-x");
    for bad in ["has space", "semi;colon", &"x".repeat(65)] {
        let r = app.http.get(app.url("/healthz")).header("x-request-id", bad).send().await.expect("req");
        let id = r.headers()["x-request-id"].to_str().expect("ascii").to_owned();
        assert_ne!(id, bad);
        assert!(id.starts_with("req_"), "{id}");
    }
    // The envelope's requestId is the header's value.
    let got = send(app.http.get(app.url("/open/v1/ping")).header("x-request-id", "mine-1")).await;
    assert_eq!(got.2, "mine-1");
    assert_eq!(got.1["requestId"], "mine-1");
}

#[tokio::test]
async fn signed_wrong_method_answers_an_envelope() {
    let app = spawn_app().await;
    let p = create_partner(&app).await;
    let got = send(Signed::new(&p, "POST", "/open/v1/ping", b"{}").request(&app)).await;
    opengate_e2e::assert_error(&got, 404, "U0404");
}

#[tokio::test]
async fn unsafe_configuration_refuses_to_start() {
    let (url, _dir) = opengate_e2e::fresh_database().await;
    let cases: Vec<(Config, &str)> = vec![
        (Config { access_token_ttl_secs: 25 * 3600, ..test_config(&url) }, "access_token_ttl_secs"),
        (Config { refresh_token_ttl_secs: 3600, ..test_config(&url) }, "refresh_token_ttl_secs"),
        (Config { master_key: None, demo: false, ..test_config(&url) }, "master_key"),
    ];
    for (cfg, needle) in cases {
        let err = Application::build(cfg).await.err().expect("refused").to_string();
        assert!(err.contains(needle), "{err}");
    }
}

#[tokio::test]
async fn graceful_stop_finishes_and_releases_the_port() {
    let app = spawn_app().await;
    let addr = app.addr;
    app.stop().await;
    // The port is free again once the server has stopped.
    std::net::TcpListener::bind(addr).expect("port released");
}

/// SPEC §10 U0401: an app over its limit gets 429 with `Retry-After`; the limit is per
/// app, counted only for requests whose signature verified, and the JSON:API endpoint
/// answers it as a JSON:API error.
#[tokio::test]
async fn an_app_over_its_request_limit_gets_u0401_with_retry_after() {
    let app = spawn_app_with(|c| {
        c.rate_limit_per_second = 1;
        c.rate_limit_burst = 3;
    })
    .await;
    let (p, other) = (create_partner(&app).await, create_partner(&app).await);
    let ping = |p| Signed::new(p, "GET", "/open/v1/ping", b"").request(&app);

    // Forged requests do not spend the partner's allowance.
    for _ in 0..5 {
        assert_error(
            &send(Signed::new(&p, "GET", "/open/v1/ping", b"").request_with_signature(&app, &"0".repeat(64))).await,
            401,
            "U0105",
        );
    }
    for _ in 0..3 {
        assert_eq!(send(ping(&p)).await.0, 200);
    }
    let resp = ping(&p).send().await.expect("ping");
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=2).contains(&retry), "{retry}");
    let rid = resp.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!((body["success"].as_bool(), body["errorCode"].as_str()), (Some(false), Some("U0401")), "{body}");
    assert_eq!(body["requestId"], rid.as_str());
    assert!(body["errorMsg"].as_str().is_some_and(|m| m.contains(&format!("retry after {retry} s"))), "{body}");

    // Another app has its own allowance.
    assert_eq!(send(ping(&other)).await.0, 200);

    // The JSON:API endpoint says it in JSON:API.
    let resp = Signed::new(&p, "GET", "/open/v1/users/usr_x", b"").request(&app).send().await.expect("users");
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    let doc: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(
        (doc["errors"][0]["code"].as_str(), doc["errors"][0]["status"].as_str()),
        (Some("U0401"), Some("429")),
        "{doc}"
    );

    // The SDK hands the code and the wait to the partner's code.
    match opengate_e2e::demo_partner::sdk(&app, &p).ping().await {
        Err(opengate_sdk::Error::Api(e)) => {
            assert_eq!(e.code, opengate_sdk::ErrorCode::U0401, "{e}");
            assert!(e.retry_after_secs.is_some_and(|s| (1..=2).contains(&s)), "{e:?}");
        }
        other => panic!("expected U0401, got {other:?}"),
    }

    // After the wait, the app may call again.
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    assert_eq!(send(ping(&p)).await.0, 200);
    let text = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(text.contains("opengate_rate_limited_total"), "{text}");
}

#[tokio::test]
async fn a_burst_below_the_rate_is_refused_at_start() {
    let mut c = test_config("sqlite://unused.db");
    c.rate_limit_per_second = 100;
    c.rate_limit_burst = 10;
    let err = c.validate().expect_err("burst below rate");
    assert!(err.to_string().contains("rate_limit_burst"), "{err}");
}
