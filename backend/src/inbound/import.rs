//! Import links (SPEC §9, the third seed document): a partner page links to
//! `/h5/import?source=CODE&uid=…&ts=…&redirect=…&sig=…`. The link is checked
//! (signature first, so a forger learns nothing and burns nothing; then age; then
//! single use), the user is fetched from the source's user API through its adapter,
//! and the account rules apply.

use std::collections::BTreeMap;

use opengate_shared::signing;
use opengate_shared::source::{import_string_to_sign, IMPORT_MAX_AGE_SECS};

use super::accounts::{self, Admission, Incoming};
use super::joint::{Opened, DEFAULT_TARGET};
use super::{active_source, adapter, own_target, Result};
use crate::state::AppState;
use crate::storage::inbound as store;

const PARAMS: [&str; 5] = ["source", "uid", "ts", "redirect", "sig"];

fn refused(code: &'static str, message: &'static str) -> Opened {
    Opened::Refused { code, message }
}

/// Opens an import link given its raw query string.
pub async fn open_import(st: &AppState, raw_query: &str) -> Result<Opened> {
    let invalid = refused("link_invalid", "This link is not valid: ask the site you came from for a new one.");
    if raw_query.len() > 2048 {
        return Ok(invalid);
    }
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        if !PARAMS.contains(&k.as_ref()) || params.insert(k.into_owned(), v.into_owned()).is_some() {
            return Ok(invalid);
        }
    }
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let (Some(code), Some(uid), Some(ts), Some(sig)) = (get("source"), get("uid"), get("ts"), get("sig")) else {
        return Ok(invalid);
    };
    if uid.chars().count() > 64 || uid.chars().any(char::is_control) || !signing::is_signature_format(sig) {
        return Ok(invalid);
    }
    let Some(source) = active_source(st, code).await? else { return Ok(invalid) };

    // 1. Signature over every other parameter (a tampered uid or redirect fails here).
    let Ok(signed) = import_string_to_sign(raw_query) else { return Ok(invalid) };
    if !signing::verify(&source.secret, &signed, sig) {
        tracing::warn!(source = %source.code, "import link with a wrong signature");
        return Ok(invalid);
    }
    // 2. Age, both ways.
    let ts: i64 = match ts.parse() {
        Ok(t) if ts.len() <= 12 && ts.bytes().all(|b| b.is_ascii_digit()) => t,
        _ => return Ok(invalid),
    };
    if (st.clock.now_secs() - ts).abs() > IMPORT_MAX_AGE_SECS {
        return Ok(refused(
            "link_expired",
            "This link has expired: go back to the site you came from and open it again.",
        ));
    }
    let target = match get("redirect") {
        None => DEFAULT_TARGET.to_owned(),
        Some(r) => match own_target(st, r) {
            Some(t) => t,
            None => return Ok(refused("bad_redirect", "This link points outside the platform's pages.")),
        },
    };
    // 3. Single use: the signature is remembered until the link would be too old anyway.
    let forget_at = (ts + IMPORT_MAX_AGE_SECS + 60) * 1000;
    if !store::use_import_link(&st.db.pool, &source.code, sig, forget_at).await? {
        tracing::warn!(source = %source.code, "an import link was replayed");
        return Ok(refused(
            "link_used",
            "This link was already used: go back to the site you came from and open it again.",
        ));
    }
    // 4. Who it is, from the source itself.
    let profile = match adapter::fetch_profile(st, &source, uid).await {
        Ok(p) => p,
        Err(why) => {
            tracing::warn!(source = %source.code, error = %why, "fetching an imported user failed");
            return Ok(refused(
                "source_unavailable",
                "The site you came from did not tell us who you are; try again from there in a moment.",
            ));
        }
    };
    let incoming = Incoming {
        source: &source,
        external_id: uid,
        mobile: profile.mobile.as_deref(),
        username: profile.username.as_deref(),
        nickname: profile.nickname.as_deref(),
        channel: &source.code,
    };
    Ok(match accounts::admit(st, &incoming).await? {
        Admission::LoggedIn { user_id, .. } => Opened::LoggedIn { user_id, target },
        Admission::LoginRequired { account } => Opened::LoginRequired { account, target },
        Admission::Frozen => refused("account_frozen", "This account is frozen; contact support."),
    })
}
