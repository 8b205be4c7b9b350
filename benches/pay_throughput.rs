//! Payment throughput over loopback (issue 4), with the unsigned `GET /healthz`
//! ("hello") of the same server in the same run for scale:
//! - order creation: signed `POST /open/v1/pay/orders`, a new trade_no per request;
//! - confirmations on one hot balance: `POST /api/h5/pay/{id}/confirm` by one user;
//! - confirmations on many balances: the same, spread over 64 users;
//! - notifications delivered per second to a loopback receiver (HTTP 200);
//! - the worker's poll with 1,000,000 future retries pending: time of the due-rows
//!   claim and the process's resident memory, before and after they are added.
//!
//! Signatures, sessions and pending orders are made before the clock starts.
//! Run: `cargo bench -p opengate-e2e --bench pay_throughput` (SQLite; set
//! `OPENGATE_TEST_DB=postgres TEST_DATABASE_URL=…` for PostgreSQL).
//! Env: BENCH_SECS (default 5), BENCH_CONCURRENCY (default 32), BENCH_NOTIFY (default
//! 20000 notifications), BENCH_FUTURE (default 1000000 future retries).
//! Targets: ≥ 2,000 confirmations/s on SQLite; ≥ 3,000 deliveries/s.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opengate_e2e::bench::{env_num, pct, pts_order, run, MakeReq};
use opengate_e2e::pay::{enable_pay, Receiver, PIN};
use opengate_e2e::{create_partner, new_nonce, spawn_app_with, Signed, TestApp};

/// `(timestamp, nonce, signature, body)` of one pre-signed request.
type SignedBody = (String, String, String, Vec<u8>);

fn line(name: &str, rps: f64, lat: &[u32], hello: f64) {
    println!(
        "{name:<44} {rps:>9.0} req/s  p50 {:>6} µs  p99 {:>6} µs  {:>5.1}% of hello",
        pct(lat, 0.5),
        pct(lat, 0.99),
        rps / hello * 100.0
    );
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// A logged-in session for `user_id` with the PIN set: (cookie, csrf).
async fn session(app: &TestApp, user_id: &str) -> (String, String) {
    let st = &app.state;
    opengate::pay::confirm::set_pin(st, user_id, None, PIN).await.expect("pin");
    let cookie = opengate::login::session::create(st, Some(user_id)).await.expect("session");
    let s = opengate::login::session::load(st, &cookie).await.expect("load").expect("live");
    (cookie, s.csrf_token)
}

/// `n` pending orders of 1.00 PTS (0.10 OGC) written straight to storage.
async fn pending_orders(app: &TestApp, app_id: &str, n: usize, tag: &str) -> Vec<String> {
    let now = app.clock.now_ms();
    let mut ids = Vec::with_capacity(n);
    let mut tx = app.state.db.pool.begin().await.expect("tx");
    for i in 0..n {
        let o = pts_order(app_id, format!("B-{tag}-{i}"), 100, 10, now);
        opengate::storage::pay::insert_order(&mut *tx, &o, now).await.expect("order");
        ids.push(o.id);
    }
    tx.commit().await.expect("commit");
    ids
}

fn confirm_req(base: String, orders: Arc<Vec<String>>, sessions: Arc<Vec<(String, String)>>) -> MakeReq {
    Arc::new(move |c, i| {
        let id = orders.get(i)?;
        let (cookie, csrf) = &sessions[i % sessions.len()];
        Some(
            c.post(format!("{base}/api/h5/pay/{id}/confirm"))
                .header("cookie", format!("og_session={cookie}"))
                .header("x-csrf-token", csrf)
                .header("content-type", "application/json")
                .body(format!("{{\"pin\":\"{PIN}\"}}")),
        )
    })
}

async fn delivered(app: &TestApp) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notifications WHERE status = 'delivered'")
        .fetch_one(&app.state.db.pool)
        .await
        .expect("count");
    n
}

/// Average time of the worker's claim when nothing is due (its query, as it runs it).
async fn idle_claim_ms(app: &TestApp) -> f64 {
    let rounds = 200;
    let t = Instant::now();
    for _ in 0..rounds {
        let mut w = app.state.db.begin_write().await.expect("tx");
        let due = opengate::storage::notify::claim_due(
            &mut w.tx,
            app.state.db.kind,
            app.clock.now_ms(),
            60_000,
            "bench",
            256,
        )
        .await
        .expect("claim");
        assert!(due.is_empty());
        w.rollback().await.expect("rollback");
    }
    t.elapsed().as_secs_f64() * 1000.0 / rounds as f64
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let secs = env_num("BENCH_SECS", 5);
        let conc = env_num("BENCH_CONCURRENCY", 32) as usize;
        let n_notify = env_num("BENCH_NOTIFY", 20_000) as usize;
        let n_future = env_num("BENCH_FUTURE", 1_000_000) as usize;
        let pool = env_num("BENCH_POOL", opengate::config::Config::default().database_max_connections as u64) as u32;
        let app = spawn_app_with(|c| {
            c.database_max_connections = pool;
            c.notify_poll_ms = 100;
            // One app at full speed: the per-app request limit would measure itself.
            c.rate_limit_per_second = 0;
        })
        .await;
        let backend = if opengate_e2e::use_postgres() { "PostgreSQL" } else { "SQLite" };
        let p = create_partner(&app).await;
        enable_pay(&app, &p).await;

        // Users: one hot payer and 64 others, each with plenty of OGC.
        let mut users = Vec::new();
        for _ in 0..65 {
            let (id, mobile) = opengate_e2e::login::user(&app).await;
            opengate::admin::credit(&app.state, &mobile, "OGC", "100000000.00", "bench").await.expect("credit");
            users.push(id);
        }
        let mut sessions = Vec::new();
        for u in &users {
            sessions.push(session(&app, u).await);
        }
        let hot = Arc::new(vec![sessions[0].clone()]);
        let many = Arc::new(sessions[1..].to_vec());
        let hot_orders = Arc::new(pending_orders(&app, &p.app_id, 6_000 * secs as usize, "hot").await);
        let many_orders = Arc::new(pending_orders(&app, &p.app_id, 6_000 * secs as usize, "many").await);

        // Signed order creations, signed in advance.
        let n_create = 10_000 * secs as usize;
        let bodies: Arc<Vec<SignedBody>> = Arc::new(
            (0..n_create)
                .map(|i| {
                    let body = serde_json::to_vec(&serde_json::json!({
                        "trade_no": format!("C-{i}"), "amount": "12.50", "currency": "PTS", "subject": "Green tea"
                    }))
                    .expect("json");
                    let s = Signed { nonce: new_nonce(), ..Signed::new(&p, "POST", "/open/v1/pay/orders", &body) };
                    (s.timestamp.to_string(), s.nonce.clone(), s.signature(), body)
                })
                .collect(),
        );

        let client = reqwest::Client::builder().pool_max_idle_per_host(conc).build().expect("client");
        let hello_url = app.url("/healthz");
        let hello: MakeReq = Arc::new(move |c, _| Some(c.get(&hello_url)));
        let create_url = app.url("/open/v1/pay/orders");
        let ak = p.access_key.clone();
        let create: MakeReq = Arc::new(move |c, i| {
            let (ts, nonce, sig, body) = bodies.get(i)?;
            Some(
                c.post(&create_url)
                    .header("X-OG-AccessKey", &ak)
                    .header("X-OG-Timestamp", ts)
                    .header("X-OG-Nonce", nonce)
                    .header("X-OG-Signature", sig)
                    .header("content-type", "application/json")
                    .body(body.clone()),
            )
        });

        run(&client, hello.clone(), 1, conc).await; // warm-up
        let (h, hl) = run(&client, hello, secs, conc).await;
        let (c, cl) = run(&client, create, secs, conc).await;
        let (x, xl) = run(&client, confirm_req(app.base.clone(), hot_orders, hot), secs, conc).await;
        let (y, yl) = run(&client, confirm_req(app.base.clone(), many_orders, many), secs, conc).await;
        println!("pay throughput, {backend}, {conc} connections, {secs} s each, 2 cores shared by client and server");
        line("hello GET /healthz", h, &hl, h);
        line("order creation POST /open/v1/pay/orders", c, &cl, h);
        line("confirmations, one hot balance", x, &xl, h);
        line("confirmations, 64 balances", y, &yl, h);

        // Notifications: n rows due now, delivered to a loopback receiver answering 200.
        let rx = Receiver::start().await;
        let already = delivered(&app).await;
        let orders = pending_orders(&app, &p.app_id, n_notify, "notify").await;
        let now = app.clock.now_ms();
        let t = Instant::now();
        let mut w = app.state.db.begin_write().await.expect("tx");
        for (i, o) in orders.iter().enumerate() {
            let id = format!("evt_bench{i}");
            let n = opengate::storage::notify::NewNotification {
                id: &id,
                order_id: o,
                app_id: &p.app_id,
                event_type: "payment.succeeded",
                url: &rx.url(),
                payload: r#"{"bench":true}"#,
                now,
            };
            opengate::storage::notify::insert(&mut w.tx, &n).await.expect("insert");
        }
        w.commit().await.expect("commit");
        let insert_ms = t.elapsed().as_millis();
        app.state.notifier.wake();
        let t = Instant::now();
        while delivered(&app).await < already + n_notify as i64 {
            assert!(t.elapsed() < Duration::from_secs(600), "deliveries stalled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let dps = n_notify as f64 / t.elapsed().as_secs_f64();
        println!(
            "{:<44} {dps:>9.0} /s     ({n_notify} notifications, enqueued in {insert_ms} ms, receiver got {})",
            "notifications delivered (HTTP 200)",
            rx.count()
        );

        // A million future retries: the idle poll and memory, before and after.
        let idle_before = idle_claim_ms(&app).await;
        let rss_before = rss_kib();
        let future_order = pending_orders(&app, &p.app_id, 1, "future").await.remove(0);
        let later = app.clock.now_ms() + 86_400_000;
        let t = Instant::now();
        let chunk = 10_000;
        let mut done = 0;
        while done < n_future {
            let mut w = app.state.db.begin_write().await.expect("tx");
            for i in done..(done + chunk).min(n_future) {
                sqlx::query(
                    "INSERT INTO notifications (id, order_id, app_id, event_type, url, payload, status, attempts, \
                     created_at, first_attempt_at, next_attempt_at, updated_at) \
                     VALUES ($1, $2, $3, 'payment.succeeded', 'http://127.0.0.1:9/', '{}', 'pending', 3, $4, $4, $5, $4)",
                )
                .bind(format!("evt_future{i}"))
                .bind(&future_order)
                .bind(&p.app_id)
                .bind(now)
                .bind(later)
                .execute(&mut *w.tx)
                .await
                .expect("insert");
            }
            w.commit().await.expect("commit");
            done = (done + chunk).min(n_future);
        }
        let fill_s = t.elapsed().as_secs_f64();
        if app.state.db.kind == opengate::storage::DbKind::Sqlite {
            sqlx::query("ANALYZE").execute(&app.state.db.pool).await.expect("analyze");
        }
        tokio::time::sleep(Duration::from_secs(2)).await; // several worker polls
        let idle_after = idle_claim_ms(&app).await;
        let rss_after = rss_kib();
        println!(
            "idle claim (nothing due): {idle_before:.3} ms with 0 future retries, {idle_after:.3} ms with {n_future} \
             (filled in {fill_s:.1} s); process RSS {} MiB → {} MiB",
            rss_before / 1024,
            rss_after / 1024
        );
        // And deliveries still flow at the same pace beside them.
        let rx2 = Receiver::start().await;
        let again = delivered(&app).await;
        let orders = pending_orders(&app, &p.app_id, n_notify / 4, "notify2").await;
        let now = app.clock.now_ms();
        let mut w = app.state.db.begin_write().await.expect("tx");
        for (i, o) in orders.iter().enumerate() {
            let id = format!("evt_bench2_{i}");
            let n = opengate::storage::notify::NewNotification {
                id: &id,
                order_id: o,
                app_id: &p.app_id,
                event_type: "payment.succeeded",
                url: &rx2.url(),
                payload: r#"{"bench":true}"#,
                now,
            };
            opengate::storage::notify::insert(&mut w.tx, &n).await.expect("insert");
        }
        w.commit().await.expect("commit");
        app.state.notifier.wake();
        let t = Instant::now();
        while delivered(&app).await < again + (n_notify / 4) as i64 {
            assert!(t.elapsed() < Duration::from_secs(600), "deliveries stalled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!(
            "{:<44} {:>9.0} /s     (with {n_future} future retries pending)",
            "notifications delivered (HTTP 200)",
            (n_notify / 4) as f64 / t.elapsed().as_secs_f64()
        );
        app.stop().await;
    });
}
