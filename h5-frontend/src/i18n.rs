//! Every text a user reads, one typed struct per language: a language that lacks a key
//! does not compile. Only English exists today; Chinese and Korean become more consts
//! of the same struct.

use opengate_shared::h5api::H5Error;
use yew::prelude::*;

/// The texts of one language.
#[derive(Debug, PartialEq, Eq)]
pub struct Texts {
    pub brand: &'static str,
    pub loading: &'static str,
    pub redirecting: &'static str,
    pub network_error: &'static str,
    pub home: &'static str,
    pub logged_in_as: &'static str,

    pub status_checking: &'static str,
    pub status_label: &'static str,
    pub status_ok: &'static str,
    pub status_db_down: &'static str,
    pub status_unreachable: &'static str,
    pub status_tagline: &'static str,
    pub nav_apps: &'static str,
    pub nav_account: &'static str,

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
    pub consent_no_device_id: &'static str,
    pub scope_openid: &'static str,
    pub scope_profile: &'static str,
    pub scope_mobile: &'static str,
    pub scope_wallet: &'static str,

    pub apps_title: &'static str,
    pub apps_intro: &'static str,
    pub apps_none: &'static str,
    pub apps_granted_on: &'static str,
    pub apps_revoke: &'static str,
    pub apps_logout: &'static str,

    pub pay_to: &'static str,
    pub pay_order_no: &'static str,
    pub pay_settle_label: &'static str,
    pub pay_rate_label: &'static str,
    pub pay_balance_label: &'static str,
    pub pay_pin_prompt: &'static str,
    pub pay_pin_entered: &'static str,
    pub pay_key_delete: &'static str,
    pub pay_confirm: &'static str,
    pub pay_confirming: &'static str,
    pub pay_cancel: &'static str,
    pub pay_cancelling: &'static str,
    pub pay_no_pin: &'static str,
    pub pay_set_pin: &'static str,
    pub pay_insufficient: &'static str,
    pub pay_expired: &'static str,
    pub pay_already_paid: &'static str,
    pub pay_paid: &'static str,
    pub pay_failed: &'static str,
    pub pay_reason_expired: &'static str,
    pub pay_reason_cancelled: &'static str,
    pub pay_reason_closed: &'static str,
    pub pay_return: &'static str,
    pub pay_returning: &'static str,
    pub pay_go_back: &'static str,

    pub account_title: &'static str,
    pub account_balances: &'static str,
    pub account_no_balances: &'static str,
    pub pin_status_set: &'static str,
    pub pin_status_unset: &'static str,
    pub pin_locked: &'static str,
    pub pin_form_set: &'static str,
    pub pin_form_change: &'static str,
    pub pin_current_label: &'static str,
    pub pin_new_label: &'static str,
    pub pin_repeat_label: &'static str,
    pub pin_submit: &'static str,
    pub pin_submitting: &'static str,
    pub pin_saved: &'static str,
    pub pin_bad_shape: &'static str,
    pub pin_current_bad: &'static str,
    pub pin_mismatch: &'static str,

    pub error_title: &'static str,
    pub error_code_label: &'static str,
    pub error_generic: &'static str,

    pub not_found_title: &'static str,
    pub not_found_hint: &'static str,
}

pub const EN: Texts = Texts {
    brand: "OpenGate",
    loading: "Loading…",
    redirecting: "Redirecting…",
    network_error: "Cannot reach OpenGate. Check your connection and try again.",
    home: "Home",
    logged_in_as: "Logged in as",

    status_checking: "Checking…",
    status_label: "Platform status",
    status_ok: "ok",
    status_db_down: "database unreachable",
    status_unreachable: "Cannot reach the platform",
    status_tagline: "Log in and pay with OpenGate inside partner apps.",
    nav_apps: "Authorized apps",
    nav_account: "My account",

    login_title: "Log in to OpenGate",
    login_account_label: "Mobile number or e-mail",
    login_account_placeholder: "138 0000 0000 or you@example.com",
    login_password_label: "Password",
    login_submit: "Log in",
    login_submitting: "Logging in…",
    login_missing_fields: "Enter your mobile number or e-mail and your password.",

    consent_wants: "wants to use your OpenGate account",
    consent_receives: "It will receive:",
    consent_required: "required",
    consent_approve: "Agree",
    consent_deny: "Deny",
    consent_no_request: "This link has no login request. Go back to the app and try again.",
    consent_dead_title: "This login link can no longer be used",
    consent_dead_hint: "Go back to the app and start the login again.",
    consent_no_device_id: "This browser cannot create a device id.",
    scope_openid: "Your OpenGate identity (open_id)",
    scope_profile: "Nickname and avatar",
    scope_mobile: "Mobile number (masked)",
    scope_wallet: "Wallet balances",

    apps_title: "Authorized apps",
    apps_intro: "These apps can use your OpenGate account. Revoking one stops it at once.",
    apps_none: "No apps are authorized.",
    apps_granted_on: "Authorized on",
    apps_revoke: "Revoke",
    apps_logout: "Log out",

    pay_to: "Pay to",
    pay_order_no: "Order no.",
    pay_settle_label: "You pay",
    pay_rate_label: "Rate",
    pay_balance_label: "Your balance",
    pay_pin_prompt: "Enter your 6-digit payment PIN",
    pay_pin_entered: "digits entered",
    pay_key_delete: "Delete",
    pay_confirm: "Pay now",
    pay_confirming: "Paying…",
    pay_cancel: "Cancel payment",
    pay_cancelling: "Cancelling…",
    pay_no_pin: "Set a payment PIN first; then come back here to pay.",
    pay_set_pin: "Set a payment PIN",
    pay_insufficient:
        "Your balance is too low for this payment. The order stays open: top up and try again before it expires.",
    pay_expired: "This order has expired. Go back to the app and start the payment again.",
    pay_already_paid: "This order has already been paid.",
    pay_paid: "Payment successful",
    pay_failed: "Payment failed",
    pay_reason_expired: "The order expired before it was paid.",
    pay_reason_cancelled: "You cancelled the payment.",
    pay_reason_closed: "The merchant closed the order.",
    pay_return: "Back to the app",
    pay_returning: "Taking you back to the app…",
    pay_go_back: "You can go back to the app now.",

    account_title: "My account",
    account_balances: "Balances",
    account_no_balances: "No balances yet.",
    pin_status_set: "Payment PIN is set",
    pin_status_unset: "No payment PIN yet",
    pin_locked: "Your payment PIN is locked after too many wrong tries. Try again later; the lock lasts 15 minutes.",
    pin_form_set: "Set your payment PIN",
    pin_form_change: "Change your payment PIN",
    pin_current_label: "Current PIN",
    pin_new_label: "New PIN (6 digits)",
    pin_repeat_label: "New PIN again",
    pin_submit: "Save PIN",
    pin_submitting: "Saving…",
    pin_saved: "Your payment PIN is saved.",
    pin_bad_shape: "A payment PIN is exactly 6 digits.",
    pin_current_bad: "Enter your current 6-digit PIN.",
    pin_mismatch: "The two new PINs are not the same.",

    error_title: "Something went wrong",
    error_code_label: "Error code",
    error_generic: "The link you followed is not valid. Go back to the app and try again.",

    not_found_title: "Page not found",
    not_found_hint: "Check the link you followed.",
};

impl Texts {
    /// The language to show. Only English exists today; this is where the browser's
    /// language (and the user's switch) will choose.
    pub fn current() -> &'static Texts {
        &EN
    }

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

    /// What the user reads for an error: our own text when the server was not
    /// reached, else the server's message.
    pub fn error_text(&self, err: &H5Error) -> String {
        if err.error == crate::api::NETWORK_ERROR {
            self.network_error.to_owned()
        } else {
            err.message.clone()
        }
    }
}

/// The texts of the language chosen by the app (English outside a provider).
#[hook]
pub fn use_texts() -> &'static Texts {
    use_context::<&'static Texts>().unwrap_or(&EN)
}
