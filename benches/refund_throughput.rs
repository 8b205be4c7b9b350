//! Refund throughput over loopback (issue 16), with the unsigned `GET /healthz`
//! ("hello") of the same server in the same run for scale: signed
//! `POST /open/v1/pay/orders/{trade_no}/refunds`, each a full refund of its own paid
//! order (the payer's balance credited, the merchant debited, both journals and a
//! `refund.succeeded` outbox row per refund), and partial refunds of 256 orders in
//! turn (concurrent ones of one order queue on its refund totals).
//!
//! Paid orders are written straight to storage and the requests signed before the
//! clock starts. Run: `cargo bench -p opengate-e2e --bench refund_throughput` (SQLite;
//! set `OPENGATE_TEST_DB=postgres TEST_DATABASE_URL=…` for PostgreSQL).
//! Env: BENCH_SECS (default 5), BENCH_CONCURRENCY (default 32).
//! Target: ≥ 1,500 refunds/s on SQLite.

use std::sync::Arc;

use opengate::storage::pay::OrderRow;
use opengate_e2e::bench::{env_num, pct, pts_order, run, MakeReq};
use opengate_e2e::pay::{enable_pay, Receiver};
use opengate_e2e::{create_partner, spawn_app_with, Partner, Signed, TestApp};

/// `(path, timestamp, nonce, signature, body)` of one pre-signed request.
type Presigned = (String, String, String, String, Vec<u8>);

fn line(name: &str, rps: f64, lat: &[u32], hello: f64) {
    println!(
        "{name:<48} {rps:>9.0} req/s  p50 {:>6} µs  p99 {:>6} µs  {:>5.1}% of hello",
        pct(lat, 0.5),
        pct(lat, 0.99),
        rps / hello * 100.0
    );
}

/// `n` orders of 10.00 PTS (1.00 OGC), paid by `user_id`, the merchant credited.
async fn paid_orders(app: &TestApp, app_id: &str, user_id: &str, n: usize, tag: &str) -> Vec<String> {
    let now = app.clock.now_ms();
    let mut trade_nos = Vec::with_capacity(n);
    let mut tx = app.state.db.pool.begin().await.expect("tx");
    for i in 0..n {
        let o = OrderRow {
            status: "paid".into(),
            payer_open_id: Some(format!("oid_bench_{user_id}")),
            payer_user_id: Some(user_id.to_owned()),
            paid_at: Some(now),
            ..pts_order(app_id, format!("R-{tag}-{i}"), 1000, 100, now)
        };
        opengate::storage::pay::insert_order(&mut *tx, &o, now).await.expect("order");
        trade_nos.push(o.trade_no);
    }
    let total = 100 * n as i64;
    opengate::storage::pay::credit_merchant(&mut *tx, app_id, "OGC", total, now).await.expect("merchant");
    tx.commit().await.expect("commit");
    trade_nos
}

fn presign(p: &Partner, reqs: impl Iterator<Item = (String, serde_json::Value)>) -> Arc<Vec<Presigned>> {
    Arc::new(
        reqs.map(|(path, body)| {
            let body = serde_json::to_vec(&body).expect("json");
            let s = Signed::new(p, "POST", &path, &body);
            (path, s.timestamp.to_string(), s.nonce.clone(), s.signature(), body)
        })
        .collect(),
    )
}

fn requests(base: String, ak: String, signed: Arc<Vec<Presigned>>) -> MakeReq {
    Arc::new(move |c, i| {
        let (path, ts, nonce, sig, body) = signed.get(i)?;
        Some(
            c.post(format!("{base}{path}"))
                .header("X-OG-AccessKey", &ak)
                .header("X-OG-Timestamp", ts)
                .header("X-OG-Nonce", nonce)
                .header("X-OG-Signature", sig)
                .header("content-type", "application/json")
                .body(body.clone()),
        )
    })
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&app.state.db.pool).await.expect(sql);
    n
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let secs = env_num("BENCH_SECS", 5);
        let conc = env_num("BENCH_CONCURRENCY", 32) as usize;
        let app = spawn_app_with(|c| {
            c.notify_poll_ms = 100;
            c.rate_limit_per_second = 0;
        })
        .await;
        let backend = if opengate_e2e::use_postgres() { "PostgreSQL" } else { "SQLite" };
        let p = create_partner(&app).await;
        enable_pay(&app, &p).await;
        let rx = Receiver::start().await;
        opengate::admin::set_notify_url(&app.state, &p.app_id, Some(&rx.url())).await.expect("notify url");
        let (user_id, _) = opengate_e2e::login::user(&app).await;

        let n = 5_000 * secs as usize;
        let full = paid_orders(&app, &p.app_id, &user_id, n, "full").await;
        let full = presign(
            &p,
            full.iter().enumerate().map(|(i, t)| {
                (
                    format!("/open/v1/pay/orders/{t}/refunds"),
                    serde_json::json!({"refund_no": format!("F-{i}"), "amount": "10.00"}),
                )
            }),
        );
        // 256 orders refunded 0.10 (0.01 OGC) at a time, 100 refunds each at most.
        let hot = paid_orders(&app, &p.app_id, &user_id, 256, "hot").await;
        let partial = presign(
            &p,
            (0..25_600).map(|i| {
                (
                    format!("/open/v1/pay/orders/{}/refunds", hot[i % 256]),
                    serde_json::json!({"refund_no": format!("P-{i}"), "amount": "0.10"}),
                )
            }),
        );

        let client = reqwest::Client::builder().pool_max_idle_per_host(conc).build().expect("client");
        let hello_url = app.url("/healthz");
        let hello: MakeReq = Arc::new(move |c, _| Some(c.get(&hello_url)));
        run(&client, hello.clone(), 1, conc).await; // warm-up
        let (h, hl) = run(&client, hello, secs, conc).await;
        let before = count(&app, "SELECT COUNT(*) FROM refunds WHERE status = 'succeeded'").await;
        let (f, fl) = run(&client, requests(app.base.clone(), p.access_key.clone(), full), secs, conc).await;
        let (q, ql) = run(&client, requests(app.base.clone(), p.access_key.clone(), partial), secs, conc).await;
        let done = count(&app, "SELECT COUNT(*) FROM refunds WHERE status = 'succeeded'").await - before;
        println!(
            "refund throughput, {backend}, {conc} connections, {secs} s each, 2 cores shared by client and server"
        );
        line("hello GET /healthz", h, &hl, h);
        line("full refunds, one order each", f, &fl, h);
        line("partial refunds, 256 orders in turn", q, &ql, h);
        println!("{done} refunds recorded; every answer was HTTP 200 (the bench runner checks)");
        app.stop().await;
    });
}
