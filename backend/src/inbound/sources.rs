//! Operator use-cases for sources (SPEC §9, §11): add, list, rotate the shared
//! secret (shown once), disable and enable. The command line and tests go through here.

use super::{adapter::Adapter, secret_aad, InboundError, Result, Trust};
use crate::state::AppState;
use crate::storage::inbound::{self as store, SourceRow};
use crate::storage::{apps, is_unique_violation, ledger};

/// What the operator gives to add a source.
#[derive(Debug, Clone, Default)]
pub struct NewSource {
    pub code: String,
    pub name: String,
    pub trust: String,
    /// The app whose joint-login calls may name this source (its `merchantNo`).
    pub app_id: Option<String>,
    pub adapter: String,
    pub adapter_config: String,
    /// The source's user API; `{uid}` is replaced by the user's id there.
    pub user_url: Option<String>,
    pub deduct_url: Option<String>,
    /// Where refunds of orders paid through the source are credited back (needs
    /// `deduct_url`); without it such orders cannot be refunded.
    pub refund_url: Option<String>,
    /// The source's own currency and its units per settlement unit.
    pub currency: Option<String>,
    pub rate: Option<String>,
}

fn http_url(what: &str, u: &str) -> Result<()> {
    let parsed = url::Url::parse(&u.replace("{uid}", "x"))
        .map_err(|e| InboundError::Invalid(format!("{what}: {u:?} is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(InboundError::Invalid(format!("{what}: must be an http(s) URL")));
    }
    Ok(())
}

pub async fn add_source(st: &AppState, n: &NewSource) -> Result<String> {
    let code_ok = (2..=32).contains(&n.code.len())
        && n.code.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && n.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !code_ok {
        return Err(InboundError::Invalid("code: must be 2..32 of [a-z0-9_-], starting with a letter".into()));
    }
    let name = n.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(InboundError::Invalid("name: must have 1..64 characters".into()));
    }
    let trust =
        Trust::parse(&n.trust).ok_or_else(|| InboundError::Invalid("trust: use new_users or partner_users".into()))?;
    if let Some(app) = &n.app_id {
        if apps::get_app(&st.db.pool, app).await?.is_none() {
            return Err(InboundError::NotFound(format!("app: no app {app:?}")));
        }
    }
    let config = if n.adapter_config.trim().is_empty() { "{}" } else { n.adapter_config.trim() };
    Adapter::parse(&n.adapter, config).map_err(InboundError::Invalid)?;
    if let Some(u) = &n.user_url {
        http_url("user_url", u)?;
        if !u.contains("{uid}") {
            return Err(InboundError::Invalid("user_url: must contain {uid} where the user's id goes".into()));
        }
    }
    let rate = match (&n.deduct_url, &n.currency, &n.rate) {
        (None, None, None) => None,
        (Some(u), Some(cur), Some(rate)) => {
            http_url("deduct_url", u)?;
            if ledger::currency_decimals(&st.db.pool, cur).await?.is_none() {
                return Err(InboundError::NotFound(format!(
                    "currency: no currency {cur:?}; create it with `opengate currency set {cur} <decimals>`"
                )));
            }
            let r = opengate_shared::pay::Rate::parse(rate).map_err(|e| InboundError::Invalid(format!("rate: {e}")))?;
            Some(r.to_string())
        }
        _ => {
            return Err(InboundError::Invalid(
                "deduct_url, currency and rate go together: give all three or none".into(),
            ))
        }
    };
    if let Some(u) = &n.refund_url {
        http_url("refund_url", u)?;
        if n.deduct_url.is_none() {
            return Err(InboundError::Invalid(
                "refund_url: needs deduct_url (refunds go back where debits came from)".into(),
            ));
        }
    }
    let secret = crate::crypto::new_secret_key();
    let row = SourceRow {
        code: n.code.clone(),
        name: name.to_owned(),
        secret_enc: st.secrets.seal(&secret, &secret_aad(&n.code)),
        trust: trust.as_str().to_owned(),
        app_id: n.app_id.clone(),
        adapter: n.adapter.clone(),
        adapter_config: config.to_owned(),
        user_url: n.user_url.clone(),
        deduct_url: n.deduct_url.clone(),
        refund_url: n.refund_url.clone(),
        currency: n.currency.clone(),
        rate,
        status: 0,
    };
    store::insert_source(&st.db.pool, &row, st.clock.now_ms()).await.map_err(|e| {
        if is_unique_violation(&e) {
            InboundError::Conflict(format!("code: a source {} already exists", n.code))
        } else {
            e.into()
        }
    })?;
    tracing::info!(source = %n.code, "source added");
    Ok(secret)
}

/// Every source, without secrets (`SourceRow` does not serialize its sealed secret).
pub async fn list_sources(st: &AppState) -> Result<Vec<SourceRow>> {
    Ok(store::list_sources(&st.db.pool).await?)
}

/// A new shared secret (shown once); the old one stops working at once.
pub async fn rotate_secret(st: &AppState, code: &str) -> Result<String> {
    let secret = crate::crypto::new_secret_key();
    let sealed = st.secrets.seal(&secret, &secret_aad(code));
    if !store::set_source_secret(&st.db.pool, code, &sealed, st.clock.now_ms()).await? {
        return Err(InboundError::NotFound(format!("no source {code:?}")));
    }
    tracing::info!(source = %code, "source secret rotated");
    Ok(secret)
}

pub async fn set_active(st: &AppState, code: &str, active: bool) -> Result<()> {
    if !store::set_source_status(&st.db.pool, code, if active { 0 } else { 1 }, st.clock.now_ms()).await? {
        return Err(InboundError::NotFound(format!("no source {code:?}")));
    }
    Ok(())
}
