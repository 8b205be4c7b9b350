//! Login throughput over loopback, each as a ratio of the unsigned `GET /healthz`
//! ("hello") on the same server in the same run (issue 3):
//! - code exchange: `POST /oauth/token` (client_secret_basic), one fresh code per request;
//! - introspection: `POST /oauth/introspect` (client_secret_basic) of a live token;
//! - user/info: signed `GET /open/v1/user/info` with bearer token and device id.
//!
//! Codes and signatures are made before the clock starts, so the figures are the
//! server's cost. Run: `cargo bench -p opengate-e2e --bench login_throughput`
//! (SQLite; `OPENGATE_TEST_DB=postgres TEST_DATABASE_URL=…` for PostgreSQL).
//! Env: BENCH_SECS (default 5), BENCH_CONCURRENCY (default 32).
//! Targets: introspection ≥ 40% of hello, code exchange ≥ 10%.

use std::sync::Arc;

use opengate::login::{hash_secret, new_secret, prefix};
use opengate::storage::oauth;
use opengate_e2e::bench::{env_num, pct, run, MakeReq};
use opengate_e2e::login::{setup, tokens, REDIRECT_URI};
use opengate_e2e::{new_nonce, spawn_app_with, Signed};

fn line(name: &str, rps: f64, lat: &[u32], hello: f64, target: Option<f64>) {
    let ratio = rps / hello;
    let verdict = match target {
        Some(t) if ratio >= t => format!(" (target ≥ {:.0}%: met)", t * 100.0),
        Some(t) => format!(" (target ≥ {:.0}%: NOT met)", t * 100.0),
        None => String::new(),
    };
    println!(
        "{name:<34} {rps:>9.0} req/s  p50 {:>6} µs  p99 {:>6} µs  {:>5.1}% of hello{verdict}",
        pct(lat, 0.5),
        pct(lat, 0.99),
        ratio * 100.0
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let secs = env_num("BENCH_SECS", 5);
        let conc = env_num("BENCH_CONCURRENCY", 32) as usize;
        // The production default pool size (tests use a smaller one).
        let pool = env_num("BENCH_POOL", opengate::config::Config::default().database_max_connections as u64) as u32;
        // One app at full speed: the per-app request limit would measure itself.
        let app = spawn_app_with(|c| {
            c.database_max_connections = pool;
            c.rate_limit_per_second = 0;
        })
        .await;
        let s = setup(&app).await;
        let p = s.partner.clone();
        let backend = if opengate_e2e::use_postgres() { "PostgreSQL" } else { "SQLite" };
        let d = tokens(&app, &s, "profile", &["profile"], "bench-device").await;
        let at = d["access_token"].as_str().expect("at").to_owned();

        // Fresh codes for the exchange run, written straight to storage in one transaction.
        let n_codes = 20_000 * secs as usize;
        let now = app.clock.now_ms();
        let mut codes = Vec::with_capacity(n_codes);
        let mut tx = app.state.db.pool.begin().await.expect("tx");
        for _ in 0..n_codes {
            let code = new_secret(prefix::CODE);
            let row = oauth::Code {
                used_at: None,
                ids: None,
                code_hash: hash_secret(&code),
                app_id: p.app_id.clone(),
                user_id: s.user_id.clone(),
                redirect_uri: REDIRECT_URI.to_owned(),
                scope: "openid profile".into(),
                device_id: "bench-device".into(),
                code_challenge: None,
                expires_at: now + 3_600_000,
                nonce: None,
                auth_time: Some(now),
                device_bound: true,
                // A plain OAuth 2.0 login (issue 3's target); OIDC logins also sign an id_token.
                oidc: false,
            };
            oauth::insert_code(&mut *tx, &row, now).await.expect("code");
            codes.push(code);
        }
        tx.commit().await.expect("commit");
        let codes = Arc::new(codes);

        // Signed user/info requests, signed in advance.
        let n_signed = 60_000 * secs as usize;
        let base = Signed::new(&p, "GET", "/open/v1/user/info", b"");
        let signed: Arc<Vec<(String, String, String)>> = Arc::new(
            (0..n_signed)
                .map(|_| {
                    let s = Signed { nonce: new_nonce(), ..base.clone() };
                    (s.timestamp.to_string(), s.nonce.clone(), s.signature())
                })
                .collect(),
        );

        let client = reqwest::Client::builder().pool_max_idle_per_host(conc).build().expect("client");
        let (ak, sk) = (p.access_key.clone(), p.secret_key.clone());
        let hello_url = app.url("/healthz");
        let hello: MakeReq = Arc::new(move |c, _| Some(c.get(&hello_url)));
        let intro_url = app.url("/oauth/introspect");
        let intro_body = format!("token={at}");
        let (ak2, sk2) = (ak.clone(), sk.clone());
        let introspect: MakeReq = Arc::new(move |c, _| {
            Some(
                c.post(&intro_url)
                    .basic_auth(&ak2, Some(&sk2))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(intro_body.clone()),
            )
        });
        let token_url = app.url("/oauth/token");
        let redirect = url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>();
        let exchange: MakeReq = Arc::new(move |c, i| {
            let code = codes.get(i)?;
            Some(
                c.post(&token_url)
                    .basic_auth(&ak, Some(&sk))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("grant_type=authorization_code&code={code}&redirect_uri={redirect}")),
            )
        });
        let info_url = app.url("/open/v1/user/info");
        let info_ak = p.access_key.clone();
        let info: MakeReq = Arc::new(move |c, i| {
            let (ts, nonce, sig) = signed.get(i)?;
            Some(
                c.get(&info_url)
                    .header("X-OG-AccessKey", &info_ak)
                    .header("X-OG-Timestamp", ts)
                    .header("X-OG-Nonce", nonce)
                    .header("X-OG-Signature", sig)
                    .header("authorization", format!("Bearer {at}"))
                    .header("x-og-device-id", "bench-device"),
            )
        });

        run(&client, hello.clone(), 1, conc).await; // warm-up
        let (h, hl) = run(&client, hello, secs, conc).await;
        let (x, xl) = run(&client, exchange, secs, conc).await;
        let (i, il) = run(&client, introspect, secs, conc).await;
        let (u, ul) = run(&client, info, secs, conc).await;
        println!("login throughput, {backend}, {conc} connections, {secs} s each, 2 cores shared by client and server");
        line("hello GET /healthz", h, &hl, h, None);
        line("code exchange POST /oauth/token", x, &xl, h, Some(0.10));
        line("introspection POST /oauth/introspect", i, &il, h, Some(0.40));
        line("signed GET /open/v1/user/info", u, &ul, h, None);
        app.stop().await;
    });
}
