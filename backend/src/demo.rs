//! Demo mode: a master key kept next to the database, and a demo company, app, key
//! pair and funded user (with a payment PIN) created on first start and printed, so
//! that one command gives a working platform. The demo partner shop
//! (`opengate-demo-partner`, started next to the platform by `scripts/run`) learns its
//! key pair and notify secrets from `demo-partner.json` in the same folder (mode 0600,
//! rewritten at every start). Never for production (the config refuses a missing
//! master key outside demo mode).

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
/// The demo user's payment PIN, set on first start so paying takes one step.
pub const DEMO_USER_PIN: &str = "246810";
/// Where the demo partner shop listens (its redirect URI and notify URL are registered).
pub const DEMO_PARTNER_URL: &str = "http://127.0.0.1:8081";
/// The file the demo partner reads its settings from, in the data folder.
pub const DEMO_PARTNER_FILE: &str = "demo-partner.json";

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
    let dir = data_dir(&st.config);
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    let creds_path = dir.join("demo-credentials.txt");
    let mut new_key = None;
    if apps::get_app(&st.db.pool, DEMO_APP).await?.is_none() {
        admin::set_currency(st, SETTLE_ASSET, 2).await?;
        admin::set_currency(st, DEMO_POINTS, 2).await?;
        admin::create_user(st, None, Some(DEMO_ADMIN_EMAIL), Some(DEMO_USER_PASSWORD), "Democorp admin").await?;
        let demo_user =
            admin::create_user(st, Some(DEMO_USER_MOBILE), None, Some(DEMO_USER_PASSWORD), "Demo user").await?;
        crate::pay::confirm::set_pin(st, &demo_user, None, DEMO_USER_PIN)
            .await
            .map_err(|e| anyhow::anyhow!("demo user PIN: {e}"))?;
        admin::credit(st, DEMO_USER_MOBILE, SETTLE_ASSET, "1000.00", "demo funding").await?;
        admin::credit(st, DEMO_USER_MOBILE, DEMO_POINTS, "500.00", "demo funding").await?;
        let app = admin::create_app(st, DEMO_COMPANY, DEMO_APP, "Demo Shop", DEMO_ADMIN_EMAIL).await?;
        for p in ["pay", "user_lookup", "joint_login"] {
            admin::set_permission(st, DEMO_APP, p, PermissionStatus::Approved).await?;
        }
        let base = st.config.public_base_url.trim_end_matches('/');
        admin::add_redirect_uri(st, DEMO_APP, &format!("{DEMO_PARTNER_URL}/callback")).await?;
        admin::add_return_host(st, DEMO_APP, "127.0.0.1").await?;
        admin::set_notify_url(st, DEMO_APP, Some(&format!("{DEMO_PARTNER_URL}/notify"))).await?;
        admin::set_pricing(st, DEMO_APP, DEMO_POINTS, SETTLE_ASSET, DEMO_RATE).await?;
        let key = admin::create_key(st, DEMO_APP).await?;
        let text = format!(
            "  company_id      {DEMO_COMPANY}\n  app_id          {DEMO_APP}  (permissions: login, pay, user_lookup, joint_login)\n  \
             pricing         {DEMO_POINTS}, paid in {SETTLE_ASSET} at {DEMO_RATE} {SETTLE_ASSET} per {DEMO_POINTS}\n  \
             access key      {}\n  secret key      {}\n  notify secret   {}\n  demo user       mobile {DEMO_USER_MOBILE}, password {DEMO_USER_PASSWORD}, payment PIN {DEMO_USER_PIN}\n                  \
             balances 1000.00 {SETTLE_ASSET}, 500.00 {DEMO_POINTS}\n  app admin       {DEMO_ADMIN_EMAIL}, password {DEMO_USER_PASSWORD}\n  \
             platform        {base}/h5/\n",
            key.access_key, key.secret_key, app.notify_secret
        );
        write_private(&creds_path, &text)?;
        new_key = Some((key.access_key, key.secret_key));
    }
    let text = std::fs::read_to_string(&creds_path).map_err(|e| {
        anyhow::anyhow!(
            "demo data exists but {} is unreadable ({e}); delete the data folder to start afresh",
            creds_path.display()
        )
    })?;
    let partner = match write_partner_settings(st, new_key).await {
        Ok(path) => format!("  demo partner    {DEMO_PARTNER_URL}/  (its key and notify secret: {})\n", path.display()),
        Err(e) => format!("  demo partner    not set up: {e:#}\n"),
    };
    Ok(format!("{text}{partner}"))
}

/// Writes the demo partner's settings (`demo-partner.json`, mode 0600): the platform
/// URL, a key pair of the demo app and its notify secrets. The key is the one created
/// with the demo data, else the one already in the file while it is still enabled,
/// else a new one (data folders from before this file existed). Also registers the
/// partner's notify URL when the app has none.
async fn write_partner_settings(st: &AppState, new_key: Option<(String, String)>) -> anyhow::Result<PathBuf> {
    let path = data_dir(&st.config).join(DEMO_PARTNER_FILE);
    let app = apps::get_app(&st.db.pool, DEMO_APP).await?.ok_or_else(|| anyhow::anyhow!("no app {DEMO_APP}"))?;
    if app.notify_url.is_none() {
        admin::set_notify_url(st, DEMO_APP, Some(&format!("{DEMO_PARTNER_URL}/notify"))).await?;
    }
    let key = match new_key {
        Some(k) => k,
        None => match existing_partner_key(st, &path).await {
            Some(k) => k,
            None => {
                let k = admin::create_key(st, DEMO_APP).await?;
                (k.access_key, k.secret_key)
            }
        },
    };
    let settings = serde_json::json!({
        "platform_url": st.config.public_base_url.trim_end_matches('/'),
        "app_id": DEMO_APP,
        "access_key": key.0,
        "secret_key": key.1,
        "notify_secrets": admin::notify_secrets(st, DEMO_APP).await?,
    });
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    write_private(&tmp, &serde_json::to_string_pretty(&settings)?)?;
    std::fs::rename(&tmp, &path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The key pair in an existing settings file, if that key is still an enabled key of the demo app.
async fn existing_partner_key(st: &AppState, path: &std::path::Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let access_key = v.get("access_key")?.as_str()?.to_owned();
    let secret_key = v.get("secret_key")?.as_str()?.to_owned();
    let row = crate::storage::keys::get_key(&st.db.pool, &access_key).await.ok()??;
    (row.enabled && row.app_id == DEMO_APP).then_some((access_key, secret_key))
}
