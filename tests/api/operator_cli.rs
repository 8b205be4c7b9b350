//! The operator's account commands run as the real binary (`opengate-node`) against
//! the database of a running server (issue 20): a password from standard input, a
//! payment PIN from `OG_NEW_PIN`, then login and payment through the H5 API; secrets
//! on the command line, bad PINs and unknown `OPENGATE_*` variables refused; set-pin
//! and set-password end the account's H5 sessions and clear its lockouts; every
//! account change is one JSON log line with user id, command and operation id.

use std::process::Stdio;
use std::time::Duration;

use opengate_e2e::login::{self, H5, PASSWORD};
use opengate_e2e::pay::{balance, confirm, enable_pay, new_order, order, setup, PIN};
use opengate_e2e::{create_partner, spawn_app, TestApp, TEST_MASTER_KEY};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

/// What one run of the binary printed.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The JSON log line of the account change `command` (exactly one).
    fn log_line(&self, command: &str) -> Value {
        let lines: Vec<Value> = self
            .stderr
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["fields"]["command"] == command)
            .collect();
        assert_eq!(lines.len(), 1, "one log line of {command}: {}", self.stderr);
        lines[0]["fields"].clone()
    }
}

/// Runs `opengate ARGS` on `app`'s database in a clean environment (plus `env`), with
/// `stdin` as standard input (empty, not a terminal, when None); JSON logs.
async fn opengate(app: &TestApp, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_opengate-node"));
    cmd.env_clear()
        .env("OPENGATE_MASTER_KEY", TEST_MASTER_KEY)
        .env("OPENGATE_DATABASE_URL", &app.database_url)
        .env("OPENGATE_LOG_FORMAT", "json")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("start opengate");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or_default().as_bytes()).await.expect("write stdin");
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("opengate finished within 60 s")
        .expect("opengate ran");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn new_mobile() -> String {
    let n: u64 = rand::Rng::gen_range(&mut rand::thread_rng(), 10_000_000..99_999_999);
    format!("138{n}")
}

/// The `usr_…` id a command printed.
fn user_id_in(out: &str) -> String {
    out.split_whitespace().find(|w| w.starts_with("usr_")).expect("a user id in the output").to_owned()
}

/// Whether the account counts as "used directly" (SPEC §12) by the §9 rules.
async fn used_directly(app: &TestApp, mobile: &str) -> bool {
    let mut c = app.state.db.pool.acquire().await.expect("connection");
    opengate::storage::inbound::account_by_mobile(&mut c, mobile).await.expect("query").expect("account").used_directly
}

/// The stored PIN hash (None: no PIN).
async fn pin_hash(app: &TestApp, user_id: &str) -> Option<String> {
    opengate::storage::pay::pin(&app.state.db.pool, user_id).await.expect("pin").map(|p| p.pin_hash)
}

/// Whether this H5 session is still logged in.
async fn logged_in(app: &TestApp, h5: &H5) -> bool {
    let status = h5.get(app, "/api/h5/account").send().await.expect("account").status();
    assert!(status == 200 || status == 401, "{status}");
    status == 200
}

#[tokio::test]
async fn an_account_made_by_command_logs_in_and_pays_with_a_pin_set_by_command() {
    let app = spawn_app().await;
    let partner = create_partner(&app).await;
    enable_pay(&app, &partner).await;
    let mobile = new_mobile();

    // The password from standard input (one line ending removed).
    let run = opengate(
        &app,
        &["user", "create", "--mobile", &mobile, "--nickname", "Tea Lover", "--password-stdin"],
        &[],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    assert!(run.ok && run.stdout.contains("created with a password"), "{}{}", run.stdout, run.stderr);
    let user_id = user_id_in(&run.stdout);
    let log = run.log_line("user create");
    assert_eq!((log["user_id"].as_str(), log["password_set"].as_bool()), (Some(user_id.as_str()), Some(true)));
    assert!(log["op_id"].as_str().is_some_and(|id| id.starts_with("op_")), "{log}");
    assert!(used_directly(&app, &mobile).await, "an account with a password is used directly");

    let run = opengate(&app, &["credit", &mobile, "OGC", "10.00"], &[("OG_OPERATION_ID", "TICKET-20.1")], None).await;
    assert!(run.ok, "{}", run.stderr);
    let log = run.log_line("credit");
    assert_eq!((log["user_id"].as_str(), log["op_id"].as_str()), (Some(user_id.as_str()), Some("TICKET-20.1")));

    // Logs in through the running server with that password.
    let h5 = H5::logged_in(&app, &mobile).await;

    // The PIN from OG_NEW_PIN; the session that was open ends.
    let run = opengate(&app, &["user", "set-pin", &mobile], &[("OG_NEW_PIN", PIN)], None).await;
    assert!(run.ok && run.stdout.contains("payment PIN of"), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("1 H5 session ended"), "{}", run.stdout);
    let log = run.log_line("user set-pin");
    assert_eq!((log["user_id"].as_str(), log["sessions_ended"].as_u64()), (Some(user_id.as_str()), Some(1)));
    assert!(!logged_in(&app, &h5).await, "set-pin ends the account's H5 sessions");
    for secret in [PASSWORD, PIN] {
        assert!(!run.stderr.contains(secret) && !run.stdout.contains(secret), "a secret in the output");
    }

    // Pays with it.
    let h5 = H5::logged_in(&app, &mobile).await;
    let o = new_order(&app, &partner, &order("T-cli-1", "20.00")).await;
    let (status, v) = confirm(&app, &h5, o["order_id"].as_str().expect("id"), PIN).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("paid")), "{v}");
    assert_eq!(balance(&app, &user_id, "OGC").await, 800, "10.00 OGC less 20.00 PTS at 0.1");
}

#[tokio::test]
async fn secrets_on_the_command_line_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let mobile = new_mobile();
    for args in [
        vec!["user", "create", "--mobile", &mobile, "--nickname", "X", "--password", "hunter2hunter2"],
        vec!["user", "create", "--mobile", &mobile, "--nickname", "X", "--password=hunter2hunter2"],
        vec!["user", "set-password", &mobile, "hunter2hunter2"],
    ] {
        let run = opengate(&app, &args, &[], None).await;
        assert!(!run.ok, "{args:?}");
        assert!(run.stderr.contains("never taken from the command line") && run.stderr.contains("--password-stdin"));
        assert!(!run.stderr.contains("hunter2"), "the refusal repeats the secret: {}", run.stderr);
    }
    assert!(opengate::admin::find_user(&app.state, &mobile).await.is_err(), "no account was made");
    let (user_id, mobile) = login::user(&app).await;
    for args in [vec!["user", "set-pin", &mobile, "--pin", "135790"], vec!["user", "set-pin", &mobile, "135790"]] {
        let run = opengate(&app, &args, &[], None).await;
        assert!(!run.ok && run.stderr.contains("--pin-stdin") && !run.stderr.contains("135790"), "{}", run.stderr);
    }
    assert_eq!(pin_hash(&app, &user_id).await, None);
    // Without any source and without a terminal: refused, saying where a password comes from.
    let run = opengate(&app, &["user", "create", "--mobile", &new_mobile(), "--nickname", "X"], &[], None).await;
    assert!(!run.ok && run.stderr.contains("no password given") && run.stderr.contains("OG_NEW_PASSWORD"));
}

#[tokio::test]
async fn unknown_opengate_variables_still_stop_the_server_naming_them() {
    let app = spawn_app().await;
    let serve = ["serve"];
    let listen = ("OPENGATE_LISTEN", "127.0.0.1:0");
    let run = opengate(&app, &serve, &[listen, ("OPENGATE_NEW_PASSWORD", "hunter2hunter2")], None).await;
    assert!(!run.ok, "started with an unknown key: {}", run.stdout);
    assert!(
        run.stderr.contains("OPENGATE_NEW_PASSWORD is not a configuration key")
            && run.stderr.contains("--password-stdin")
            && run.stderr.contains("OG_NEW_PASSWORD"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    let run = opengate(&app, &serve, &[listen, ("OPENGATE_NOTIFY_POL_MS", "100")], None).await;
    assert!(!run.ok && run.stderr.contains("did you mean OPENGATE_NOTIFY_POLL_MS?"), "{}", run.stderr);
    // Variables meant for commands, and --config's own, are no configuration keys.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("opengate.toml");
    std::fs::write(&file, "log_format = \"json\"\n").expect("write");
    let file = file.to_str().expect("utf-8 path");
    let vars = [("OG_NEW_PASSWORD", "x"), ("OG_NEW_PIN", "x"), ("OPENGATE_CONFIG", file)];
    let run = opengate(&app, &["migrate"], &vars, None).await;
    assert!(run.ok, "{}", run.stderr);
}

#[tokio::test]
async fn set_pin_refuses_a_bad_pin_and_changes_nothing() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let before = pin_hash(&app, &s.user_id).await;
    for (stdin, var) in [(Some("12345\n"), None), (Some("12a456\n"), None), (Some("\n"), None), (None, Some("1234567"))]
    {
        let mut args = vec!["user", "set-pin", &s.mobile];
        if stdin.is_some() {
            args.push("--pin-stdin");
        }
        let env: Vec<(&str, &str)> = var.map(|v| ("OG_NEW_PIN", v)).into_iter().collect();
        let run = opengate(&app, &args, &env, stdin).await;
        assert!(!run.ok, "{stdin:?} {var:?}: {}", run.stdout);
        assert!(run.stderr.contains("exactly 6 digits") || run.stderr.contains("empty"), "{}", run.stderr);
        assert!(run.stderr.contains("nothing changed"), "{}", run.stderr);
    }
    let run = opengate(&app, &["user", "set-pin", "nobody@example.com"], &[("OG_NEW_PIN", "135790")], None).await;
    assert!(!run.ok && run.stderr.contains("no user"), "{}", run.stderr);
    assert_eq!(pin_hash(&app, &s.user_id).await, before, "the PIN is unchanged");
    assert!(logged_in(&app, &s.h5).await, "the session is still open");
    let o = new_order(&app, &s.partner, &order("T-cli-2", "1.00")).await;
    let (status, v) = confirm(&app, &s.h5, o["order_id"].as_str().expect("id"), PIN).await;
    assert_eq!(status, 200, "the old PIN still pays: {v}");
}

#[tokio::test]
async fn set_pin_ends_sessions_and_clears_a_pin_lockout() {
    let app = spawn_app().await;
    let s = setup(&app, "100.00").await;
    let second = H5::logged_in(&app, &s.mobile).await;
    let o = new_order(&app, &s.partner, &order("T-cli-3", "1.00")).await;
    let id = o["order_id"].as_str().expect("id").to_owned();
    for _ in 0..5 {
        confirm(&app, &s.h5, &id, "000000").await;
    }
    let (status, v) = confirm(&app, &s.h5, &id, PIN).await;
    assert_eq!((status, v["error"].as_str()), (429, Some("pin_locked")), "{v}");

    let run = opengate(&app, &["user", "set-pin", &s.user_id, "--pin-stdin"], &[], Some("135790")).await;
    assert!(run.ok && run.stdout.contains("2 H5 sessions ended"), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.log_line("user set-pin")["sessions_ended"], 2);
    assert!(!logged_in(&app, &s.h5).await && !logged_in(&app, &second).await);
    let (status, v) = confirm(&app, &s.h5, &id, "135790").await;
    assert_eq!((status, v["error"].as_str()), (403, Some("csrf")), "an ended session cannot pay: {v}");

    // At once (no waiting out the lock): the new PIN pays, the old one is wrong.
    let h5 = H5::logged_in(&app, &s.mobile).await;
    let (status, v) = confirm(&app, &h5, &id, PIN).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("wrong_pin")), "{v}");
    let (status, v) = confirm(&app, &h5, &id, "135790").await;
    assert_eq!((status, v["status"].as_str()), (200, Some("paid")), "{v}");
}

#[tokio::test]
async fn set_password_gives_one_ends_sessions_and_clears_a_login_lockout() {
    let app = spawn_app().await;
    let mobile = new_mobile();
    let args = ["user", "create", "--mobile", &mobile, "--nickname", "Later", "--no-password"];
    let run = opengate(&app, &args, &[], None).await;
    assert!(run.ok && run.stdout.contains("without a password"), "{}{}", run.stdout, run.stderr);
    assert!(!used_directly(&app, &mobile).await);

    let run = opengate(&app, &["user", "set-password", &mobile], &[("OG_NEW_PASSWORD", PASSWORD)], None).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.log_line("user set-password")["user_id"].as_str(), Some(user_id_in(&run.stdout).as_str()));
    assert!(used_directly(&app, &mobile).await, "setting a password makes the account used directly");
    let h5 = H5::logged_in(&app, &mobile).await;

    // Five wrong passwords lock the login; a new password opens it and ends the session.
    let mut other = H5::new(&app).await;
    for _ in 0..5 {
        other.login(&app, &mobile, "wrong password").await;
    }
    assert_eq!(other.login(&app, &mobile, PASSWORD).await.0, 429);
    let run =
        opengate(&app, &["user", "set-password", &mobile, "--password-stdin"], &[], Some("a new long password\n"))
            .await;
    assert!(run.ok && run.stdout.contains("1 H5 session ended, login lockout cleared"), "{}", run.stdout);
    assert!(!logged_in(&app, &h5).await);
    let mut fresh = H5::new(&app).await;
    assert_eq!(fresh.login(&app, &mobile, PASSWORD).await.0, 401, "the old password no longer works");
    let (status, body) = fresh.login(&app, &mobile, "a new long password").await;
    assert_eq!(status, 200, "{body}");

    // The password rule is the login's: too short, or a line break, is refused.
    for bad in ["short\n", "two\nlines here\n"] {
        let run = opengate(&app, &["user", "set-password", &mobile, "--password-stdin"], &[], Some(bad)).await;
        assert!(!run.ok && run.stderr.contains("nothing changed"), "{}", run.stderr);
    }
    let (status, _) = H5::new(&app).await.login(&app, &mobile, "a new long password").await;
    assert_eq!(status, 200);
}

/// Reads the child's output until it contains `marker` (or 30 s pass); returns all so far.
async fn read_until(out: &mut tokio::process::ChildStdout, seen: &mut String, marker: &str) {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let mut buf = [0u8; 1024];
    while !seen.contains(marker) {
        let n = tokio::time::timeout_at(deadline, out.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("no {marker:?} in {seen:?}"))
            .expect("read");
        assert!(n > 0, "output ended before {marker:?}: {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

/// On a terminal (a pseudo-terminal made by util-linux `script`), `set-password` asks
/// twice and the typed password is not echoed.
#[tokio::test]
async fn set_password_prompts_on_a_terminal_without_echo() {
    let Some(script) = ["/usr/bin/script", "/bin/script"].into_iter().find(|p| std::path::Path::new(p).exists()) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    let app = spawn_app().await;
    let (_, mobile) = login::user(&app).await;
    let line = format!("'{}' user set-password {mobile}", env!("CARGO_BIN_EXE_opengate-node"));
    let mut child = tokio::process::Command::new(script)
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env_clear()
        .env("OPENGATE_MASTER_KEY", TEST_MASTER_KEY)
        .env("OPENGATE_DATABASE_URL", &app.database_url)
        .env("OPENGATE_LOG_FORMAT", "json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start script");
    let mut input = child.stdin.take().expect("stdin");
    let mut output = child.stdout.take().expect("stdout");
    let mut seen = String::new();
    // rpassword writes the prompt, then turns echo off: give it a moment to do so.
    read_until(&mut output, &mut seen, "New password: ").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    input.write_all(b"typed on a terminal\r").await.expect("type");
    read_until(&mut output, &mut seen, "The password again: ").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    input.write_all(b"typed on a terminal\r").await.expect("type");
    read_until(&mut output, &mut seen, "password of usr_").await;
    drop(input);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("ends").expect("status");
    assert!(status.success(), "{seen}");
    assert!(!seen.contains("typed on"), "the password was echoed: {seen:?}");
    let (status, body) = H5::new(&app).await.login(&app, &mobile, "typed on a terminal").await;
    assert_eq!(status, 200, "{body}");
}

/// `opengate order statement APP --date …` prints the same CSV partners fetch.
#[tokio::test]
async fn the_operator_prints_an_apps_statement_as_partners_get_it() {
    let app = spawn_app().await;
    let s = setup(&app, "10.00").await;
    let o = new_order(&app, &s.partner, &order("T-CLI-ST", "12.55")).await;
    assert_eq!(confirm(&app, &s.h5, o["order_id"].as_str().expect("id"), PIN).await.0, 200);
    let body = serde_json::json!({"refund_no": "RF-CLI", "amount": "2.00"});
    let r = login::signed_post(&app, &s.partner, "/open/v1/pay/orders/T-CLI-ST/refunds", &body).await;
    assert_eq!(r.0, 200, "{}", r.2);
    let today = time::OffsetDateTime::from_unix_timestamp(app.clock.now_secs()).expect("now").date().to_string();
    let mut sg = opengate_e2e::Signed::new(&s.partner, "GET", &format!("/open/v1/pay/statements?date={today}"), b"");
    sg.timestamp = app.clock.now_secs();
    let csv = sg.request(&app).send().await.expect("statement").text().await.expect("text");
    let run = opengate(&app, &["order", "statement", &s.partner.app_id, "--date", &today], &[], None).await;
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.trim_end(), csv.trim_end());
    assert!(run.stdout.contains(",RF-CLI,"), "{}", run.stdout);
    assert!(run.stderr.contains("not over yet"), "{}", run.stderr);
    let bad = opengate(&app, &["order", "statement", &s.partner.app_id, "--date", "2026-13-01"], &[], None).await;
    assert!(!bad.ok);
    assert!(bad.stderr.contains("date: must be a UTC day as YYYY-MM-DD"), "{}", bad.stderr);
}
