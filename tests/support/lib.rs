//! Test support: `spawn_app()` starts the real server on 127.0.0.1:0 with a fresh
//! database (a temp SQLite file, or a fresh PostgreSQL database when
//! `OPENGATE_TEST_DB=postgres` and `TEST_DATABASE_URL` are set), and a partner client
//! that signs requests with `shared`'s signing code.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use opengate::clock::Clock;
use opengate::config::Config;
use opengate::startup::CancellationToken;
use opengate::state::AppState;
use opengate::Application;
use opengate_shared::signing;
use rand::Rng;

pub mod bench;
pub mod browser;
pub mod console;
pub mod demo_partner;
pub mod docs_api;
pub mod inbound;
pub mod login;
pub mod partner_site;
pub mod pay;

/// Which database the suite runs against.
pub fn use_postgres() -> bool {
    std::env::var("OPENGATE_TEST_DB").is_ok_and(|v| v == "postgres")
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    if use_postgres() {
        let admin_url = std::env::var("TEST_DATABASE_URL")
            .expect("OPENGATE_TEST_DB=postgres needs TEST_DATABASE_URL=postgres://user:pw@host:port/postgres");
        let name = format!("og_test_{}", rand::thread_rng().gen::<u64>());
        sqlx::any::install_default_drivers();
        let mut conn =
            <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
        sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).expect("TEST_DATABASE_URL has a database name");
        (format!("{base}/{name}"), None)
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/opengate.db", dir.path().display());
        (url, Some(dir))
    }
}

pub const TEST_MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

/// A configuration for tests: port 0, the given database, a fixed test master key.
pub fn test_config(database_url: &str) -> Config {
    Config {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: database_url.to_owned(),
        database_max_connections: 5,
        master_key: Some(TEST_MASTER_KEY.to_owned().into()),
        h5_dir: workspace_dir().join("dist"),
        // Test partners (notification receivers) listen on loopback.
        outbound_allow_cidrs: vec!["127.0.0.0/8".parse().expect("cidr")],
        notify_poll_ms: 50,
        notify_timeout_ms: 2_000,
        notify_lease_ms: 5_000,
        ..Config::default()
    }
}

pub fn workspace_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub state: AppState,
    pub clock: Clock,
    pub http: reqwest::Client,
    pub database_url: String,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

impl TestApp {
    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    /// The database URL and its temp folder, kept alive beyond this server.
    pub fn keep_database(&self) -> (String, Option<std::sync::Arc<tempfile::TempDir>>) {
        (self.database_url.clone(), self._dir.clone())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique lowercase suffix for ids in one test process.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{n}{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let (url, dir) = fresh_database().await;
    let mut cfg = test_config(&url);
    tweak(&mut cfg);
    start(cfg, Clock::system(), dir.map(std::sync::Arc::new)).await
}

/// A new server on an existing database (e.g. after [`TestApp::keep_database`]).
pub async fn spawn_on_database(url: &str, dir: Option<std::sync::Arc<tempfile::TempDir>>) -> TestApp {
    start(test_config(url), Clock::system(), dir).await
}

/// A new server on an existing database, with its configuration adjusted.
pub async fn spawn_on_database_with(
    url: &str,
    dir: Option<std::sync::Arc<tempfile::TempDir>>,
    tweak: impl FnOnce(&mut Config),
) -> TestApp {
    let mut cfg = test_config(url);
    tweak(&mut cfg);
    start(cfg, Clock::system(), dir).await
}

/// A second server on the same database as `other` (a second node), with its own clock.
pub async fn spawn_second_node(other: &TestApp) -> TestApp {
    let cfg = test_config(&other.database_url);
    start(cfg, Clock::system(), other._dir.clone()).await
}

async fn start(cfg: Config, clock: Clock, dir: Option<std::sync::Arc<tempfile::TempDir>>) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        opengate::cli::init_test_logging();
    }
    let database_url = cfg.database_url.clone();
    let app = Application::build_with_clock(cfg, clock.clone()).await.expect("build application");
    let addr = app.addr().expect("http enabled");
    let state = app.state().clone();
    let shutdown = app.shutdown_token();
    let handle = tokio::spawn(async move {
        app.run_until_stopped().await.expect("server ran");
    });
    TestApp {
        addr,
        base: format!("http://{addr}"),
        state,
        clock,
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        database_url,
        shutdown,
        handle: Some(handle),
        _dir: dir,
    }
}

/// A partner app with one key pair, created through the operator use-cases.
#[derive(Debug, Clone)]
pub struct Partner {
    pub app_id: String,
    pub company_id: String,
    pub access_key: String,
    pub secret_key: String,
    pub notify_secret: String,
}

pub async fn create_partner(app: &TestApp) -> Partner {
    let admin_email = format!("{}@example.com", unique("admin"));
    opengate::admin::create_user(&app.state, None, Some(&admin_email), None, "Partner admin")
        .await
        .expect("admin user");
    create_partner_for(app, &admin_email).await
}

/// A new company and app administered by the existing user `admin_email`, with one key.
pub async fn create_partner_for(app: &TestApp, admin_email: &str) -> Partner {
    let st = &app.state;
    let company_id = unique("co");
    let app_id = unique("app");
    let created = opengate::admin::create_app(st, &company_id, &app_id, "Test App", admin_email).await.expect("app");
    let key = opengate::admin::create_key(st, &app_id).await.expect("key");
    Partner {
        app_id,
        company_id,
        access_key: key.access_key,
        secret_key: key.secret_key,
        notify_secret: created.notify_secret,
    }
}

/// How to sign one request; fields can be overridden to build bad requests.
#[derive(Debug, Clone)]
pub struct Signed {
    pub method: String,
    pub path_and_query: String,
    pub body: Vec<u8>,
    pub access_key: String,
    pub secret_key: String,
    pub timestamp: i64,
    pub nonce: String,
}

pub fn new_nonce() -> String {
    let n: u128 = rand::thread_rng().gen();
    format!("n-{n:032x}")
}

impl Signed {
    pub fn new(p: &Partner, method: &str, path_and_query: &str, body: &[u8]) -> Signed {
        Signed {
            method: method.to_owned(),
            path_and_query: path_and_query.to_owned(),
            body: body.to_vec(),
            access_key: p.access_key.clone(),
            secret_key: p.secret_key.clone(),
            timestamp: Clock::system().now_secs(),
            nonce: new_nonce(),
        }
    }

    pub fn signature(&self) -> String {
        let (path, query) = self.path_and_query.split_once('?').unwrap_or((&self.path_and_query, ""));
        signing::sign_request(
            &self.secret_key,
            &self.access_key,
            &self.method,
            path,
            query,
            self.timestamp,
            &self.nonce,
            &self.body,
        )
        .expect("valid query")
    }

    /// A signature computed over the raw query without canonicalising it (for
    /// requests whose query is deliberately invalid).
    pub fn signature_unchecked(&self) -> String {
        let (path, query) = self.path_and_query.split_once('?').unwrap_or((&self.path_and_query, ""));
        let ts = self.timestamp.to_string();
        let bh = signing::body_hash(&self.body);
        let input = signing::SigningInput {
            method: &self.method,
            path,
            canonical_query: query,
            access_key: &self.access_key,
            timestamp: &ts,
            nonce: &self.nonce,
            body_hash: &bh,
        };
        signing::sign(&self.secret_key, &input.string_to_sign())
    }

    /// The request with all four headers.
    pub fn request(&self, app: &TestApp) -> reqwest::RequestBuilder {
        let sig = self.signature();
        self.request_with_signature(app, &sig)
    }

    pub fn request_with_signature(&self, app: &TestApp, sig: &str) -> reqwest::RequestBuilder {
        self.request_to_with_signature(&app.http, &app.base, sig)
    }

    /// The request with all four headers, to the server at `base` (another process).
    pub fn request_to(&self, http: &reqwest::Client, base: &str) -> reqwest::RequestBuilder {
        self.request_to_with_signature(http, base, &self.signature())
    }

    fn request_to_with_signature(&self, http: &reqwest::Client, base: &str, sig: &str) -> reqwest::RequestBuilder {
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut rb = http
            .request(method, format!("{base}{}", self.path_and_query))
            .header("X-OG-AccessKey", &self.access_key)
            .header("X-OG-Timestamp", self.timestamp.to_string())
            .header("X-OG-Nonce", &self.nonce)
            .header("X-OG-Signature", sig);
        if !self.body.is_empty() {
            rb = rb.header("content-type", "application/json; charset=utf-8").body(self.body.clone());
        }
        rb
    }
}

/// Sends and returns (HTTP status, JSON body, X-Request-Id header).
pub async fn send(rb: reqwest::RequestBuilder) -> (u16, serde_json::Value, String) {
    let resp = rb.send().await.expect("request sent");
    let status = resp.status().as_u16();
    let rid = resp.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let text = resp.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    (status, json, rid)
}

/// Asserts an error envelope with the given code and HTTP status.
#[track_caller]
pub fn assert_error(got: &(u16, serde_json::Value, String), status: u16, code: &str) {
    assert_eq!(got.0, status, "status of {:?}", got.1);
    assert_eq!(got.1["success"], false, "{:?}", got.1);
    assert_eq!(got.1["errorCode"], code, "{:?}", got.1);
    assert!(got.1["errorMsg"].as_str().is_some_and(|m| !m.is_empty()), "{:?}", got.1);
    assert_eq!(got.1["requestId"].as_str(), Some(got.2.as_str()), "requestId equals X-Request-Id");
}
