//! `opengate-demo-partner`: reads its settings, checks them with a signed ping, and
//! serves the demo shop until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use opengate_demo_partner::settings::{self, Parsed, HELP};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = match settings::parse(&args, |k| std::env::var(k).ok()) {
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(s)) => s,
        Err(e) => {
            eprintln!("opengate-demo-partner: {e}");
            return ExitCode::from(2);
        }
    };
    // A signed ping says at once whether the key pair works (a warning only: the
    // platform may still be starting).
    match opengate_sdk::Client::new(&settings.platform_url, &settings.access_key, &settings.secret_key) {
        Ok(og) => match og.ping().await {
            Ok(p) => println!("demo-partner: signed ping OK (app {}, key {})", p.app_id, p.access_key),
            Err(e) => eprintln!("demo-partner: warning: signed ping to {} failed: {e}", settings.platform_url),
        },
        Err(e) => {
            eprintln!("opengate-demo-partner: {e}");
            return ExitCode::from(2);
        }
    }
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("opengate-demo-partner: cannot listen on {}: {e}", settings.listen);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Demo partner (Demo Shop) on {} — platform {}, redirect URI {}",
        settings.public_url,
        settings.platform_url,
        settings.redirect_uri()
    );
    match opengate_demo_partner::serve(listener, settings, stop_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("opengate-demo-partner: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
