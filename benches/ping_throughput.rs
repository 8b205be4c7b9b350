//! Throughput of a signed `GET /open/v1/ping` against the unsigned `GET /healthz`
//! ("hello") on the same server in the same run, over loopback, with keep-alive
//! connections. Signatures are computed before the clock starts, so the figure is
//! the server's cost. Run: `cargo bench -p opengate-e2e --bench ping_throughput`
//! (SQLite; `OPENGATE_TEST_DB=postgres TEST_DATABASE_URL=… ` for PostgreSQL).
//! Env: BENCH_SECS (default 5), BENCH_CONCURRENCY (default 32).
//! Target (issue 2): signed ping ≥ 50% of hello's throughput.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opengate_e2e::{create_partner, new_nonce, spawn_app, Signed};

struct Prepared {
    ts: String,
    nonce: String,
    sig: String,
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn run(
    client: reqwest::Client,
    url: String,
    ak: Option<(String, Arc<Vec<Prepared>>)>,
    secs: u64,
    conc: usize,
) -> (f64, Vec<u32>) {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..conc {
        let (client, url, ak, next) = (client.clone(), url.clone(), ak.clone(), next.clone());
        tasks.spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let mut rb = client.get(&url);
                if let Some((key, prepared)) = &ak {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = prepared.get(i) else { break };
                    rb = rb
                        .header("X-OG-AccessKey", key)
                        .header("X-OG-Timestamp", &p.ts)
                        .header("X-OG-Nonce", &p.nonce)
                        .header("X-OG-Signature", &p.sig);
                }
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

fn pct(v: &[u32], p: f64) -> u32 {
    if v.is_empty() {
        return 0;
    }
    v[((v.len() as f64 - 1.0) * p) as usize]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let secs = env_num("BENCH_SECS", 5);
        let conc = env_num("BENCH_CONCURRENCY", 32) as usize;
        let app = spawn_app().await;
        let p = create_partner(&app).await;
        let backend = if opengate_e2e::use_postgres() { "PostgreSQL" } else { "SQLite" };
        // Enough prepared signatures for a fast server.
        let n = 60_000 * secs as usize;
        let base = Signed::new(&p, "GET", "/open/v1/ping", b"");
        let prepared: Vec<Prepared> = (0..n)
            .map(|_| {
                let s = Signed { nonce: new_nonce(), ..base.clone() };
                Prepared { ts: s.timestamp.to_string(), nonce: s.nonce.clone(), sig: s.signature() }
            })
            .collect();
        let prepared = Arc::new(prepared);
        let client = reqwest::Client::builder().pool_max_idle_per_host(conc).build().expect("client");
        // Warm up both routes.
        run(client.clone(), app.url("/healthz"), None, 1, conc).await;
        let (hello, hl) = run(client.clone(), app.url("/healthz"), None, secs, conc).await;
        let (ping, pl) =
            run(client.clone(), app.url("/open/v1/ping"), Some((p.access_key.clone(), prepared)), secs, conc).await;
        println!(
            "loopback throughput, {backend}, {conc} connections, {secs} s each, 2 cores shared by client and server"
        );
        println!(
            "hello  GET /healthz        {hello:>9.0} req/s   p50 {:>6} µs  p99 {:>6} µs",
            pct(&hl, 0.5),
            pct(&hl, 0.99)
        );
        println!(
            "signed GET /open/v1/ping   {ping:>9.0} req/s   p50 {:>6} µs  p99 {:>6} µs",
            pct(&pl, 0.5),
            pct(&pl, 0.99)
        );
        let ratio = ping / hello;
        println!(
            "ratio signed/hello: {:.1}% (target ≥ 50%: {})",
            ratio * 100.0,
            if ratio >= 0.5 { "met" } else { "NOT met" }
        );
        app.stop().await;
    });
}
