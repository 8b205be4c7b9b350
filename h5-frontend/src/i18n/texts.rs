//! The typed set of every text a user reads. Each language is one `const` of this
//! struct (`en.rs`, `zh.rs`, `ko.rs`): a language that lacks a key does not compile.
//! A text with `{n}`, `{time}`, `{date}`, `{name}`, `{app}` or `{status}` is a template
//! filled by the methods in `mod.rs`; translations keep the placeholder.

use opengate_shared::h5api::H5Error;

use super::{format, Check, Lang, Notice};
use crate::api;

/// The texts of one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Texts {
    /// The language these texts are in (dates and times are formatted by it).
    pub lang: Lang,

    pub brand: &'static str,
    pub loading: &'static str,
    pub redirecting: &'static str,
    pub try_again: &'static str,
    /// `{name}`: "nickname (account)".
    pub logged_in_as: &'static str,
    /// The label of the language switcher (for screen readers).
    pub language_label: &'static str,

    pub status_checking: &'static str,
    pub status_ok: &'static str,
    pub status_db_down: &'static str,
    pub status_unreachable: &'static str,
    pub status_tagline: &'static str,
    pub nav_apps: &'static str,
    pub nav_account: &'static str,
    pub nav_console: &'static str,

    pub login_title: &'static str,
    pub login_account_label: &'static str,
    pub login_account_placeholder: &'static str,
    pub login_password_label: &'static str,
    pub login_submit: &'static str,
    pub login_submitting: &'static str,
    pub login_missing_fields: &'static str,

    pub consent_wants: &'static str,
    pub consent_receives: &'static str,
    pub consent_required: &'static str,
    pub consent_approve: &'static str,
    pub consent_deny: &'static str,
    pub consent_no_request: &'static str,
    pub consent_dead_title: &'static str,
    pub consent_dead_hint: &'static str,
    pub consent_link_invalid: &'static str,
    pub consent_link_expired: &'static str,
    pub consent_link_used: &'static str,
    pub consent_no_device_id: &'static str,
    pub scope_openid: &'static str,
    pub scope_profile: &'static str,
    pub scope_mobile: &'static str,
    pub scope_wallet: &'static str,

    pub apps_title: &'static str,
    pub apps_intro: &'static str,
    pub apps_none: &'static str,
    /// `{date}`: the day the app was authorized.
    pub apps_granted_on: &'static str,
    pub apps_revoke: &'static str,
    /// `{app}`: the revoke button's name for screen readers.
    pub apps_revoke_app: &'static str,
    pub apps_logout: &'static str,

    pub pay_to: &'static str,
    pub pay_order_no: &'static str,
    pub pay_settle_label: &'static str,
    pub pay_rate_label: &'static str,
    pub pay_balance_label: &'static str,
    pub pay_pin_prompt: &'static str,
    /// `{n}`: digits entered so far (of 6).
    pub pay_pin_entered: &'static str,
    pub pay_pin_pad: &'static str,
    pub pay_key_delete: &'static str,
    pub pay_confirm: &'static str,
    pub pay_confirming: &'static str,
    pub pay_cancel: &'static str,
    pub pay_cancelling: &'static str,
    pub pay_no_pin: &'static str,
    pub pay_set_pin: &'static str,
    pub pay_insufficient: &'static str,
    pub pay_expired: &'static str,
    pub pay_not_found: &'static str,
    pub pay_already_paid: &'static str,
    pub pay_paid: &'static str,
    pub pay_failed: &'static str,
    pub pay_reason_expired: &'static str,
    pub pay_reason_cancelled: &'static str,
    pub pay_reason_closed: &'static str,
    pub pay_return: &'static str,
    pub pay_returning: &'static str,
    pub pay_go_back: &'static str,
    /// Heading of the choice between the balance and a partner source's currency.
    pub pay_method_label: &'static str,
    pub pay_method_balance: &'static str,
    /// The partner site refused the debit (`source_refused`).
    pub pay_source_refused: &'static str,
    /// The partner site has not confirmed the debit yet (`source_pending`).
    pub pay_source_pending: &'static str,

    pub account_title: &'static str,
    pub account_balances: &'static str,
    pub account_no_balances: &'static str,
    pub pin_status_set: &'static str,
    pub pin_status_unset: &'static str,
    pub pin_locked: &'static str,
    /// `{time}`: local HH:MM when the PIN unlocks.
    pub pin_locked_until: &'static str,
    pub pin_form_set: &'static str,
    pub pin_form_change: &'static str,
    pub pin_current_label: &'static str,
    pub pin_new_label: &'static str,
    pub pin_repeat_label: &'static str,
    pub pin_submit: &'static str,
    pub pin_submitting: &'static str,
    pub pin_saved: &'static str,
    pub nickname_edit: &'static str,
    pub nickname_label: &'static str,
    pub nickname_save: &'static str,
    pub nickname_cancel: &'static str,
    pub nickname_saved: &'static str,
    pub nickname_bad: &'static str,
    pub pin_bad_shape: &'static str,
    pub pin_current_bad: &'static str,
    pub pin_mismatch: &'static str,

    pub error_title: &'static str,
    pub error_code_label: &'static str,
    pub error_generic: &'static str,

    pub not_found_title: &'static str,
    pub not_found_hint: &'static str,

    // What `H5Error::error` codes say (see `Texts::error_text`).
    pub network_error: &'static str,
    pub err_bad_response: &'static str,
    /// `{status}`: the HTTP status of an answer that was not our JSON.
    pub err_http: &'static str,
    pub err_login_required: &'static str,
    pub err_bad_credentials: &'static str,
    pub err_locked: &'static str,
    /// `{time}`: local HH:MM when logins are allowed again.
    pub err_locked_until: &'static str,
    pub err_csrf: &'static str,
    pub err_invalid_request: &'static str,
    pub err_not_found: &'static str,
    pub err_expired: &'static str,
    pub err_used: &'static str,
    pub err_invalid_scope: &'static str,
    pub err_internal: &'static str,
    pub err_wrong_pin: &'static str,
    /// `{n}`: tries left before the PIN locks (more than one).
    pub err_wrong_pin_left: &'static str,
    pub err_wrong_pin_one_left: &'static str,
    pub err_order_failed: &'static str,
    pub err_not_payer: &'static str,
    pub err_frozen: &'static str,
    pub err_conflict: &'static str,
}

impl Texts {
    /// What the user reads for one scope; an unknown scope shows its own name.
    pub fn scope_label<'a>(&'static self, scope: &'a str) -> &'a str {
        match scope {
            "openid" => self.scope_openid,
            "profile" => self.scope_profile,
            "mobile" => self.scope_mobile,
            "wallet" => self.scope_wallet,
            other => other,
        }
    }

    /// "Logged in as nickname (account)".
    pub fn logged_in(&self, nickname: &str, account: &str) -> String {
        self.logged_in_as.replace("{name}", &format!("{nickname} ({account})"))
    }

    /// A calendar day in this language, in the browser's time zone.
    pub fn date(&self, unix_secs: i64) -> String {
        format::date(self.lang, unix_secs)
    }

    /// A local day and time of day in this language (`Nov 23, 2026 14:05`).
    pub fn date_time(&self, unix_secs: i64) -> String {
        format!("{} {}", self.date(unix_secs), format::time(unix_secs))
    }

    /// "Authorized on <day>".
    pub fn granted_on(&self, unix_secs: i64) -> String {
        self.apps_granted_on.replace("{date}", &self.date(unix_secs))
    }

    /// The screen-reader label of the PIN dots.
    pub fn pin_entered(&self, n: usize) -> String {
        self.pay_pin_entered.replace("{n}", &n.to_string())
    }

    /// The PIN is locked; until when, when it is known.
    pub fn pin_locked_text(&self, until: Option<i64>) -> String {
        match until {
            Some(at) => self.pin_locked_until.replace("{time}", &format::time(at)),
            None => self.pin_locked.to_owned(),
        }
    }

    /// What the user reads for a page's own check.
    pub fn check(&self, check: Check) -> &'static str {
        match check {
            Check::LoginMissingFields => self.login_missing_fields,
            Check::NoDeviceId => self.consent_no_device_id,
            Check::NoLoginRequest => self.consent_no_request,
            Check::PinBadShape => self.pin_bad_shape,
            Check::PinCurrentBad => self.pin_current_bad,
            Check::PinMismatch => self.pin_mismatch,
            Check::NicknameBad => self.nickname_bad,
        }
    }

    /// What the user reads for a notice.
    pub fn notice(&self, notice: &Notice) -> String {
        match notice {
            Notice::Error(err) => self.error_text(err),
            Notice::Check(check) => self.check(*check).to_owned(),
        }
    }

    /// What the user reads for an error, in this language. Every code the platform
    /// sends has a text; only an unknown one falls back to the server's English.
    pub fn error_text(&self, err: &H5Error) -> String {
        let text = match err.error.as_str() {
            api::NETWORK_ERROR => self.network_error,
            api::BAD_RESPONSE => self.err_bad_response,
            "login_required" => self.err_login_required,
            "bad_credentials" => self.err_bad_credentials,
            "locked" => {
                return match err.retry_at {
                    Some(at) => self.err_locked_until.replace("{time}", &format::time(at)),
                    None => self.err_locked.to_owned(),
                }
            }
            "csrf" => self.err_csrf,
            "invalid_request" => self.err_invalid_request,
            "not_found" => self.err_not_found,
            "expired" => self.err_expired,
            "used" => self.err_used,
            "invalid_scope" => self.err_invalid_scope,
            "internal" => self.err_internal,
            "wrong_pin" => {
                return match err.tries_left {
                    Some(1) => self.err_wrong_pin_one_left.to_owned(),
                    Some(n) => self.err_wrong_pin_left.replace("{n}", &n.to_string()),
                    None => self.err_wrong_pin.to_owned(),
                }
            }
            "pin_locked" => return self.pin_locked_text(err.retry_at),
            "pin_not_set" => self.pay_no_pin,
            "insufficient_balance" => self.pay_insufficient,
            "source_refused" => self.pay_source_refused,
            "source_pending" => self.pay_source_pending,
            "already_paid" => self.pay_already_paid,
            "order_failed" => self.err_order_failed,
            "not_payer" => self.err_not_payer,
            "frozen" => self.err_frozen,
            "conflict" => self.err_conflict,
            code => match api::http_status_of(code) {
                Some(status) => return self.err_http.replace("{status}", status),
                None => return err.message.clone(),
            },
        };
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, KO, ZH};
    use wasm_bindgen_test::wasm_bindgen_test;

    const CODES: &[&str] = &[
        "login_required",
        "bad_credentials",
        "locked",
        "csrf",
        "invalid_request",
        "not_found",
        "expired",
        "used",
        "invalid_scope",
        "internal",
        "wrong_pin",
        "pin_locked",
        "pin_not_set",
        "insufficient_balance",
        "source_refused",
        "source_pending",
        "already_paid",
        "order_failed",
        "not_payer",
        "frozen",
        "conflict",
        "network",
        "bad_response",
    ];

    #[wasm_bindgen_test]
    fn every_known_code_has_its_own_text_in_every_language() {
        for t in [&EN, &ZH, &KO] {
            for &code in CODES {
                let text = t.error_text(&H5Error::new(code, "SERVER TEXT"));
                assert!(!text.is_empty() && text != "SERVER TEXT", "{:?} {code}", t.lang);
            }
            assert_eq!(t.error_text(&H5Error::new("brand_new", "SERVER TEXT")), "SERVER TEXT");
            assert!(t.error_text(&H5Error::new("http_502", "x")).contains("502"));
        }
    }

    #[wasm_bindgen_test]
    fn wrong_pin_says_the_tries_left() {
        let err = |n| H5Error { tries_left: Some(n), ..H5Error::new("wrong_pin", "x") };
        assert_eq!(EN.error_text(&err(4)), "Wrong payment PIN. 4 tries left before it locks.");
        assert_eq!(EN.error_text(&err(1)), "Wrong payment PIN. 1 try left before it locks.");
        assert_eq!(ZH.error_text(&err(2)), "支付密码错误，还可输入 2 次。");
        assert_eq!(KO.error_text(&err(2)), "결제 비밀번호가 올바르지 않습니다. 남은 입력 횟수: 2회");
    }

    #[wasm_bindgen_test]
    fn locks_say_until_when() {
        let at = 1_795_132_800 + 14 * 3600 + 5 * 60;
        let hhmm = format::time(at);
        let locked = H5Error { retry_at: Some(at), ..H5Error::new("locked", "x") };
        let pin_locked = H5Error { retry_at: Some(at), ..H5Error::new("pin_locked", "x") };
        for t in [&EN, &ZH, &KO] {
            assert!(t.error_text(&locked).contains(&hhmm), "{:?}", t.lang);
            assert!(t.error_text(&pin_locked).contains(&hhmm), "{:?}", t.lang);
            assert!(!t.error_text(&H5Error::new("locked", "x")).contains('{'));
        }
    }

    #[wasm_bindgen_test]
    fn templates_keep_their_placeholders() {
        for t in [&EN, &ZH, &KO] {
            for (text, key) in [
                (t.logged_in_as, "{name}"),
                (t.apps_granted_on, "{date}"),
                (t.apps_revoke_app, "{app}"),
                (t.pay_pin_entered, "{n}"),
                (t.pin_locked_until, "{time}"),
                (t.err_locked_until, "{time}"),
                (t.err_wrong_pin_left, "{n}"),
                (t.err_http, "{status}"),
                (t.console().remove_name, "{name}"),
                (t.console().keys_count, "{n}"),
                (t.console().keys_count, "{max}"),
                (t.console().keys_full, "{max}"),
                (t.console().key_created, "{date}"),
                (t.console().previous_until, "{date}"),
                (t.console().perm_apply_for, "{name}"),
            ] {
                assert!(text.contains(key), "{:?}: {text}", t.lang);
            }
        }
    }
}
