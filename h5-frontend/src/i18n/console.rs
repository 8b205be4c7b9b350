//! The texts of the developer console (`Texts::console`), and how its states read.
//! Templates: `{n}`, `{max}`, `{date}`, `{name}`; translations keep the placeholder.
//! They are not a field of [`Texts`] but reached through its language, so only the
//! extra bundle, whose pages ask for them, carries them (ADR 0017).

use super::{Lang, Texts};

impl Texts {
    /// The developer console's texts in this language.
    pub fn console(&self) -> &'static ConsoleTexts {
        match self.lang {
            Lang::Zh => &super::zh::ZH_CONSOLE,
            Lang::Ko => &super::ko::KO_CONSOLE,
            Lang::En => &super::en::EN_CONSOLE,
        }
    }
}

/// The developer console's texts of one language.
#[derive(Debug, PartialEq, Eq)]
pub struct ConsoleTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub empty: &'static str,
    pub switch_account: &'static str,
    pub suspended: &'static str,
    pub suspended_note: &'static str,
    pub app_id: &'static str,
    pub company: &'static str,
    pub all_apps: &'static str,
    pub not_found: &'static str,
    pub add: &'static str,
    pub remove: &'static str,
    /// `{name}`: what the button removes (its name for screen readers).
    pub remove_name: &'static str,
    pub cancel: &'static str,
    pub save: &'static str,
    pub saved: &'static str,
    pub shown_once: &'static str,
    pub secret_done: &'static str,

    pub keys_title: &'static str,
    /// `{n}` enabled of `{max}`.
    pub keys_count: &'static str,
    pub keys_none: &'static str,
    /// `{max}`: a change refused because that many keys are enabled already.
    pub keys_full: &'static str,
    pub key_create: &'static str,
    pub new_key_title: &'static str,
    pub access_key: &'static str,
    pub secret_key: &'static str,
    pub key_enabled: &'static str,
    pub key_disabled: &'static str,
    /// `{date}`.
    pub key_created: &'static str,
    pub key_enable: &'static str,
    pub key_disable: &'static str,
    pub key_delete: &'static str,
    pub key_delete_ask: &'static str,
    pub key_delete_confirm: &'static str,
    pub ip_title: &'static str,
    pub ip_none: &'static str,
    pub ip_label: &'static str,

    pub redirect_title: &'static str,
    pub redirect_intro: &'static str,
    pub redirect_label: &'static str,
    pub redirect_none: &'static str,
    pub hosts_title: &'static str,
    pub hosts_intro: &'static str,
    pub hosts_label: &'static str,
    pub hosts_none: &'static str,

    pub notify_title: &'static str,
    pub notify_url_label: &'static str,
    pub notify_url_hint: &'static str,
    pub secret_title: &'static str,
    pub secret_intro: &'static str,
    pub rotate: &'static str,
    pub rotate_ask: &'static str,
    pub rotate_confirm: &'static str,
    pub new_secret_title: &'static str,
    /// `{date}`: day and time the previous notify secret stops signing.
    pub previous_until: &'static str,

    pub perms_title: &'static str,
    pub perm_login: &'static str,
    pub perm_pay: &'static str,
    pub perm_user_lookup: &'static str,
    pub perm_joint_login: &'static str,
    pub perm_approved: &'static str,
    pub perm_applied: &'static str,
    pub perm_refused: &'static str,
    pub perm_none: &'static str,
    pub perm_apply: &'static str,
    /// `{name}`: the apply button's name for screen readers.
    pub perm_apply_for: &'static str,

    pub orders_title: &'static str,
    pub orders_search_label: &'static str,
    pub orders_search: &'static str,
    pub orders_none: &'static str,
    pub orders_no_match: &'static str,
    pub orders_more: &'static str,
    pub statement_title: &'static str,
    pub statement_date: &'static str,
    pub statement_download: &'static str,
    pub statement_note: &'static str,
    pub order_pending: &'static str,
    pub order_paid: &'static str,
    pub order_failed: &'static str,
    pub notification: &'static str,
    pub notify_delivered: &'static str,
    pub notify_pending: &'static str,
    pub notify_exhausted: &'static str,
    pub notify_none: &'static str,

    pub deliveries_title: &'static str,
    pub order_label: &'static str,
    pub back_to_app: &'static str,
    pub deliveries_none: &'static str,
    pub url: &'static str,
    pub status: &'static str,
    pub created: &'static str,
    pub next_attempt: &'static str,
    pub delivered_at: &'static str,
    pub attempts_title: &'static str,
    pub attempts_none: &'static str,
}

impl ConsoleTexts {
    /// A permission's name; an unknown one shows as it is.
    pub fn permission<'a>(&'static self, name: &'a str) -> &'a str {
        match name {
            "login" => self.perm_login,
            "pay" => self.perm_pay,
            "user_lookup" => self.perm_user_lookup,
            "joint_login" => self.perm_joint_login,
            other => other,
        }
    }

    /// Where an application for a permission stands.
    pub fn permission_status<'a>(&'static self, status: Option<&'a str>) -> &'a str {
        match status {
            Some("approved") => self.perm_approved,
            Some("applied") => self.perm_applied,
            Some("refused") => self.perm_refused,
            Some(other) => other,
            None => self.perm_none,
        }
    }

    /// An order's status (`pending`, `paid`, `failed`).
    pub fn order_status<'a>(&'static self, status: &'a str) -> &'a str {
        match status {
            "pending" => self.order_pending,
            "paid" => self.order_paid,
            "failed" => self.order_failed,
            other => other,
        }
    }

    /// A notification's state (`delivered`, `pending`, `exhausted`; `None`: none made).
    pub fn notify_state<'a>(&'static self, state: Option<&'a str>) -> &'a str {
        match state {
            Some("delivered") => self.notify_delivered,
            Some("pending") => self.notify_pending,
            Some("exhausted") => self.notify_exhausted,
            Some(other) => other,
            None => self.notify_none,
        }
    }

    /// "{n} of {max} keys enabled".
    pub fn keys_enabled(&self, n: usize, max: i64) -> String {
        self.keys_count.replace("{n}", &n.to_string()).replace("{max}", &max.to_string())
    }
}
