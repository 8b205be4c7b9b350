//! Helpers for the SDK and demo-partner tests: the demo partner shop started
//! in-process on a port of its own against a test platform, an SDK client for a
//! test partner, and the browser steps of the H5 pages (log in, tap a PIN).

use std::time::{Duration, Instant};

use fantoccini::Locator;
use opengate_demo_partner::Settings;
use opengate_sdk::Client;

use crate::browser::Browser;
use crate::{Partner, TestApp};

/// Generous, for a loaded machine; a wrong behaviour still fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// A platform whose `public_base_url` is its own address, so the `pay_url`s and
/// links it hands out lead back to it (the port is picked free first, then bound).
pub async fn spawn_public_app() -> TestApp {
    let addr = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port");
    crate::spawn_app_with(|c| {
        c.listen = addr;
        c.public_base_url = format!("http://{addr}");
    })
    .await
}

/// An SDK client with the partner's key pair.
pub fn sdk(app: &TestApp, p: &Partner) -> Client {
    Client::new(&app.base, &p.access_key, &p.secret_key).expect("SDK client")
}

/// Starts the demo shop for `partner` on 127.0.0.1:0, registers its callback as a
/// redirect URI, and returns its base URL. Return and notify URLs go to 127.0.0.1,
/// which [`crate::pay::enable_pay`] registers as a return host.
pub async fn start_shop(app: &TestApp, partner: &Partner) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind demo partner");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    opengate::admin::add_redirect_uri(&app.state, &partner.app_id, &format!("{base}/callback"))
        .await
        .expect("redirect uri");
    let settings = Settings {
        platform_url: app.base.clone(),
        access_key: partner.access_key.clone(),
        secret_key: partner.secret_key.clone(),
        notify_secrets: vec![partner.notify_secret.clone()],
        listen: addr,
        public_url: base.clone(),
        currency: "PTS".into(),
    };
    let router = opengate_demo_partner::router(settings).expect("demo partner settings");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    base
}

pub async fn wait_for(b: &Browser, css: &str) -> fantoccini::elements::Element {
    b.element(css, WAIT).await
}

/// Waits until the browser's address starts with `prefix`, returning it.
pub async fn wait_url(b: &Browser, prefix: &str) -> String {
    let deadline = Instant::now() + WAIT;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(u) = b.client.current_url().await {
            last = u.to_string();
            if last.starts_with(prefix) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the browser never reached {prefix}; last at {last}");
}

/// Logs in on the H5 login page (which must be on screen or on its way).
pub async fn log_in(b: &Browser, account: &str, password: &str) {
    wait_for(b, "#account").await.send_keys(account).await.expect("type account");
    wait_for(b, "#password").await.send_keys(password).await.expect("type password");
    wait_for(b, "#login-submit").await.click().await.expect("submit login");
}

/// Types a PIN on the pay page's pad, waiting for each dot to fill.
pub async fn tap_pin(b: &Browser, pin: &str) {
    for (i, d) in pin.chars().enumerate() {
        wait_for(b, &format!("button.pin-key[data-key=\"{d}\"]:not([disabled])"))
            .await
            .click()
            .await
            .expect("click a pin key");
        let deadline = Instant::now() + WAIT;
        loop {
            let filled = b.client.find_all(Locator::Css("#pin-dots span.dot.filled")).await.map(|v| v.len());
            if filled.is_ok_and(|n| n == i + 1) {
                break;
            }
            assert!(Instant::now() < deadline, "the PIN pad never showed {} digits", i + 1);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
