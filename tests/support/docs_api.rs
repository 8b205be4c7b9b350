//! docs/API.md's code as tests: its fenced blocks, the world its runnable examples
//! expect (a partner app with every permission, a paying user, real grants, a source,
//! a notification receiver and a real notification of a paid order), and running one
//! block (`sh` with `bash -euo pipefail`, `js` as an ES module with node) with the
//! world's variables in its environment and the workspace root as its directory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use opengate::domain::PermissionStatus;
use opengate::inbound::sources::{self, NewSource};
use serde_json::json;
use sha2::Digest;

use crate::login::{code_for, tokens, LoginSetup, H5, PASSWORD, REDIRECT_URI};
use crate::pay::{confirm, enable_pay, new_order, order, post_json, Received, Receiver, PIN};
use crate::{create_partner, workspace_dir, TestApp};

/// The user the examples log in, pay and look up (its mask is `138****8000`).
pub const MOBILE: &str = "13800138000";
/// The source code the joint-login example names as `merchantNo`.
pub const SOURCE: &str = "qiande";
/// The trade number of the paid order whose notification the verification examples get.
pub const PAID_TRADE_NO: &str = "T-0999";

/// One fenced code block of a markdown file.
#[derive(Debug, Clone)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The info string's first word (`sh`, `js`, `rust`, …; empty when none).
    pub lang: String,
    /// The info string's other words (`runnable`, `no_run`, `excerpt`, …).
    pub attrs: Vec<String>,
    pub code: String,
}

impl Block {
    pub fn runnable(&self) -> bool {
        self.attrs.iter().any(|a| a == "runnable")
    }

    /// An `excerpt` block starts with `# From PATH:`; the rest is a verbatim part of
    /// that file. Returns (PATH, the rest).
    pub fn excerpt(&self) -> Option<(&str, &str)> {
        if !self.attrs.iter().any(|a| a == "excerpt") {
            return None;
        }
        let (first, rest) = self.code.split_once('\n').unwrap_or((&self.code, ""));
        let path = first.strip_prefix("# From ").and_then(|p| p.strip_suffix(':'));
        Some((path.unwrap_or_else(|| panic!("docs/API.md:{}: an excerpt starts with `# From PATH:`", self.line)), rest))
    }
}

/// Every fenced (```) block of `markdown`, in order. Panics on an unclosed fence.
pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    // The block being read, and the indentation of its opening fence.
    let mut open: Option<(Block, usize)> = None;
    for (i, raw) in markdown.lines().enumerate() {
        let indent = raw.len() - raw.trim_start().len();
        let line = raw.trim_start();
        if open.is_some() && line.trim_end() == "```" {
            out.extend(open.take().map(|(b, _)| b));
        } else if let Some((b, fence_indent)) = open.as_mut() {
            b.code.push_str(raw.get(indent.min(*fence_indent)..).unwrap_or(raw));
            b.code.push('\n');
        } else if let Some(info) = line.strip_prefix("```") {
            let mut words =
                info.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()).map(str::to_owned);
            let lang = words.next().unwrap_or_default();
            open = Some((Block { line: i + 1, lang, attrs: words.collect(), code: String::new() }, indent));
        }
    }
    if let Some((b, _)) = open {
        panic!("docs/API.md:{}: code fence never closed", b.line);
    }
    out
}

/// What a block did.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// The failure report: where the block is, the block, and its output.
    pub fn report(&self, b: &Block, what: &str) -> String {
        format!(
            "docs/API.md:{}: the {} block {what} (exit {:?})\n--- block ---\n{}--- stdout ---\n{}\n--- stderr ---\n{}",
            b.line, b.lang, self.code, b.code, self.stdout, self.stderr
        )
    }
}

/// Runs one runnable block with `env` added to this process's environment (minus any
/// `OG_*` of its own), from the workspace root; at most 60 s.
pub async fn run(b: &Block, env: &[(String, String)]) -> Ran {
    let root = workspace_dir();
    let (dir, mut cmd) = match b.lang.as_str() {
        "sh" | "bash" => {
            let dir = tempfile::tempdir().expect("temp dir");
            let file = dir.path().join("block.sh");
            std::fs::write(&file, &b.code).expect("write block");
            let mut c = tokio::process::Command::new("bash");
            c.args(["-xeuo", "pipefail"]).arg(&file); // -x: the trace shows which line failed
            (dir, c)
        }
        "js" => {
            // Under tools/ so that `import "standardwebhooks"` finds tools/node_modules
            // (ES modules ignore NODE_PATH).
            let dir = tempfile::Builder::new().prefix(".docs-api-").tempdir_in(root.join("tools")).expect("temp dir");
            let file = dir.path().join("block.mjs");
            std::fs::write(&file, &b.code).expect("write block");
            let mut c = tokio::process::Command::new("node");
            c.arg(&file);
            (dir, c)
        }
        other => panic!("docs/API.md:{}: no runner for runnable `{other}` blocks (sh or js)", b.line),
    };
    for (k, _) in std::env::vars() {
        if k.starts_with("OG_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = cmd.spawn().unwrap_or_else(|e| panic!("docs/API.md:{}: cannot start {}: {e}", b.line, b.lang));
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("docs/API.md:{}: the {} block ran over 60 s\n{}", b.line, b.lang, b.code))
        .expect("block output");
    drop(dir);
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The programs the blocks use. Fails (never skips) when one is missing, saying how
/// to get it.
pub fn preflight(root: &Path) {
    let mut missing = Vec::new();
    for tool in ["bash", "curl", "openssl", "jq", "xxd", "base64", "node"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            missing.push(tool);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/API.md's runnable examples need {missing:?} on PATH (Debian: apt-get install curl openssl jq xxd nodejs)"
    );
    let lib: PathBuf = root.join("tools/node_modules/standardwebhooks/package.json");
    assert!(
        lib.exists(),
        "the JavaScript notification example needs the npm package standardwebhooks: run `npm ci --prefix tools` \
         (scripts/test does it)"
    );
}

/// What the examples talk to, and the environment that tells them.
pub struct World {
    pub env: Vec<(String, String)>,
    pub receiver: Receiver,
    /// The paid order's notification as the receiver got it.
    pub notification: Received,
}

impl World {
    /// The environment with the notification's body replaced by `body`.
    pub fn env_with_body(&self, body: &str) -> Vec<(String, String)> {
        let mut env = self.env.clone();
        for (k, v) in &mut env {
            if k == "OG_NOTIFY_BODY" {
                *v = body.to_owned();
            }
        }
        env
    }
}

/// A partner app with every permission, pricing PTS → OGC at 0.1, the redirect URI
/// `https://partner.example/callback`, return host `shop.example.com`, source
/// [`SOURCE`], a notify receiver; the user [`MOBILE`] (password, PIN, 100.00 OGC) who
/// has paid [`PAID_TRADE_NO`]; two grants and two fresh codes (one with PKCE).
pub async fn world(app: &TestApp) -> World {
    let st = &app.state;
    let partner = create_partner(app).await;
    enable_pay(app, &partner).await;
    for p in ["user_lookup", "joint_login"] {
        opengate::admin::set_permission(st, &partner.app_id, p, PermissionStatus::Approved).await.expect("permission");
    }
    opengate::admin::add_return_host(st, &partner.app_id, "shop.example.com").await.expect("return host");
    opengate::admin::add_redirect_uri(st, &partner.app_id, REDIRECT_URI).await.expect("redirect uri");
    let receiver = Receiver::start().await;
    opengate::admin::set_notify_url(st, &partner.app_id, Some(&receiver.url())).await.expect("notify url");
    let source = NewSource {
        code: SOURCE.into(),
        name: "Qiande Mall".into(),
        trust: "partner_users".into(),
        app_id: Some(partner.app_id.clone()),
        adapter: "jsonapi".into(),
        ..NewSource::default()
    };
    sources::add_source(st, &source).await.expect("source");

    let user_id =
        opengate::admin::create_user(st, Some(MOBILE), None, Some(PASSWORD), "Tea Lover").await.expect("user");
    opengate::admin::credit(st, MOBILE, "OGC", "100.00", "docs examples").await.expect("credit");
    let h5 = H5::logged_in(app, MOBILE).await;
    let (status, body) = post_json(app, &h5, "/api/h5/account/pin", &json!({"new_pin": PIN})).await;
    assert_eq!(status, 200, "{body}");

    let paid = new_order(app, &partner, &order(PAID_TRADE_NO, "12.55")).await;
    let (status, body) = confirm(app, &h5, paid["order_id"].as_str().expect("order_id"), PIN).await;
    assert_eq!((status, &body["status"]), (200, &json!("paid")), "{body}");
    let notification = receiver.wait_for(1, Duration::from_secs(10)).await.remove(0);

    let login = LoginSetup { partner: partner.clone(), user_id, mobile: MOBILE.into() };
    let all = ["profile", "mobile", "wallet"];
    let a = tokens(app, &login, "openid profile mobile wallet", &all, "docs-device").await;
    let b = tokens(app, &login, "openid profile mobile", &["profile", "mobile"], "docs-device-b").await;
    let verifier = format!("docs-verifier-{}", crate::unique("v")).repeat(2);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let pkce = [("device_id", "docs-device-c"), ("code_challenge", &challenge), ("code_challenge_method", "S256")];
    let code = code_for(app, &login, &h5, "openid profile", &["profile"], &pkce).await;
    let std_code = code_for(app, &login, &h5, "openid profile", &["profile"], &[("device_id", "docs-device-d")]).await;

    let s = |v: &serde_json::Value| v.as_str().expect("string").to_owned();
    let env = [
        ("OG_BASE_URL", app.base.clone()),
        ("OG_APP_ID", partner.app_id.clone()),
        ("OG_ACCESS_KEY", partner.access_key.clone()),
        ("OG_SECRET_KEY", partner.secret_key.clone()),
        ("OG_CODE", code["code"].clone()),
        ("OG_CODE_VERIFIER", verifier),
        ("OG_STD_CODE", std_code["code"].clone()),
        ("OG_ACCESS_TOKEN", s(&a["access_token"])),
        ("OG_DEVICE_ID", "docs-device".into()),
        ("OG_REFRESH_TOKEN", s(&b["refresh_token"])),
        ("OG_NOTIFY_SECRET", partner.notify_secret.clone()),
        ("OG_WEBHOOK_ID", notification.header("webhook-id")),
        ("OG_WEBHOOK_TIMESTAMP", notification.header("webhook-timestamp")),
        ("OG_WEBHOOK_SIGNATURE", notification.header("webhook-signature")),
        ("OG_NOTIFY_BODY", String::from_utf8(notification.body.clone()).expect("utf-8 body")),
    ];
    World { env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(), receiver, notification }
}
