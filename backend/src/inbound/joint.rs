//! Joint login (SPEC §9, the second seed document): a partner server posts its user
//! with its own field names and gets a single-use, 5-minute H5 URL; opening the URL
//! applies the account rules. Only the SHA-256 of the link's token is stored.

use serde_json::{Map, Value};

use super::accounts::{self, Admission, Incoming};
use super::{active_source, own_target, InboundError, Result};
use crate::login::{hash_secret, new_secret};
use crate::state::AppState;
use crate::storage::apps;
use crate::storage::inbound::{self as store, JointLink};

pub const LINK_TTL_MS: i64 = 5 * 60 * 1000;
pub const TOKEN_PREFIX: &str = "jl_";
/// Where a joint-login user lands unless `map.redirect` names another of our pages.
pub const DEFAULT_TARGET: &str = "/h5/account";
const MAX_MAP_BYTES: usize = 4096;
const FIELDS: [&str; 6] = ["openId", "merchantNo", "mob", "sourceMc", "sourceAf", "map"];

fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    match body.get(name) {
        None | Some(Value::Null) => Err(InboundError::Invalid(format!("{name}: is required"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(InboundError::Invalid(format!("{name}: must not be empty")))
        }
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(InboundError::Invalid(format!("{name}: must be a string"))),
    }
}

fn code_field<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str> {
    let v = field(body, name)?;
    if v.len() > 32 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
        return Err(InboundError::Invalid(format!("{name}: must be 1..32 of [A-Za-z0-9_.-]")));
    }
    Ok(v)
}

/// Checks the partner's request and makes the link. Returns the absolute URL.
pub async fn create_link(st: &AppState, app_id: &str, bytes: &[u8]) -> Result<String> {
    if !apps::has_permission(&st.db.pool, app_id, "joint_login").await? {
        return Err(InboundError::NoPermission);
    }
    let body: Map<String, Value> = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(InboundError::Invalid("body: must be a JSON object".into())),
        Err(e) => return Err(InboundError::Invalid(format!("body: not JSON ({e})"))),
    };
    if let Some(k) = body.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(InboundError::Invalid(format!("{k}: unknown field (fields are {})", FIELDS.join(", "))));
    }
    let open_id = field(&body, "openId")?;
    if open_id.chars().count() > 64 || open_id.chars().any(char::is_control) {
        return Err(InboundError::Invalid("openId: must be 1..64 characters without control characters".into()));
    }
    let merchant_no = code_field(&body, "merchantNo")?;
    let mob = field(&body, "mob")?;
    if !super::adapter::is_mobile(mob) {
        return Err(InboundError::Invalid("mob: must match ^\\+?[0-9]{6,15}$".into()));
    }
    let source_mc = code_field(&body, "sourceMc")?;
    let source_af = code_field(&body, "sourceAf")?;
    let (extra, target) = match body.get("map") {
        None | Some(Value::Null) => (None, DEFAULT_TARGET.to_owned()),
        Some(Value::Object(m)) => {
            let text = serde_json::to_string(m).map_err(anyhow::Error::from)?;
            if text.len() > MAX_MAP_BYTES {
                return Err(InboundError::Invalid(format!("map: larger than {MAX_MAP_BYTES} bytes")));
            }
            let target = match m.get("redirect") {
                None => DEFAULT_TARGET.to_owned(),
                Some(Value::String(r)) => own_target(st, r).ok_or_else(|| {
                    InboundError::Invalid("map.redirect: must be a page of the platform's H5 (/h5/…)".into())
                })?,
                Some(_) => return Err(InboundError::Invalid("map.redirect: must be a string".into())),
            };
            (Some(text), target)
        }
        Some(_) => return Err(InboundError::Invalid("map: must be a JSON object".into())),
    };
    let source = match active_source(st, merchant_no).await? {
        Some(s) if s.app_id.as_deref() == Some(app_id) => s,
        _ => {
            return Err(InboundError::Invalid(
                "merchantNo: no active source with this merchant number is linked to your app; ask the operator".into(),
            ))
        }
    };
    let now = st.clock.now_ms();
    let token = new_secret(TOKEN_PREFIX);
    let link = JointLink {
        source: source.code.clone(),
        app_id: app_id.to_owned(),
        external_id: open_id.to_owned(),
        mobile: mob.to_owned(),
        channel: format!("{source_mc}/{source_af}"),
        target,
        expires_at: now + LINK_TTL_MS,
        used_at: None,
    };
    store::insert_joint_link(&st.db.pool, &hash_secret(&token), &link, extra.as_deref(), now).await?;
    let base = st.config.public_base_url.trim_end_matches('/');
    Ok(format!("{base}/h5/joint?t={token}"))
}

/// What opening a link comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    LoggedIn {
        user_id: String,
        target: String,
    },
    LoginRequired {
        account: String,
        target: String,
    },
    /// Used, expired, unknown, or the account is frozen: an H5 error page with this code.
    Refused {
        code: &'static str,
        message: &'static str,
    },
}

/// Uses the link (once) and applies the account rules.
pub async fn open_link(st: &AppState, token: &str) -> Result<Opened> {
    let unknown = Opened::Refused { code: "link_invalid", message: "This sign-in link is not valid." };
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 80 {
        return Ok(unknown);
    }
    let now = st.clock.now_ms();
    let found = {
        let mut w = st.db.begin_write().await?;
        let found = store::use_joint_link(&mut w.tx, &hash_secret(token), now).await?;
        w.commit().await?;
        found
    };
    let link = match found {
        None => return Ok(unknown),
        Some((link, true)) => link,
        Some((link, false)) if link.used_at.is_some() => {
            tracing::warn!(source = %link.source, "a used joint-login link was opened again");
            return Ok(Opened::Refused {
                code: "link_used",
                message: "This sign-in link was already used. Go back to the app you came from and open it again.",
            });
        }
        Some(_) => {
            return Ok(Opened::Refused {
                code: "link_expired",
                message: "This sign-in link has expired (links last 5 minutes). Go back to the app and open it again.",
            })
        }
    };
    let Some(source) = active_source(st, &link.source).await? else {
        return Ok(Opened::Refused {
            code: "source_disabled",
            message: "The site you came from is not connected any more.",
        });
    };
    let incoming = Incoming {
        source: &source,
        external_id: &link.external_id,
        mobile: Some(&link.mobile),
        username: None,
        nickname: None,
        channel: &link.channel,
    };
    Ok(match accounts::admit(st, &incoming).await? {
        Admission::LoggedIn { user_id, .. } => Opened::LoggedIn { user_id, target: link.target },
        Admission::LoginRequired { account } => Opened::LoginRequired { account, target: link.target },
        Admission::Frozen => {
            Opened::Refused { code: "account_frozen", message: "This account is frozen; contact support." }
        }
    })
}
