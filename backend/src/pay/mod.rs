//! Pay with OpenGate (SPEC §6): orders and their `trade_no` rules, pricing, payment
//! PINs, the one-transaction confirmation, paying through a partner source, and the
//! notifications they enqueue. Every balance change is `settle`'s.

pub mod confirm;
pub mod confirm_batch;
pub mod orders;
pub mod refund;
pub mod refund_batch;
pub mod settle;
pub mod source;
pub mod statement;

use opengate_shared::amount::format_amount;
use opengate_shared::pay::{Notification, NotificationData, OrderView};

use crate::state::AppState;
use crate::storage::pay::OrderRow;

/// Wrong PINs in a row before the PIN locks, and for how long (SPEC §6.2).
pub const PIN_MAX_FAILURES: i64 = 5;
pub const PIN_LOCK_MS: i64 = 15 * 60 * 1000;

/// Why a payment call failed. The HTTP layers map these to SPEC §10 codes
/// (`/open/v1`) or to `H5Error` codes (`/api/h5`).
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// A parameter is missing or invalid; the message names the field (U0029).
    #[error("{0}")]
    Invalid(String),
    /// The app lacks permission `pay` (U0076).
    #[error("this app lacks permission pay; apply for it in the console")]
    NoPermission,
    /// Same `trade_no`, different parameters, while pending (U0301).
    #[error("trade_no_conflict: trade_no {0:?} is pending with different parameters")]
    Conflict(String),
    /// Same `refund_no`, different fields (U0301).
    #[error("refund_no_conflict: refund_no {0:?} exists with different fields")]
    RefundConflict(String),
    /// No such refund for this caller (U0303).
    #[error("refund not found (no such refund_no in this app)")]
    RefundNotFound,
    /// The `trade_no` was paid already (U0302).
    #[error("already_paid: this order was paid already")]
    AlreadyPaid,
    /// No such order for this caller (U0303).
    #[error("order not found")]
    NotFound,
    /// The order's state does not allow this (U0304).
    #[error("{0}")]
    BadState(String),
    #[error("Wrong payment PIN: {0} tries left before it locks for 15 minutes.")]
    WrongPin(i64),
    /// Locked until this unix-ms time.
    #[error("Payment PIN locked after 5 wrong tries. Try again in 15 minutes.")]
    PinLocked(i64),
    #[error("Set a payment PIN on the account page first.")]
    PinNotSet,
    #[error("Insufficient balance. Top up and try again; the order stays open.")]
    Insufficient,
    #[error("This order has expired. Go back to the app and order again.")]
    Expired,
    #[error("This order can no longer be paid ({0}).")]
    OrderFailed(String),
    #[error("This order is for another account.")]
    NotPayer,
    #[error("This account cannot make payments (trading is frozen).")]
    Frozen,
    /// The partner source refused the debit (its own words).
    #[error("{0}")]
    SourceRefused(String),
    /// The source has not confirmed the debit yet; it is retried with the same id.
    #[error(
        "The partner site has not confirmed the payment yet. Try again in a moment; you will not be charged twice."
    )]
    SourcePending,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for PayError {
    fn from(e: sqlx::Error) -> PayError {
        PayError::Internal(e.into())
    }
}

pub type Result<T> = std::result::Result<T, PayError>;

fn decimals(d: i64) -> u32 {
    u32::try_from(d).unwrap_or(0)
}

/// The H5 address a user pays an order at.
pub fn pay_url(st: &AppState, order_id: &str) -> String {
    format!("{}/h5/pay/{order_id}", st.config.public_base_url.trim_end_matches('/'))
}

/// An order as `/open/v1/pay/orders*` shows it.
pub fn view(st: &AppState, o: &OrderRow) -> OrderView {
    OrderView {
        order_id: o.id.clone(),
        trade_no: o.trade_no.clone(),
        status: o.status.clone(),
        fail_reason: o.fail_reason.clone(),
        amount: format_amount(o.amount, decimals(o.price_decimals)),
        currency: o.currency.clone(),
        settle_amount: format_amount(o.settle_amount, decimals(o.settle_decimals)),
        settle_currency: o.settle_currency.clone(),
        rate: o.rate.clone(),
        subject: o.subject.clone(),
        pay_url: pay_url(st, &o.id),
        open_id: o.payer_open_id.clone(),
        created_at: o.created_at.div_euclid(1000),
        expires_at: o.expires_at.div_euclid(1000),
        paid_at: o.paid_at.map(|t| t.div_euclid(1000)),
        refunded_amount: format_amount(o.refunded_amount, decimals(o.price_decimals)),
    }
}

/// The notification body for the order's current state (SPEC §8): `open_id` only
/// when somebody paid, `fail_reason` only when failed.
pub fn notification(o: &OrderRow, id: &str, now_ms: i64) -> Notification {
    let paid = o.status == "paid";
    Notification {
        id: id.to_owned(),
        kind: if paid { "payment.succeeded" } else { "payment.failed" }.to_owned(),
        created_at: now_ms.div_euclid(1000),
        data: NotificationData {
            order_id: o.id.clone(),
            trade_no: o.trade_no.clone(),
            app_id: o.app_id.clone(),
            open_id: if paid { o.payer_open_id.clone() } else { None },
            amount: format_amount(o.amount, decimals(o.price_decimals)),
            currency: o.currency.clone(),
            settle_amount: format_amount(o.settle_amount, decimals(o.settle_decimals)),
            settle_currency: o.settle_currency.clone(),
            status: o.status.clone(),
            fail_reason: if o.status == "failed" { o.fail_reason.clone() } else { None },
            paid_at: o.paid_at.map(|t| t.div_euclid(1000)),
        },
    }
}

/// Where the browser goes after the order finished: the partner's `return_url` with
/// `order_id`, `trade_no` and `status` added (SPEC §6.3). None while pending.
pub fn return_to(o: &OrderRow) -> Option<String> {
    if o.status == "pending" {
        return None;
    }
    let mut u = url::Url::parse(o.return_url.as_deref()?).ok()?;
    u.query_pairs_mut()
        .append_pair("order_id", &o.id)
        .append_pair("trade_no", &o.trade_no)
        .append_pair("status", &o.status);
    Some(u.into())
}
