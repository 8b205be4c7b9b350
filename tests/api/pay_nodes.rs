//! Durability and multi-node delivery with real backend processes (the `opengate`
//! binary, built as `opengate-node`): a process SIGKILLed right after a confirmation
//! — in the middle of delivering its notification — loses nothing: the next process
//! delivers it (same notification id). Two processes on one database deliver each
//! notification exactly once. Runs on SQLite and, with OPENGATE_TEST_DB=postgres, on
//! PostgreSQL.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use opengate_e2e::pay::{enable_pay, new_order, order, Answer, Receiver};
use opengate_e2e::{create_partner, fresh_database, spawn_on_database_with, workspace_dir, TEST_MASTER_KEY};
use serde_json::{json, Value};

/// A backend process; killed (SIGKILL) when dropped.
struct Node {
    child: Child,
    log: std::path::PathBuf,
    base: String,
    http: reqwest::Client,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    async fn start(database_url: &str) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let log = std::env::temp_dir().join(format!("opengate-node-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_opengate-node"))
            .arg("serve")
            .env_remove("DATABASE_URL")
            .env_remove("OPENGATE_TEST_DB")
            .env("OPENGATE_DATABASE_URL", database_url)
            .env("OPENGATE_MASTER_KEY", TEST_MASTER_KEY)
            .env("OPENGATE_LISTEN", format!("127.0.0.1:{port}"))
            .env("OPENGATE_H5_DIR", workspace_dir().join("dist"))
            .env("OPENGATE_OUTBOUND_ALLOW_CIDRS", "[\"127.0.0.0/8\"]")
            .env("OPENGATE_NOTIFY_POLL_MS", "50")
            .env("OPENGATE_NOTIFY_TIMEOUT_MS", "1000")
            .env("OPENGATE_NOTIFY_LEASE_MS", "3000")
            .env("OPENGATE_DATABASE_MAX_CONNECTIONS", "4")
            .env("OPENGATE_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("start the backend process");
        let mut node = Node { child, log, base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = node.http.get(format!("{}/readyz", node.base)).send().await {
                if r.status() == 200 {
                    return node;
                }
            }
            let exited = node.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(&node.log).unwrap_or_default();
                panic!("the backend process did not become ready ({exited:?}):\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown hook, no flush.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Logs in through this process's H5 API; returns (cookie, csrf).
    async fn login(&self, account: &str, password: &str) -> (String, String) {
        let r = self.http.get(format!("{}/api/h5/session", self.base)).send().await.expect("session");
        let cookie = cookie_of(&r);
        let v: Value = r.json().await.expect("json");
        let r = self
            .http
            .post(format!("{}/api/h5/login", self.base))
            .header("cookie", format!("og_session={cookie}"))
            .header("x-csrf-token", v["csrf_token"].as_str().expect("csrf"))
            .json(&json!({"account": account, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 200);
        let cookie = cookie_of(&r);
        let v: Value = r.json().await.expect("json");
        (cookie, v["csrf_token"].as_str().expect("csrf").to_owned())
    }
}

fn cookie_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next()?.strip_prefix("og_session=").map(str::to_owned))
        .expect("session cookie")
}

#[tokio::test]
async fn a_backend_killed_right_after_confirmation_delivers_after_restart() {
    let (url, dir) = fresh_database().await;
    let dir = dir.map(std::sync::Arc::new);
    // An in-process server without workers prepares the partner, the user and the order.
    let setup = spawn_on_database_with(&url, dir.clone(), |c| c.worker_enabled = false).await;
    let p = create_partner(&setup).await;
    enable_pay(&setup, &p).await;
    let rx = Receiver::start().await;
    rx.script(&[Answer::Hang]);
    opengate::admin::set_notify_url(&setup.state, &p.app_id, Some(&rx.url())).await.expect("notify url");
    let (user_id, mobile) = opengate_e2e::login::user(&setup).await;
    opengate::admin::credit(&setup.state, &mobile, "OGC", "10.00", "test").await.expect("credit");
    opengate::pay::confirm::set_pin(&setup.state, &user_id, None, opengate_e2e::pay::PIN).await.expect("pin");
    let o = new_order(&setup, &p, &order("T-crash", "10.00")).await;
    let order_id = o["order_id"].as_str().expect("id").to_owned();

    // Process A confirms; its worker starts delivering; the partner does not answer.
    let a = Node::start(&url).await;
    let (cookie, csrf) = a.login(&mobile, opengate_e2e::login::PASSWORD).await;
    let r = a
        .http
        .post(format!("{}/api/h5/pay/{order_id}/confirm", a.base))
        .header("cookie", format!("og_session={cookie}"))
        .header("x-csrf-token", csrf)
        .json(&json!({"pin": opengate_e2e::pay::PIN}))
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 200);
    let first = rx.wait_for(1, Duration::from_secs(20)).await[0].clone();
    a.kill();

    // Process B picks the notification up once A's lease has run out.
    let b = Node::start(&url).await;
    let got = rx.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(got[1].header("webhook-id"), first.header("webhook-id"), "the same notification, delivered again");
    assert_eq!(got[1].json()["data"]["order_id"], order_id.as_str());
    opengate_e2e::pay::verify_with_reference_library(&got[1], &p.notify_secret);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = opengate::admin::order_deliveries(&setup.state, &order_id).await.expect("log");
        if log[0].status == "delivered" {
            break;
        }
        assert!(Instant::now() < deadline, "not recorded as delivered: {:?}", log[0]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Paid once, charged once.
    assert_eq!(opengate_e2e::pay::balance(&setup, &user_id, "OGC").await, 10_00 - 1_00);
    let order = opengate::storage::pay::get_order(&setup.state.db.pool, &order_id).await.expect("get").expect("order");
    assert_eq!(order.status, "paid");
    drop(b);
    setup.stop().await;
}

#[tokio::test]
async fn two_backend_processes_deliver_each_notification_once() {
    let (url, dir) = fresh_database().await;
    let dir = dir.map(std::sync::Arc::new);
    let setup = spawn_on_database_with(&url, dir.clone(), |c| c.worker_enabled = false).await;
    let p = create_partner(&setup).await;
    enable_pay(&setup, &p).await;
    let rx = Receiver::start().await;
    rx.fallback(Answer::Slow(Duration::from_millis(5)));
    // 400 paid orders' notifications, written as a confirmation writes them.
    let o = new_order(&setup, &p, &order("T-nodes", "1.00")).await;
    let order_id = o["order_id"].as_str().expect("id").to_owned();
    let n = 400;
    let now = setup.clock.now_ms();
    let mut w = setup.state.db.begin_write().await.expect("tx");
    for i in 0..n {
        let id = format!("evt_nodes{i}");
        opengate::storage::notify::insert(
            &mut w.tx,
            &opengate::storage::notify::NewNotification {
                id: &id,
                order_id: &order_id,
                app_id: &p.app_id,
                event_type: "payment.succeeded",
                url: &rx.url(),
                payload: "{}",
                now,
            },
        )
        .await
        .expect("insert");
    }
    w.commit().await.expect("commit");
    let (a, b) = tokio::join!(Node::start(&url), Node::start(&url));
    let got = rx.wait_for(n, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = if rx.count() > got.len() { rx.received() } else { got };
    let ids: HashSet<String> = got.iter().map(|r| r.header("webhook-id")).collect();
    assert_eq!(ids.len(), n, "every notification arrived");
    assert_eq!(got.len(), n, "no notification was sent twice");
    let (delivered,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE status = 'delivered'")
        .fetch_one(&setup.state.db.pool)
        .await
        .expect("count");
    let (attempts,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM notification_attempts").fetch_one(&setup.state.db.pool).await.expect("n");
    assert_eq!((delivered, attempts), (n as i64, n as i64));
    drop((a, b));
    setup.stop().await;
}

/// SPEC §13 under a crash: a refund storm against a backend process that is SIGKILLed
/// mid-storm, then every request sent again (as a partner retries what it did not get
/// an answer for) to a new process: no refund lost, none doubled, the money adds up,
/// and each refund is notified.
#[tokio::test]
async fn a_backend_killed_in_a_refund_storm_loses_no_refund_and_doubles_none() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let (url, dir) = fresh_database().await;
    let dir = dir.map(std::sync::Arc::new);
    let setup = spawn_on_database_with(&url, dir.clone(), |c| c.worker_enabled = false).await;
    let p = create_partner(&setup).await;
    enable_pay(&setup, &p).await;
    let rx = Receiver::start().await;
    opengate::admin::set_notify_url(&setup.state, &p.app_id, Some(&rx.url())).await.expect("notify url");
    let (user_id, _, h5) = opengate_e2e::pay::payer(&setup, "50.00").await;
    // 40 paid orders of 10.00 PTS (1.00 OGC each), each to be refunded 3.00 + 3.00 + 4.00.
    let orders = 40;
    for i in 0..orders {
        let o = new_order(&setup, &p, &order(&format!("T-storm{i}"), "10.00")).await;
        let (status, body) =
            opengate_e2e::pay::confirm(&setup, &h5, o["order_id"].as_str().expect("id"), opengate_e2e::pay::PIN).await;
        assert_eq!(status, 200, "{body}");
    }
    let sums = |pool: sqlx::AnyPool| async move {
        let q = |sql: &'static str| {
            let pool = pool.clone();
            async move {
                let (v,): (Option<i64>,) = sqlx::query_as(sql).fetch_one(&pool).await.expect(sql);
                v.unwrap_or(0)
            }
        };
        (
            q("SELECT CAST(SUM(amount) AS BIGINT) FROM balances").await
                + q("SELECT CAST(SUM(amount) AS BIGINT) FROM merchant_balances").await,
            q("SELECT CAST(SUM(delta) AS BIGINT) FROM ledger_entries").await,
            q("SELECT CAST(SUM(amount) AS BIGINT) FROM balances").await,
        )
    };
    let before = sums(setup.state.db.pool.clone()).await;
    let requests: Vec<(String, Vec<u8>)> = (0..orders)
        .flat_map(|i| {
            [("a", "3.00"), ("b", "3.00"), ("c", "4.00")].map(|(k, amount)| {
                let body = json!({"refund_no": format!("RF-storm{i}{k}"), "amount": amount});
                (format!("/open/v1/pay/orders/T-storm{i}/refunds"), serde_json::to_vec(&body).expect("json"))
            })
        })
        .collect();

    // The storm against process A, killed once a few refunds were answered.
    let a = Node::start(&url).await;
    let answered = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (path, body) in requests.clone() {
        let (http, base, p, answered) = (a.http.clone(), a.base.clone(), p.clone(), answered.clone());
        tasks.push(tokio::spawn(async move {
            let r = opengate_e2e::Signed::new(&p, "POST", &path, &body).request_to(&http, &base).send().await;
            let v: Option<Value> = match r {
                Ok(r) if r.status() == 200 => r.json().await.ok(),
                _ => None,
            };
            answered.fetch_add(1, Ordering::SeqCst);
            v.map(|v| (v["data"]["refund_no"].as_str().unwrap_or_default().to_owned(), v["data"]["refund_id"].clone()))
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while answered.load(Ordering::SeqCst) < 15 {
        assert!(Instant::now() < deadline, "the storm got no answers");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    a.kill();
    let mut first: std::collections::HashMap<String, Value> = std::collections::HashMap::new();
    for t in tasks {
        if let Some((no, id)) = t.await.expect("task") {
            first.insert(no, id);
        }
    }
    assert!(first.len() < requests.len(), "the kill came before the storm ended ({} answered)", first.len());
    eprintln!("refund storm: {} of {} answered before SIGKILL", first.len(), requests.len());

    // Every request again, to process B: answered refunds answer the same refund.
    let b = Node::start(&url).await;
    for (path, body) in &requests {
        let r =
            opengate_e2e::Signed::new(&p, "POST", path, body).request_to(&b.http, &b.base).send().await.expect("send");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["data"]["status"], "succeeded", "{v}");
        let no = v["data"]["refund_no"].as_str().expect("refund_no").to_owned();
        if let Some(id) = first.get(&no) {
            assert_eq!(&v["data"]["refund_id"], id, "{no} answered as the same refund");
        }
    }
    let pool = setup.state.db.pool.clone();
    let (refunds,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM refunds").fetch_one(&pool).await.expect("count");
    assert_eq!(refunds, requests.len() as i64, "no refund lost, none doubled");
    let (bad,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM orders WHERE trade_no LIKE 'T-storm%' AND (refunded_amount <> amount OR refunded_settle <> settle_amount)",
    )
    .fetch_one(&pool)
    .await
    .expect("orders");
    assert_eq!(bad, 0, "every order refunded exactly once in full");
    assert_eq!(opengate_e2e::pay::balance(&setup, &user_id, "OGC").await, 50_00, "the payer has every cent back");
    assert_eq!(opengate_e2e::pay::merchant_balance(&setup, &p.app_id, "OGC").await, 0);
    let after = sums(pool.clone()).await;
    assert_eq!(after.0, before.0, "no money made or lost");
    assert_eq!(after.1, after.2, "the user journal agrees with the balances");

    // Each refund is notified, at least once (B's worker delivers what A left).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ids: HashSet<String> = rx
            .received()
            .iter()
            .filter(|r| r.json()["type"] == "refund.succeeded")
            .filter_map(|r| r.json()["data"]["refund_no"].as_str().map(str::to_owned))
            .collect();
        if ids.len() == requests.len() {
            break;
        }
        assert!(Instant::now() < deadline, "{} of {} refunds notified", ids.len(), requests.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (notes,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE event_type = 'refund.succeeded'")
        .fetch_one(&pool)
        .await
        .expect("notes");
    assert_eq!(notes, requests.len() as i64, "one notification per refund");
    drop(b);
    setup.stop().await;
}
