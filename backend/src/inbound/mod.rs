//! Partner users coming in (SPEC §9): operator-configured **sources**, joint login
//! pushed by a partner server, import links pulled through a source's adapter, and
//! debits in a source's own currency. The account rules every entry shares are in
//! [`accounts`]; HTTP is in `http::open_inbound`, `http::h5_inbound` and `http::jsonapi`.

pub mod accounts;
pub mod adapter;
pub mod cli;
pub mod deduct;
pub mod import;
pub mod joint;
pub mod sources;

use crate::state::AppState;
use crate::storage::inbound::{self as store, SourceRow};

/// Who may be logged in without a password when a source sends them (ADR 0012).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Only accounts this source made itself and nobody has used directly.
    NewUsers,
    /// Any account nobody has used directly, whichever source made it (SPEC §9's rule).
    PartnerUsers,
}

impl Trust {
    pub fn parse(s: &str) -> Option<Trust> {
        match s {
            "new_users" => Some(Trust::NewUsers),
            "partner_users" => Some(Trust::PartnerUsers),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Trust::NewUsers => "new_users",
            Trust::PartnerUsers => "partner_users",
        }
    }
}

/// A source as the code uses it: typed, with its secret opened.
#[derive(Debug, Clone)]
pub struct Source {
    pub code: String,
    pub name: String,
    pub secret: String,
    pub trust: Trust,
    pub app_id: Option<String>,
    pub adapter: adapter::Adapter,
    pub user_url: Option<String>,
    pub deduct_url: Option<String>,
    pub refund_url: Option<String>,
    pub currency: Option<String>,
    pub rate: Option<opengate_shared::pay::Rate>,
    pub active: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// A parameter is missing or wrong (names the field).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the app lacks permission joint_login")]
    NoPermission,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T> = std::result::Result<T, InboundError>;

pub(crate) fn secret_aad(code: &str) -> String {
    format!("source_secret:{code}")
}

impl Source {
    pub fn from_row(st: &AppState, r: SourceRow) -> Result<Source> {
        let secret = st.secrets.open(&r.secret_enc, &secret_aad(&r.code)).map_err(|e| anyhow::anyhow!(e))?;
        let adapter = adapter::Adapter::parse(&r.adapter, &r.adapter_config)
            .map_err(|e| anyhow::anyhow!("source {}: stored adapter config is invalid: {e}", r.code))?;
        let trust =
            Trust::parse(&r.trust).ok_or_else(|| anyhow::anyhow!("source {}: unknown trust {}", r.code, r.trust))?;
        let rate = r
            .rate
            .as_deref()
            .map(opengate_shared::pay::Rate::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("source {}: stored rate is invalid: {e}", r.code))?;
        Ok(Source {
            code: r.code,
            name: r.name,
            secret,
            trust,
            app_id: r.app_id,
            adapter,
            user_url: r.user_url,
            deduct_url: r.deduct_url,
            refund_url: r.refund_url,
            currency: r.currency,
            rate,
            active: r.status == 0,
        })
    }
}

/// An active source by code, or None (unknown or disabled look the same to callers).
pub async fn active_source(st: &AppState, code: &str) -> Result<Option<Source>> {
    if code.is_empty() || code.len() > 32 {
        return Ok(None);
    }
    match store::get_source(&st.db.pool, code).await? {
        Some(r) if r.status == 0 => Ok(Some(Source::from_row(st, r)?)),
        _ => Ok(None),
    }
}

/// Where a browser may be sent after coming in: one of our own pages. A path under
/// `/h5/`, or an absolute URL on the public base URL's origin (then made a path).
pub fn own_target(st: &AppState, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 512 || raw.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let path = if raw.starts_with('/') {
        raw.to_owned()
    } else {
        let u = url::Url::parse(raw).ok()?;
        let base = url::Url::parse(&st.config.public_base_url).ok()?;
        if u.origin() != base.origin() || !u.username().is_empty() || u.password().is_some() {
            return None;
        }
        let mut p = u.path().to_owned();
        if let Some(q) = u.query() {
            p.push('?');
            p.push_str(q);
        }
        p
    };
    // "//evil.example" is another host; only our H5 pages are targets.
    (path.starts_with("/h5/") && !path.starts_with("//")).then_some(path)
}
