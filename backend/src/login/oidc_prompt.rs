//! OIDC Core §3.1.2.1 on the authorize request: `prompt=none|login|consent` and
//! `max_age`. `prompt=none` is answered at `/oauth/authorize` from the browser's
//! session, with no page; `login` and `max_age` make a session that is too old log in
//! again (the consent API ends it and answers `login_required`, so the H5 shows its
//! login page); `consent` shows the consent page even when everything was granted.
//! (`login_hint` is accepted and not used yet.)

use super::authorize::{already_granted, decide, pending, with_query, Decision, Pending};
use super::{Result, AUTH_REQUEST_TTL_MS};
use crate::state::AppState;
use crate::storage::oauth;

/// The checked `prompt` and `max_age` of a request, as stored.
pub struct PromptParams {
    pub prompt: Option<String>,
    pub max_age: Option<i64>,
}

/// Parses `prompt` and `max_age`; Err is the `error_description` of `invalid_request`.
pub fn parse(prompt: Option<&str>, max_age: Option<&str>) -> std::result::Result<PromptParams, String> {
    let mut values: Vec<&str> = Vec::new();
    for v in prompt.unwrap_or("").split(' ').filter(|v| !v.is_empty()) {
        if !matches!(v, "none" | "login" | "consent" | "select_account") {
            return Err(format!("prompt value {v:?} is not one of none, login, consent, select_account"));
        }
        if !values.contains(&v) {
            values.push(v);
        }
    }
    if values.contains(&"none") && values.len() > 1 {
        return Err("prompt=none cannot be combined with other values".into());
    }
    let max_age = match max_age.filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => Some(
            m.parse::<i64>()
                .ok()
                .filter(|n| (0..=10 * 365 * 86_400).contains(n))
                .ok_or_else(|| "max_age must be a number of seconds (0 or more)".to_string())?,
        ),
    };
    Ok(PromptParams { prompt: (!values.is_empty()).then(|| values.join(" ")), max_age })
}

fn has(req: &oauth::AuthRequest, value: &str) -> bool {
    req.prompt.as_deref().is_some_and(|p| p.split(' ').any(|v| v == value))
}

pub fn is_silent(req: &oauth::AuthRequest) -> bool {
    has(req, "none")
}

/// The consent page must be shown even when every scope was granted before.
pub fn consent_forced(req: &oauth::AuthRequest) -> bool {
    has(req, "consent")
}

/// Whether a login at `login_at` (unix ms) satisfies the request at `now`:
/// `prompt=login` (or `select_account`) wants a login after the request was made,
/// `max_age` one at most that many seconds old.
pub fn login_fresh(req: &oauth::AuthRequest, login_at: i64, now: i64) -> bool {
    let created_at = req.expires_at - AUTH_REQUEST_TTL_MS;
    if (has(req, "login") || has(req, "select_account")) && login_at < created_at {
        return false;
    }
    req.max_age.is_none_or(|m| login_at >= now - m * 1000)
}

/// `prompt=none`: the code at once when the browser's session may have it, else the
/// redirect URI with `login_required`, `consent_required` or `interaction_required`.
/// `user` is the session's `(user_id, login_at)`.
pub async fn answer_silently(st: &AppState, id: &str, user: Option<(&str, i64)>) -> Result<String> {
    let p: Pending = match pending(st, id).await? {
        Ok(p) => p,
        // Just stored: gone only if it expired in between; a page cannot help either.
        Err(_) => return Ok("/h5/error?error=invalid_request&error_description=the+request+expired".into()),
    };
    let now = st.clock.now_ms();
    let refusal = match user {
        None => Some(("login_required", "prompt=none, and nobody is logged in")),
        Some((_, login_at)) if !login_fresh(&p.req, login_at, now) => {
            Some(("login_required", "prompt=none, and the login is older than max_age"))
        }
        Some((user_id, _)) if !already_granted(st, &p, user_id).await? => {
            Some(("consent_required", "prompt=none, and the user has not granted every requested scope"))
        }
        Some(_) if p.req.device_id.is_none() => {
            Some(("interaction_required", "prompt=none needs device_id: the H5 page makes one otherwise"))
        }
        Some(_) => None,
    };
    if let Some((error, description)) = refusal {
        oauth::use_auth_request(&st.db.pool, &p.req.id, now).await?;
        let state = p.req.state.as_deref();
        let pairs = [("error", Some(error)), ("error_description", Some(description)), ("state", state)];
        return Ok(with_query(&p.req.redirect_uri, &pairs));
    }
    let Some((user_id, login_at)) = user else { unreachable!("refused above when nobody is logged in") };
    let decision = Decision::Approve { scopes: p.requested.clone(), h5_device_id: None };
    match decide(st, &p, user_id, login_at, decision).await? {
        Ok(url) => Ok(url),
        Err(_) => Ok("/h5/error?error=invalid_request&error_description=the+request+was+already+answered".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values_and_max_age_are_checked() {
        let ok = parse(Some("login consent login"), Some("300")).expect("valid");
        assert_eq!((ok.prompt.as_deref(), ok.max_age), (Some("login consent"), Some(300)));
        assert!(parse(Some("none login"), None).is_err());
        assert!(parse(Some("nope"), None).is_err());
        assert!(parse(None, Some("-1")).is_err());
        assert!(parse(None, Some("1.5")).is_err());
        let none = parse(Some(""), Some("")).expect("empty");
        assert!(none.prompt.is_none() && none.max_age.is_none());
    }
}
