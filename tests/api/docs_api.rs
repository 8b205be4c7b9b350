//! docs/API.md cannot rot: every block marked `runnable` runs against a real server
//! (in the page's order: later blocks may use what earlier ones made, e.g. the order
//! T-1001), fails the test with its line and output when it fails, and the runnable
//! blocks must keep covering every partner endpoint. The notification examples get a
//! real notification of a paid order and must refuse it once its body is altered.
//! `excerpt` blocks must be verbatim parts of the file they name. (The ```rust blocks
//! are doctests of opengate-sdk.) docs/OPERATIONS.md must name every configuration key
//! and every metric the server exports, and its TOML example must load and validate.

use std::time::Duration;

use opengate_e2e::docs_api::{blocks, preflight, run, world, Block, PAID_TRADE_NO};
use opengate_e2e::{spawn_app, workspace_dir};

/// Each endpoint, and what a runnable block that calls it contains (all of the
/// strings, in one block).
const ENDPOINTS: &[(&str, &[&str])] = &[
    ("GET /open/v1/ping", &["og-curl GET /open/v1/ping"]),
    ("GET /oauth/authorize", &["/oauth/authorize?response_type=code", "code_challenge_method=S256"]),
    ("POST /open/v1/oauth/token (code)", &["og-curl POST /open/v1/oauth/token", "\"authorization_code\""]),
    ("POST /open/v1/oauth/token (refresh)", &["og-curl POST /open/v1/oauth/token", "\"refresh_token\""]),
    ("GET /open/v1/user/info", &["og-curl GET '/open/v1/user/info", "Authorization: Bearer", "X-OG-Device-Id"]),
    ("POST /open/v1/oauth/introspect", &["og-curl POST /open/v1/oauth/introspect"]),
    ("POST /open/v1/oauth/revoke", &["og-curl POST /open/v1/oauth/revoke"]),
    ("POST /oauth/token", &["curl \"${auth[@]}\" -d grant_type=authorization_code", "$OG_BASE_URL/oauth/token"]),
    ("POST /oauth/introspect", &["$OG_BASE_URL/oauth/introspect"]),
    ("POST /oauth/revoke", &["$OG_BASE_URL/oauth/revoke"]),
    ("GET /.well-known/oauth-authorization-server", &["$OG_BASE_URL/.well-known/oauth-authorization-server"]),
    ("POST /open/v1/pay/orders", &["og-curl POST /open/v1/pay/orders \\"]),
    ("GET /open/v1/pay/orders/{trade_no}", &["og-curl GET /open/v1/pay/orders/T-1001"]),
    ("POST /open/v1/pay/orders/{trade_no}/close", &["og-curl POST /open/v1/pay/orders/T-1001/close"]),
    ("POST /open/v1/pay/orders/{trade_no}/notify", &["og-curl POST /open/v1/pay/orders/T-1001/notify"]),
    ("POST /open/v1/pay/orders/{trade_no}/refunds", &["og-curl POST /open/v1/pay/orders/T-0999/refunds"]),
    ("GET /open/v1/pay/orders/{trade_no}/refunds", &["og-curl GET /open/v1/pay/orders/T-0999/refunds"]),
    ("GET /open/v1/pay/refunds/{refund_no}", &["og-curl GET /open/v1/pay/refunds/RF-0999-1"]),
    ("POST /open/v1/pay/refunds/{refund_no}/notify", &["og-curl POST /open/v1/pay/refunds/RF-0999-1/notify"]),
    ("GET /open/v1/pay/statements", &["og-curl GET \"/open/v1/pay/statements?date="]),
    ("POST /open/v1/joint-login", &["og-curl POST /open/v1/joint-login"]),
    ("GET /open/v1/users?filter[cellPhone]", &["og-curl GET '/open/v1/users?filter[cellPhone]="]),
    ("GET /open/v1/users/{id}", &["og-curl GET \"/open/v1/users/$id\""]),
];

/// The examples that are not one endpoint each.
const OTHER_EXAMPLES: &[(&str, &[&str])] = &[
    (
        "signing test vectors",
        &["--print-signature", "42020b324251cf32d7f044e9b4dea171810595c29ff1dac4931969c5954a21e6"],
    ),
    ("errors", &["\"U0105\"", "\"U0106\"", "\"U0404\""]),
    ("notification, by hand", &["OG_NOTIFY_BODY", "openssl dgst -sha256 -mac HMAC"]),
    ("notification, JavaScript", &["OG_NOTIFY_BODY", "from \"standardwebhooks\"", "wh.verify(body, headers)"]),
];

fn api_md() -> Vec<Block> {
    let md = std::fs::read_to_string(workspace_dir().join("docs/API.md")).expect("read docs/API.md");
    blocks(&md)
}

#[test]
fn runnable_blocks_cover_every_endpoint_and_excerpts_match_their_files() {
    let all = api_md();
    let runnable: Vec<&Block> = all.iter().filter(|b| b.runnable()).collect();
    assert!(
        runnable.len() >= ENDPOINTS.len(),
        "docs/API.md has {} runnable blocks, fewer than the {} endpoints they cover (was a `runnable` marker dropped?)",
        runnable.len(),
        ENDPOINTS.len()
    );
    for (what, needles) in ENDPOINTS.iter().chain(OTHER_EXAMPLES) {
        assert!(
            runnable.iter().any(|b| needles.iter().all(|n| b.code.contains(n))),
            "no runnable block of docs/API.md covers {what} (one block must contain all of {needles:?})"
        );
    }
    for b in &runnable {
        assert!(
            matches!(b.lang.as_str(), "sh" | "js"),
            "docs/API.md:{}: runnable `{}` blocks have no runner",
            b.line,
            b.lang
        );
        // A block that checks nothing cannot fail when the answer is wrong.
        let checks = ["jq -e", "test ", "grep ", "[[ ", "wh.verify("];
        assert!(
            checks.iter().any(|c| b.code.contains(c)),
            "docs/API.md:{}: a runnable block must check its answer (jq -e, test, grep, …)\n{}",
            b.line,
            b.code
        );
    }
    let mut excerpts = 0;
    for b in &all {
        if let Some((path, text)) = b.excerpt() {
            let file = std::fs::read_to_string(workspace_dir().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                file.contains(text),
                "docs/API.md:{}: the excerpt is no longer a verbatim part of {path}; copy it again",
                b.line
            );
            excerpts += 1;
        }
    }
    assert!(excerpts >= 1, "the signing walk-through (an excerpt of examples/og-curl) is gone");
    let rust = all.iter().filter(|b| b.lang == "rust").count();
    assert!(rust >= 2, "docs/API.md lost its Rust examples (SDK overview, notification verification)");
    assert!(all.iter().all(|b| !b.lang.is_empty()), "a fence without a language would be compiled as a Rust doctest");
}

#[tokio::test]
async fn every_runnable_block_of_api_md_runs_against_a_real_server() {
    let root = workspace_dir();
    preflight(&root);
    let all = api_md();
    let runnable: Vec<&Block> = all.iter().filter(|b| b.runnable()).collect();
    let app = spawn_app().await;
    let w = world(&app).await;

    let body = String::from_utf8(w.notification.body.clone()).expect("utf-8");
    let tampered = body.replace("\"12.55\"", "\"0.01\"");
    assert_ne!(tampered, body, "the paid order's notification names its amount");
    let mut notification_blocks = 0;
    for b in &runnable {
        let ran = run(b, &w.env).await;
        assert!(ran.ok(), "{}", ran.report(b, "failed"));
        if b.code.contains("OG_NOTIFY_BODY") {
            assert!(ran.stdout.contains(PAID_TRADE_NO), "{}", ran.report(b, "did not print the verified trade_no"));
            let bad = run(b, &w.env_with_body(&tampered)).await;
            assert!(!bad.ok(), "{}", bad.report(b, "accepted a notification whose body was altered"));
            notification_blocks += 1;
        }
    }
    assert!(notification_blocks >= 2, "the bash and JavaScript notification examples must both run");

    // Every metric name exported after all that traffic is documented.
    let metrics = app.http.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    let ops = std::fs::read_to_string(root.join("docs/OPERATIONS.md")).expect("read docs/OPERATIONS.md");
    let mut names: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("opengate_"))
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(|n| ["_bucket", "_sum", "_count"].iter().fold(n, |n, s| n.strip_suffix(s).unwrap_or(n)))
        .collect();
    names.dedup();
    for must in ["opengate_http_requests_total", "opengate_notification_attempts_total"] {
        assert!(names.contains(&must), "/metrics lacks {must} after requests and a delivery:\n{metrics}");
    }
    for n in names {
        assert!(ops.contains(&format!("`{n}`")), "docs/OPERATIONS.md does not document the metric {n}");
    }

    // The re-send example made a real payment.failed notification for the closed order.
    let got = w.receiver.wait_for(2, Duration::from_secs(10)).await;
    assert!(
        got.iter().any(|r| r.json()["type"] == "payment.failed" && r.json()["data"]["trade_no"] == "T-1001"),
        "the notify example's notification reached the receiver"
    );
    app.stop().await;
}

#[test]
fn fences_are_parsed_with_their_line_language_and_words() {
    let md = "text\n```sh runnable\necho 1\n```\n\n  ```rust no_run\n  let x = 1;\n  ```\n```\nplain\n```\n";
    let b = blocks(md);
    assert_eq!(b.len(), 3);
    assert_eq!((b[0].line, b[0].lang.as_str(), b[0].runnable(), b[0].code.as_str()), (2, "sh", true, "echo 1\n"));
    assert_eq!((b[1].line, b[1].lang.as_str(), b[1].runnable()), (6, "rust", false));
    assert_eq!(b[1].code, "let x = 1;\n");
    assert_eq!((b[2].lang.as_str(), b[2].code.as_str()), ("", "plain\n"));
}

#[test]
fn operations_md_documents_every_config_key_and_metric() {
    let ops = std::fs::read_to_string(workspace_dir().join("docs/OPERATIONS.md")).expect("read docs/OPERATIONS.md");
    let defaults = serde_json::to_value(opengate::config::Config::default()).expect("config serializes");
    let keys = defaults.as_object().expect("an object");
    assert!(keys.len() >= 25, "{keys:?}");
    for key in keys.keys() {
        let row = format!("| `{key}` | `OPENGATE_{}`", key.to_uppercase());
        assert!(ops.contains(&row), "docs/OPERATIONS.md's configuration table lacks the row of {key} (`{row} …`)");
    }
    // The example file loads (unknown keys are refused) and validates: `opengate migrate`
    // with it, in a clean environment, the database moved to a temp SQLite file.
    let toml = blocks(&ops).into_iter().find(|b| b.lang == "toml").expect("a TOML example in docs/OPERATIONS.md");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("opengate.toml");
    std::fs::write(&path, &toml.code).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_opengate-node"))
        .env_clear()
        .env("OPENGATE_MASTER_KEY", opengate_e2e::TEST_MASTER_KEY)
        .env("OPENGATE_DATABASE_URL", format!("sqlite://{}/opengate.db", dir.path().display()))
        .arg("--config")
        .arg(&path)
        .arg("migrate")
        .output()
        .expect("run opengate migrate");
    assert!(
        out.status.success(),
        "docs/OPERATIONS.md's TOML example is refused: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
