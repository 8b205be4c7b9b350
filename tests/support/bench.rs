//! Load-benchmark helpers shared by `benches/`: a fixed-concurrency request loop over
//! keep-alive connections that reports requests per second and sorted latencies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub type MakeReq = Arc<dyn Fn(&reqwest::Client, usize) -> Option<reqwest::RequestBuilder> + Send + Sync>;

/// Runs `make(i)` requests from `conc` connections for `secs`; returns req/s and sorted latencies (µs).
pub async fn run(client: &reqwest::Client, make: MakeReq, secs: u64, conc: usize) -> (f64, Vec<u32>) {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..conc {
        let (client, make, next) = (client.clone(), make.clone(), next.clone());
        tasks.spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(rb) = make(&client, i) else { break };
                let t = Instant::now();
                let resp = rb.send().await.expect("request");
                assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
                let _ = resp.bytes().await;
                lat.push(t.elapsed().as_micros() as u32);
            }
            lat
        });
    }
    let mut all = Vec::new();
    while let Some(l) = tasks.join_next().await {
        all.extend(l.expect("task"));
    }
    let rps = all.len() as f64 / start.elapsed().as_secs_f64();
    all.sort_unstable();
    (rps, all)
}

pub fn pct(v: &[u32], p: f64) -> u32 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() as f64 - 1.0) * p) as usize]
}

/// A pending order of `amount` PTS minor units settling as `settle` OGC minor units
/// (rate 0.1, two decimals each), for benches that write orders straight to storage.
pub fn pts_order(
    app_id: &str,
    trade_no: String,
    amount: i64,
    settle: i64,
    now: i64,
) -> opengate::storage::pay::OrderRow {
    opengate::storage::pay::OrderRow {
        id: opengate::crypto::new_id("ord"),
        app_id: app_id.to_owned(),
        trade_no,
        attempt: 1,
        status: "pending".into(),
        fail_reason: None,
        amount,
        currency: "PTS".into(),
        price_decimals: 2,
        settle_amount: settle,
        settle_currency: "OGC".into(),
        settle_decimals: 2,
        rate: "0.1".into(),
        subject: "bench".into(),
        return_url: None,
        notify_url: None,
        payer_open_id: None,
        expire_seconds: None,
        request_hash: String::new(),
        payer_user_id: None,
        created_at: now,
        expires_at: now + 3_600_000,
        paid_at: None,
        refunded_amount: 0,
        refunded_settle: 0,
        deduction_id: None,
    }
}
