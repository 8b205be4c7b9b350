//! The account rules of SPEC §9, shared by joint login and imports:
//!
//! - no account has this mobile (or, without a mobile, this source's user name): one
//!   is created with no password, marked with the source and channel, and logged in;
//! - the account exists and nobody ever used it directly (no password set, never a
//!   password login): logged in — for `partner_users` sources whichever source made
//!   it, for `new_users` sources only when this source made it;
//! - otherwise the user logs in by hand, the account pre-filled.

use super::{Result, Source, Trust};
use crate::state::AppState;
use crate::storage::inbound::{self as store, Account, NewSourceUser};
use crate::storage::is_unique_violation;

/// Someone a source vouches for.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub source: &'a Source,
    /// The user's id at the source (`openId` of joint login, `uid` of an import).
    pub external_id: &'a str,
    pub mobile: Option<&'a str>,
    pub username: Option<&'a str>,
    pub nickname: Option<&'a str>,
    /// Channel codes recorded on a new account (`sourceMc/sourceAf`, or the source code).
    pub channel: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Log this user in; `created` when the account was made just now.
    LoggedIn { user_id: String, created: bool },
    /// The user must log in by hand; `account` pre-fills the form (may be empty).
    LoginRequired { account: String },
    /// The account is frozen.
    Frozen,
}

/// The partner's nickname when it passes the platform's nickname rule (a longer one
/// is cut at 64 characters), else the masked mobile or the user name.
fn masked_nickname(inc: &Incoming<'_>) -> String {
    let cut = |n: &str| n.trim().chars().take(opengate_shared::h5api::NICKNAME_MAX).collect::<String>();
    if let Some(n) = inc.nickname.map(cut).as_deref().and_then(opengate_shared::h5api::nickname) {
        return n.to_owned();
    }
    match (inc.mobile, inc.username) {
        (Some(m), _) => opengate_shared::ids::mask_mobile(m),
        (None, Some(u)) => u.chars().take(64).collect(),
        (None, None) => "user".into(),
    }
}

fn decide(source: &Source, a: &Account) -> Admission {
    if a.status != 0 {
        return Admission::Frozen;
    }
    let own = a.source.as_deref() == Some(source.code.as_str());
    let trusted = match source.trust {
        // An account the operator made (an app admin's, say) was never "used only
        // through partner sources": it is never opened without its password.
        Trust::PartnerUsers => a.source.is_some(),
        Trust::NewUsers => own,
    };
    if a.used_directly || !trusted {
        let account = a.mobile.clone().or_else(|| a.email.clone()).unwrap_or_default();
        return Admission::LoginRequired { account };
    }
    Admission::LoggedIn { user_id: a.id.clone(), created: false }
}

/// Applies the rules in one write transaction. Two first visits of one new user at
/// the same moment make one account: the loser of the unique index looks again.
pub async fn admit(st: &AppState, inc: &Incoming<'_>) -> Result<Admission> {
    for _ in 0..2 {
        match admit_once(st, inc).await {
            Err(super::InboundError::Db(e)) if is_unique_violation(&e) => continue,
            other => return other,
        }
    }
    Err(anyhow::anyhow!("account creation kept colliding").into())
}

async fn admit_once(st: &AppState, inc: &Incoming<'_>) -> Result<Admission> {
    let now = st.clock.now_ms();
    let code = inc.source.code.as_str();
    let mut w = st.db.begin_write().await?;
    let found = match (inc.mobile, inc.username) {
        (Some(m), _) => store::account_by_mobile(&mut w.tx, m).await?,
        (None, Some(u)) => store::account_by_username(&mut w.tx, code, u).await?,
        (None, None) => return Err(super::InboundError::Invalid("neither a mobile nor a user name".into())),
    };
    let admission = match found {
        Some(a) => decide(inc.source, &a),
        None => {
            let id = crate::crypto::new_id("usr");
            let username = inc.username.or(inc.mobile).unwrap_or(inc.external_id);
            let nickname = masked_nickname(inc);
            let new = NewSourceUser {
                id: &id,
                mobile: inc.mobile,
                username,
                nickname: &nickname,
                source: code,
                channel: inc.channel,
                now,
            };
            store::insert_source_user(&mut w.tx, &new).await?;
            tracing::info!(source = code, "account created for a source's user");
            Admission::LoggedIn { user_id: id, created: true }
        }
    };
    if let Admission::LoggedIn { user_id, .. } = &admission {
        store::link_user(&mut w.tx, code, inc.external_id, user_id, now).await?;
    }
    w.commit().await?;
    Ok(admission)
}
