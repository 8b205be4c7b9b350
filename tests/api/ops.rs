//! Operations surface: health, readiness, metrics, request ids, configuration refusal.

use opengate::config::Config;
use opengate::Application;
use opengate_e2e::{create_partner, send, spawn_app, test_config, Signed};

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
