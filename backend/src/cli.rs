//! The operator command line: `opengate serve`, `opengate demo`, and subcommands for
//! companies, apps, permissions, keys, IP bindings, URLs, users, currencies, credit.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing::Instrument;

use crate::admin;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::PermissionStatus;
use crate::startup::{self, Application};

mod account;
pub use account::{UserCmd, PASSWORD_VAR, PIN_VAR};

#[derive(Debug, Parser)]
#[command(name = "opengate", version, about = "OpenGate open platform: server and operator commands")]
pub struct Cli {
    /// TOML configuration file (environment variables OPENGATE_* override it).
    #[arg(long, global = true, env = "OPENGATE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform (HTTP server and workers).
    Serve {
        /// Demo mode: local master key, demo data created and printed.
        #[arg(long)]
        demo: bool,
    },
    /// Run in demo mode (same as `serve --demo`).
    Demo,
    /// Create or migrate the database, then exit.
    Migrate,
    /// Print a new random master key.
    GenMasterKey,
    #[command(subcommand)]
    Company(CompanyCmd),
    #[command(subcommand)]
    App(AppCmd),
    #[command(subcommand)]
    Key(KeyCmd),
    #[command(subcommand)]
    User(UserCmd),
    #[command(subcommand)]
    Currency(CurrencyCmd),
    #[command(subcommand)]
    Order(OrderCmd),
    /// Partner sites whose users come in (joint login, import links, deductions).
    #[command(subcommand)]
    Source(crate::inbound::cli::SourceCmd),
    /// OpenID Connect signing keys (rotate, list).
    #[command(subcommand)]
    OidcKey(crate::login::oidc_cli::OidcKeyCmd),
    /// An app's OpenID Connect settings (id_token algorithm).
    OidcClient(crate::login::oidc_cli::OidcClientArgs),
    /// Credit a user's balance (operator funding; journaled).
    Credit {
        /// User id, mobile or e-mail.
        user: String,
        asset: String,
        /// Decimal string, e.g. 100.00
        amount: String,
        #[arg(long, default_value = "operator credit")]
        reference: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CompanyCmd {
    /// Create a company (no-op when it exists).
    Create {
        id: String,
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCmd {
    /// Create an app bound for ever to one admin account.
    Create {
        #[arg(long)]
        company: String,
        #[arg(long)]
        app: String,
        #[arg(long)]
        name: String,
        /// Admin account: user id, mobile or e-mail (preferably a company e-mail).
        #[arg(long)]
        admin: String,
    },
    /// Show an app (no secrets).
    Show { app: String },
    /// Set a permission: apply (admin), approve or refuse (operator).
    Permission { app: String, permission: String, action: PermissionAction },
    /// Suspend an app: its keys stop working at once.
    Suspend { app: String },
    /// Re-activate a suspended app.
    Activate { app: String },
    /// Add or remove a redirect URI.
    RedirectUri { action: AddRemove, app: String, uri: String },
    /// Allow return URLs (and notify URLs) under a host.
    ReturnHost { app: String, host: String },
    /// Set (or clear with --clear) the notify URL.
    NotifyUrl {
        app: String,
        url: Option<String>,
        #[arg(long)]
        clear: bool,
    },
    /// Make a new notify secret; the old one keeps signing for 24 h.
    RotateNotifySecret { app: String },
    /// Set the app's pricing currency and its fixed rate to the settlement asset.
    Pricing {
        app: String,
        /// The app's own currency orders are priced in (e.g. PTS).
        #[arg(long)]
        currency: String,
        /// The asset users pay with (e.g. OGC).
        #[arg(long)]
        settle: String,
        /// Settlement units per pricing unit, a decimal string (e.g. 0.1).
        #[arg(long)]
        rate: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrderCmd {
    /// The delivery log of an order: each notification with every attempt (JSON).
    Deliveries { order_id: String },
    /// An app's statement of one UTC day (SPEC §13): the CSV partners get from
    /// `GET /open/v1/pay/statements`.
    Statement {
        app: String,
        /// The UTC day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PermissionAction {
    Apply,
    Approve,
    Refuse,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AddRemove {
    Add,
    Remove,
}

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Create a key pair; the secret is shown once.
    Create {
        app: String,
    },
    /// List an app's key pairs.
    List {
        app: String,
    },
    Disable {
        access_key: String,
    },
    Enable {
        access_key: String,
    },
    Delete {
        access_key: String,
    },
    /// Bind a key to an IPv4/IPv6 address or CIDR range.
    BindIp {
        access_key: String,
        rule: String,
    },
    UnbindIp {
        access_key: String,
        rule: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CurrencyCmd {
    /// Create or update a currency with its number of decimals.
    Set { code: String, decimals: i64 },
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(execute(cli, Clock::system())) {
        Ok(out) => {
            if !out.is_empty() {
                println!("{out}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The server logs to standard output; operator commands to standard error, so that
/// what they print (often JSON) stays clean.
fn init_logging(config: &Config, to_stderr: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match (config.log_format == "json", to_stderr) {
        (true, false) => builder.json().try_init(),
        (false, false) => builder.try_init(),
        (true, true) => builder.with_writer(std::io::stderr).json().try_init(),
        (false, true) => {
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
            builder.with_writer(std::io::stderr).with_ansi(ansi).try_init()
        }
    };
}

/// Logs for tests (when `TEST_LOG` is set): human-readable, to the test writer.
pub fn init_test_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug,sqlx=warn,hyper=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
}

/// Runs one command; returns what to print. Tests call this with parsed arguments.
pub async fn execute(cli: Cli, clock: Clock) -> anyhow::Result<String> {
    if let Command::User(cmd) = &cli.command {
        // Before anything else, even a configuration error (checked again below).
        account::refuse_secret_arguments(cmd)?;
    }
    let config = Config::load(cli.config.as_deref())?;
    if !matches!(cli.command, Command::Serve { .. } | Command::Demo) {
        init_logging(&config, true);
    }
    execute_with(cli.command, config, clock).await
}

/// Runs one command with an already loaded configuration.
pub async fn execute_with(command: Command, mut config: Config, clock: Clock) -> anyhow::Result<String> {
    match command {
        Command::Serve { demo } => {
            config.demo |= demo;
            serve(config, clock).await.map(|()| String::new())
        }
        Command::Demo => {
            config.demo = true;
            serve(config, clock).await.map(|()| String::new())
        }
        Command::GenMasterKey => Ok(crate::crypto::new_master_key()),
        Command::Migrate => {
            startup::open_state(config, clock).await?;
            Ok("database is up to date".into())
        }
        other => {
            let op_id = operation_id()?;
            // A secret is read and checked before the database is opened: a refused
            // one changes nothing.
            let secret = match &other {
                Command::User(cmd) => account::read_secret(cmd, &mut account::Process)?,
                _ => None,
            };
            let st = startup::open_state(config, clock).await?;
            let span = tracing::info_span!("operator", op_id = %op_id);
            let out = operate(&st, other, secret, &op_id).instrument(span).await;
            st.db.pool.close().await;
            out
        }
    }
}

/// The id of one operator command in the logs: `OG_OPERATION_ID` (e.g. a ticket
/// number; at most 64 of `[A-Za-z0-9._-]`, like a request id) or a new `op_…`.
fn operation_id() -> anyhow::Result<String> {
    match std::env::var_os("OG_OPERATION_ID") {
        None => Ok(crate::crypto::new_id("op")),
        Some(v) => {
            let v = v.into_string().unwrap_or_default();
            let ok = (1..=64).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            anyhow::ensure!(ok, "OG_OPERATION_ID must be 1 to 64 of A-Z a-z 0-9 . _ -");
            Ok(v)
        }
    }
}

async fn serve(config: Config, clock: Clock) -> anyhow::Result<()> {
    init_logging(&config, false);
    let demo = config.demo;
    let app = Application::build_with_clock(config, clock).await?;
    if demo {
        let text = crate::demo::seed(app.state()).await?;
        println!(
            "\nOpenGate demo is running. Demo credentials (also in {}):\n{text}",
            crate::demo::data_dir(&app.state().config).join("demo-credentials.txt").display()
        );
    }
    if let Some(addr) = app.addr() {
        tracing::info!(%addr, database = %crate::storage::redact_url(&app.state().config.database_url), "OpenGate listening");
        println!("Listening on http://{addr} (Ctrl-C to stop)");
    }
    startup::cancel_on_signal(app.shutdown_token());
    app.run_until_stopped().await
}

async fn operate(
    st: &crate::state::AppState,
    cmd: Command,
    secret: Option<secrecy::SecretString>,
    op_id: &str,
) -> anyhow::Result<String> {
    Ok(match cmd {
        Command::Company(CompanyCmd::Create { id, name }) => {
            let created = admin::create_company(st, &id, name.as_deref().unwrap_or(&id)).await?;
            if created {
                format!("company {id} created")
            } else {
                format!("company {id} already exists")
            }
        }
        Command::App(cmd) => operate_app(st, cmd, op_id).await?,
        Command::Key(cmd) => operate_key(st, cmd).await?,
        Command::User(cmd) => account::operate(st, cmd, secret, op_id).await?,
        Command::Currency(CurrencyCmd::Set { code, decimals }) => {
            admin::set_currency(st, &code, decimals).await?;
            format!("currency {code} has {decimals} decimals")
        }
        Command::Credit { user, asset, amount, reference } => {
            let total = admin::credit(st, &user, &asset, &amount, &reference).await?;
            let user_id = admin::find_user(st, &user).await?.id;
            tracing::info!(op_id, command = "credit", user_id, asset, amount, reference, "operator: balance credited");
            format!("credited {amount} {asset} to {user}; balance now {total} {asset}")
        }
        Command::Order(OrderCmd::Deliveries { order_id }) => {
            serde_json::to_string_pretty(&admin::order_deliveries(st, &order_id).await?)?
        }
        Command::Order(OrderCmd::Statement { app, date }) => {
            let (csv, is_final) = crate::pay::statement::daily(st, &app, &date).await?;
            if !is_final {
                eprintln!("note: {date} is not over yet (UTC); this statement can still grow");
            }
            csv.trim_end().to_owned()
        }
        Command::Source(cmd) => crate::inbound::cli::operate(st, cmd).await?,
        Command::OidcKey(cmd) => crate::login::oidc_cli::operate_key(st, cmd).await?,
        Command::OidcClient(a) => crate::login::oidc_cli::operate_client(st, a).await?,
        Command::Serve { .. } | Command::Demo | Command::Migrate | Command::GenMasterKey => String::new(),
    })
}

async fn operate_app(st: &crate::state::AppState, cmd: AppCmd, op_id: &str) -> anyhow::Result<String> {
    Ok(match cmd {
        AppCmd::Create { company, app, name, admin: who } => {
            let c = admin::create_app(st, &company, &app, &name, &who).await?;
            tracing::info!(op_id, command = "app create", user_id = %c.admin_user_id, app_id = %c.app_id,
                "operator: account made an app's admin (its trading and withdrawal frozen)");
            format!(
                "app {} created under company {} with admin {} (trading and withdrawal frozen)\n\
                 notify secret (shown once, keep it on your server): {}\n\
                 next: `opengate key create {}` for a key pair",
                c.app_id, c.company_id, c.admin_user_id, c.notify_secret, c.app_id
            )
        }
        AppCmd::Show { app } => serde_json::to_string_pretty(&admin::app_report(st, &app).await?)?,
        AppCmd::Permission { app, permission, action } => {
            let status = match action {
                PermissionAction::Apply => PermissionStatus::Applied,
                PermissionAction::Approve => PermissionStatus::Approved,
                PermissionAction::Refuse => PermissionStatus::Refused,
            };
            admin::set_permission(st, &app, &permission, status).await?;
            format!("permission {permission} of {app}: {}", status.as_str())
        }
        AppCmd::Suspend { app } => {
            admin::set_app_active(st, &app, false).await?;
            format!("app {app} suspended")
        }
        AppCmd::Activate { app } => {
            admin::set_app_active(st, &app, true).await?;
            format!("app {app} active")
        }
        AppCmd::RedirectUri { action: AddRemove::Add, app, uri } => {
            admin::add_redirect_uri(st, &app, &uri).await?;
            format!("redirect URI added to {app}")
        }
        AppCmd::RedirectUri { action: AddRemove::Remove, app, uri } => {
            admin::remove_redirect_uri(st, &app, &uri).await?;
            format!("redirect URI removed from {app}")
        }
        AppCmd::ReturnHost { app, host } => {
            admin::add_return_host(st, &app, &host).await?;
            format!("return host {host} allowed for {app}")
        }
        AppCmd::NotifyUrl { app, url, clear } => {
            if url.is_none() && !clear {
                anyhow::bail!("give a URL, or --clear to remove the notify URL");
            }
            admin::set_notify_url(st, &app, if clear { None } else { url.as_deref() }).await?;
            format!("notify URL of {app} {}", if clear { "cleared" } else { "set" })
        }
        AppCmd::Pricing { app, currency, settle, rate } => {
            let rate = admin::set_pricing(st, &app, &currency, &settle, &rate).await?;
            format!("{app} prices in {currency}; users pay in {settle} at {rate} {settle} per {currency}")
        }
        AppCmd::RotateNotifySecret { app } => {
            let s = admin::rotate_notify_secret(st, &app).await?;
            format!("new notify secret of {app} (shown once; the previous one signs for 24 h more):\n{s}")
        }
    })
}

async fn operate_key(st: &crate::state::AppState, cmd: KeyCmd) -> anyhow::Result<String> {
    Ok(match cmd {
        KeyCmd::Create { app } => {
            let k = admin::create_key(st, &app).await?;
            format!(
                "access key: {}\nsecret key: {}\nThe secret key is shown only this once: store it on your server, never in an app.",
                k.access_key, k.secret_key
            )
        }
        KeyCmd::List { app } => {
            let r = admin::app_report(st, &app).await?;
            serde_json::to_string_pretty(&r.keys)?
        }
        KeyCmd::Disable { access_key } => {
            admin::set_key_enabled(st, &access_key, false).await?;
            format!("key {access_key} disabled")
        }
        KeyCmd::Enable { access_key } => {
            admin::set_key_enabled(st, &access_key, true).await?;
            format!("key {access_key} enabled")
        }
        KeyCmd::Delete { access_key } => {
            admin::delete_key(st, &access_key).await?;
            format!("key {access_key} deleted")
        }
        KeyCmd::BindIp { access_key, rule } => {
            let r = admin::bind_ip(st, &access_key, &rule).await?;
            format!("key {access_key} bound to {r}")
        }
        KeyCmd::UnbindIp { access_key, rule } => {
            admin::unbind_ip(st, &access_key, &rule).await?;
            format!("binding {rule} removed from {access_key}")
        }
    })
}
