//! Demo mode: a master key kept next to the database, and a demo company, app, key
//! pair and funded user created on first start and printed, so that one command gives
//! a working platform. Never for production (the config refuses a missing master key
//! outside demo mode).

use std::path::PathBuf;

use crate::admin;
use crate::config::Config;
use crate::domain::PermissionStatus;
use crate::state::AppState;
use crate::storage::apps;

pub const DEMO_COMPANY: &str = "democorp";
pub const DEMO_APP: &str = "demoapp";
pub const DEMO_ADMIN_EMAIL: &str = "admin@democorp.example";
pub const DEMO_USER_MOBILE: &str = "13800138000";
pub const DEMO_USER_PASSWORD: &str = "demo-pass-2026";
pub const SETTLE_ASSET: &str = "OGC";
pub const DEMO_POINTS: &str = "PTS";
/// The demo app prices in PTS; users pay 0.1 OGC per PTS.
pub const DEMO_RATE: &str = "0.1";

/// Where demo files live: next to the SQLite file, or `./data` for PostgreSQL.
pub fn data_dir(config: &Config) -> PathBuf {
    let url = &config.database_url;
    if url.starts_with("sqlite:") {
        let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = rest.split('?').next().unwrap_or(rest);
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                return parent.to_path_buf();
            }
        }
        return PathBuf::from(".");
    }
    PathBuf::from("data")
}

fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    Ok(())
}

/// The demo master key, created on first use in the data folder (mode 0600).
pub fn demo_master_key(config: &Config) -> anyhow::Result<[u8; 32]> {
    let dir = data_dir(config);
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("demo-master.key");
    if !path.exists() {
        write_private(&path, &crate::crypto::new_master_key())?;
    }
    let text = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    crate::crypto::decode_master_key(&text).map_err(anyhow::Error::msg)
}

/// Creates the demo data if missing and returns the text to print.
pub async fn seed(st: &AppState) -> anyhow::Result<String> {
    let creds_path = data_dir(&st.config).join("demo-credentials.txt");
    if apps::get_app(&st.db.pool, DEMO_APP).await?.is_none() {
        admin::set_currency(st, SETTLE_ASSET, 2).await?;
        admin::set_currency(st, DEMO_POINTS, 2).await?;
        admin::create_user(st, None, Some(DEMO_ADMIN_EMAIL), Some(DEMO_USER_PASSWORD), "Democorp admin").await?;
        admin::create_user(st, Some(DEMO_USER_MOBILE), None, Some(DEMO_USER_PASSWORD), "Demo user").await?;
        admin::credit(st, DEMO_USER_MOBILE, SETTLE_ASSET, "1000.00", "demo funding").await?;
        admin::credit(st, DEMO_USER_MOBILE, DEMO_POINTS, "500.00", "demo funding").await?;
        let app = admin::create_app(st, DEMO_COMPANY, DEMO_APP, "Demo Shop", DEMO_ADMIN_EMAIL).await?;
        for p in ["pay", "user_lookup", "joint_login"] {
            admin::set_permission(st, DEMO_APP, p, PermissionStatus::Approved).await?;
        }
        let base = st.config.public_base_url.trim_end_matches('/');
        admin::add_redirect_uri(st, DEMO_APP, "http://127.0.0.1:8081/callback").await?;
        admin::add_return_host(st, DEMO_APP, "127.0.0.1").await?;
        admin::set_pricing(st, DEMO_APP, DEMO_POINTS, SETTLE_ASSET, DEMO_RATE).await?;
        let key = admin::create_key(st, DEMO_APP).await?;
        let text = format!(
            "  company_id      {DEMO_COMPANY}\n  app_id          {DEMO_APP}  (permissions: login, pay, user_lookup, joint_login)\n  \
             pricing         {DEMO_POINTS}, paid in {SETTLE_ASSET} at {DEMO_RATE} {SETTLE_ASSET} per {DEMO_POINTS}\n  \
             access key      {}\n  secret key      {}\n  notify secret   {}\n  demo user       mobile {DEMO_USER_MOBILE}, password {DEMO_USER_PASSWORD}\n                  \
             balances 1000.00 {SETTLE_ASSET}, 500.00 {DEMO_POINTS}\n  app admin       {DEMO_ADMIN_EMAIL}, password {DEMO_USER_PASSWORD}\n  \
             platform        {base}/h5/\n",
            key.access_key, key.secret_key, app.notify_secret
        );
        write_private(&creds_path, &text)?;
    }
    std::fs::read_to_string(&creds_path).map_err(|e| {
        anyhow::anyhow!(
            "demo data exists but {} is unreadable ({e}); delete the data folder to start afresh",
            creds_path.display()
        )
    })
}
