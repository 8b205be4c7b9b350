//! Builds and runs the platform: HTTP server and background workers, both stopped
//! by one cancellation token (SIGINT/SIGTERM, or the owner of the handle).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
pub use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::state::AppState;
use crate::storage;

pub struct Application {
    listener: Option<TcpListener>,
    addr: Option<SocketAddr>,
    state: AppState,
    shutdown: CancellationToken,
}

impl Application {
    /// Validates the configuration, opens (and migrates) the database, binds the port.
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        Application::build_with_clock(config, Clock::system()).await
    }

    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<Application> {
        let state = open_state(config, clock).await?;
        let (listener, addr) = if state.config.http_enabled {
            let l = TcpListener::bind(state.config.listen).await.map_err(|e| {
                anyhow::anyhow!("cannot listen on {}: {e} (set OPENGATE_LISTEN to a free address)", state.config.listen)
            })?;
            let a = l.local_addr()?;
            (Some(l), Some(a))
        } else {
            (None, None)
        };
        Ok(Application { listener, addr, state, shutdown: CancellationToken::new() })
    }

    /// The bound address (None when the HTTP server is switched off).
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Cancelling this token stops the server gracefully (in-flight requests finish).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application { listener, state, shutdown, .. } = self;
        let mut tasks = tokio::task::JoinSet::new();
        if state.config.worker_enabled {
            tasks.spawn(crate::worker::run(state.clone(), shutdown.clone()));
        }
        if let Some(listener) = listener {
            let app = crate::http::app(state.clone());
            let token = shutdown.clone();
            tasks.spawn(async move {
                let svc = app.into_make_service_with_connect_info::<SocketAddr>();
                if let Err(e) = axum::serve(listener, svc).with_graceful_shutdown(token.cancelled_owned()).await {
                    tracing::error!(error = %e, "HTTP server failed");
                }
            });
        }
        while tasks.join_next().await.is_some() {
            // A task that ends early (e.g. the server failed) stops the others too.
            shutdown.cancel();
        }
        state.nonces.flush().await;
        state.db.pool.close().await;
        Ok(())
    }
}

/// Validates the configuration and opens the database: what both the server and
/// the operator commands need.
pub async fn open_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    config.validate()?;
    let master = match config.master_key_str() {
        Some(k) => crate::crypto::decode_master_key(k).map_err(anyhow::Error::msg)?,
        None => crate::demo::demo_master_key(&config)?,
    };
    let db = storage::connect(&config.database_url, config.database_max_connections).await?;
    let key_cache = crate::auth::key_cache::KeyCache::new(config.key_cache_ttl_ms);
    let window = opengate_shared::signing::NONCE_TTL_SECS * 1000;
    let nonces = Arc::new(crate::auth::nonce_batch::NonceGuard::start(db.clone(), window, clock.now_ms()).await?);
    let issuer = crate::login::issue_batch::IssueWriter::start(db.clone());
    let outbound = crate::notify::outbound::Outbound::new(
        Duration::from_millis(config.notify_timeout_ms),
        config.outbound_allow(),
    )?;
    let notifier = crate::notify::Notifier::new(outbound);
    let confirmer = crate::pay::confirm_batch::ConfirmWriter::start(db.clone());
    let refunder = crate::pay::refund_batch::RefundWriter::start(db.clone());
    let limiter =
        Arc::new(crate::auth::rate_limit::AppLimiter::new(config.rate_limit_per_second, config.rate_limit_burst));
    let state = AppState {
        db,
        limiter,
        config: Arc::new(config),
        clock,
        secrets: SecretBox::new(&master),
        key_cache,
        nonces,
        issuer,
        introspect_cache: Default::default(),
        notifier,
        confirmer,
        refunder,
        oidc_keys: Default::default(),
    };
    crate::login::oidc_keys::ensure_keys(&state).await?;
    Ok(state)
}

/// Cancels `token` on SIGINT or SIGTERM.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
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
            _ = ctrl_c => {}
            () = term => {}
        }
        tracing::info!("shutdown requested; finishing in-flight work");
        token.cancel();
    });
}
