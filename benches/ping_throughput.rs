//! Throughput of a signed `GET /open/v1/ping` against the unsigned `GET /healthz`
//! ("hello") on the same server in the same run, over loopback, with keep-alive
//! connections. Signatures are computed before the clock starts, so the figure is
//! the server's cost. Run: `cargo bench -p opengate-e2e --bench ping_throughput`
//! (SQLite; `OPENGATE_TEST_DB=postgres TEST_DATABASE_URL=… ` for PostgreSQL).
//! Env: BENCH_SECS (default 5), BENCH_CONCURRENCY (default 32).
//! Target (issue 2): signed ping ≥ 50% of hello's throughput.

use std::sync::Arc;

use opengate_e2e::bench::{env_num, pct, run, MakeReq};
use opengate_e2e::{create_partner, new_nonce, spawn_app_with, Signed};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let secs = env_num("BENCH_SECS", 5);
        let conc = env_num("BENCH_CONCURRENCY", 32) as usize;
        // One app at full speed: the per-app request limit would measure itself.
        let app = spawn_app_with(|c| c.rate_limit_per_second = 0).await;
        let p = create_partner(&app).await;
        let backend = if opengate_e2e::use_postgres() { "PostgreSQL" } else { "SQLite" };
        // Enough prepared signatures for a fast server.
        let n = 60_000 * secs as usize;
        let base = Signed::new(&p, "GET", "/open/v1/ping", b"");
        let prepared: Arc<Vec<(String, String, String)>> = Arc::new(
            (0..n)
                .map(|_| {
                    let s = Signed { nonce: new_nonce(), ..base.clone() };
                    (s.timestamp.to_string(), s.nonce.clone(), s.signature())
                })
                .collect(),
        );
        let client = reqwest::Client::builder().pool_max_idle_per_host(conc).build().expect("client");
        let hello_url = app.url("/healthz");
        let hello_req: MakeReq = Arc::new(move |c, _| Some(c.get(&hello_url)));
        let (ping_url, ak) = (app.url("/open/v1/ping"), p.access_key.clone());
        let ping_req: MakeReq = Arc::new(move |c, i| {
            let (ts, nonce, sig) = prepared.get(i)?;
            Some(
                c.get(&ping_url)
                    .header("X-OG-AccessKey", &ak)
                    .header("X-OG-Timestamp", ts)
                    .header("X-OG-Nonce", nonce)
                    .header("X-OG-Signature", sig),
            )
        });
        // Warm up, then measure both routes.
        run(&client, hello_req.clone(), 1, conc).await;
        let (hello, hl) = run(&client, hello_req, secs, conc).await;
        let (ping, pl) = run(&client, ping_req, secs, conc).await;
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
