//! The user's side of paying (SPEC §6.2): payment PINs, confirmation in one
//! transaction (debit, credit, paid, outbox), and cancelling.

use opengate_shared::h5api::is_pin_shape;

use super::confirm_batch::{ConfirmJob, Confirmed};
use super::orders::{self, notify_url_of};
use super::{PayError, Result, PIN_LOCK_MS, PIN_MAX_FAILURES};
use crate::login::{new_public_id, prefix};
use crate::state::AppState;
use crate::storage::oauth::{self, PublicId};
use crate::storage::pay::{self as store, OrderRow};
use crate::storage::{apps, users};

/// A user's PIN state for the pages: set or not, and locked until when (unix ms).
pub async fn pin_state(st: &AppState, user_id: &str) -> Result<(bool, Option<i64>)> {
    let now = st.clock.now_ms();
    Ok(match store::pin(&st.db.pool, user_id).await? {
        None => (false, None),
        Some(p) => (true, (p.locked_until > now).then_some(p.locked_until)),
    })
}

/// Checks a PIN against the stored one, counting failures (5 in a row lock it).
pub(crate) async fn check_pin(st: &AppState, user_id: &str, pin: &str) -> Result<()> {
    if !is_pin_shape(pin) {
        return Err(PayError::Invalid("pin: must be exactly 6 digits".into()));
    }
    let now = st.clock.now_ms();
    let stored = store::pin(&st.db.pool, user_id).await?.ok_or(PayError::PinNotSet)?;
    if stored.locked_until > now {
        return Err(PayError::PinLocked(stored.locked_until));
    }
    let given = st.secrets.pin_hash(user_id, pin);
    if crate::crypto::constant_eq(given.as_bytes(), stored.pin_hash.as_bytes()) {
        if stored.failures > 0 {
            store::pin_succeeded(&st.db.pool, user_id).await?;
        }
        return Ok(());
    }
    let (failures, locked_until) = store::pin_failed(&st.db.pool, user_id, PIN_MAX_FAILURES, now, PIN_LOCK_MS).await?;
    if locked_until > now {
        tracing::warn!("payment PIN locked after repeated wrong tries");
        return Err(PayError::PinLocked(locked_until));
    }
    Err(PayError::WrongPin(PIN_MAX_FAILURES - failures))
}

/// Sets the PIN (first time) or changes it (the current PIN is required and checked).
pub async fn set_pin(st: &AppState, user_id: &str, current: Option<&str>, new_pin: &str) -> Result<()> {
    if !is_pin_shape(new_pin) {
        return Err(PayError::Invalid("new_pin: must be exactly 6 digits".into()));
    }
    match store::pin(&st.db.pool, user_id).await? {
        Some(_) => {
            let current =
                current.ok_or_else(|| PayError::Invalid("current_pin: is required to change the PIN".into()))?;
            check_pin(st, user_id, current).await?;
        }
        None if current.is_some() => {
            return Err(PayError::Invalid("current_pin: no PIN is set yet; leave it out".into()));
        }
        None => {}
    }
    let hash = st.secrets.pin_hash(user_id, new_pin);
    store::set_pin(&st.db.pool, user_id, &hash, st.clock.now_ms()).await?;
    Ok(())
}

/// The user's `open_id` for the order's app, created (with the `union_id`) the first
/// time they pay it: notifications name the payer by it.
pub(crate) async fn payer_open_id(st: &AppState, user_id: &str, app_id: &str) -> Result<String> {
    if let Some((open_id, _)) = oauth::ids_for(&st.db.pool, user_id, app_id).await? {
        return Ok(open_id);
    }
    let app = apps::get_app(&st.db.pool, app_id).await?.ok_or(PayError::NotFound)?;
    let now = st.clock.now_ms();
    let mut w = st.db.begin_write().await?;
    let fresh_union = new_public_id(prefix::UNION_ID);
    oauth::ensure_public_id(&mut w.tx, PublicId::Union, user_id, &app.company_id, &fresh_union, now).await?;
    let fresh_open = new_public_id(prefix::OPEN_ID);
    let open_id = oauth::ensure_public_id(&mut w.tx, PublicId::Open, user_id, app_id, &fresh_open, now).await?;
    w.commit().await?;
    Ok(open_id)
}

/// The order as the user may see it: unknown → NotFound; restricted to another
/// open_id, or paid by someone else → NotPayer. Returns the order (expiry applied)
/// and the user's open_id for its app, if they have one yet.
pub async fn order_for_user(st: &AppState, order_id: &str, user_id: &str) -> Result<(OrderRow, Option<String>)> {
    if order_id.len() > 64 {
        return Err(PayError::NotFound);
    }
    let o = store::get_order(&st.db.pool, order_id).await?.ok_or(PayError::NotFound)?;
    let o = orders::settle_expiry(st, o).await?;
    let open_id = oauth::ids_for(&st.db.pool, user_id, &o.app_id).await?.map(|(open_id, _)| open_id);
    let restricted_to_other = o.payer_open_id.as_deref().is_some_and(|p| Some(p) != open_id.as_deref());
    let paid_by_other = o.status == "paid" && o.payer_user_id.as_deref() != Some(user_id);
    if restricted_to_other || paid_by_other {
        return Err(PayError::NotPayer);
    }
    Ok((o, open_id))
}

pub(crate) fn state_error(o: &OrderRow, user_id: &str) -> PayError {
    match (o.status.as_str(), o.fail_reason.as_deref()) {
        ("paid", _) if o.payer_user_id.as_deref() == Some(user_id) => PayError::AlreadyPaid,
        ("paid", _) => PayError::NotPayer,
        ("failed", Some("expired")) => PayError::Expired,
        ("failed", reason) => PayError::OrderFailed(reason.unwrap_or("failed").to_owned()),
        _ => PayError::Expired,
    }
}

/// Confirms a payment with the user's PIN. One transaction (shared with other
/// confirmations, see `confirm_batch`): the order's claim (pending → paid, decides
/// between concurrent confirmations), the guarded debit, the merchant credit, both
/// journal entries and the notification.
pub async fn confirm(st: &AppState, order_id: &str, user_id: &str, pin: &str) -> Result<OrderRow> {
    let (o, open_id) = order_for_user(st, order_id, user_id).await?;
    if o.status != "pending" {
        return Err(state_error(&o, user_id));
    }
    let open_id = match open_id {
        Some(id) => id,
        None => payer_open_id(st, user_id, &o.app_id).await?,
    };
    let user = users::find(&st.db.pool, user_id).await?.ok_or(PayError::NotFound)?;
    if user.trading_frozen {
        return Err(PayError::Frozen);
    }
    check_pin(st, user_id, pin).await?;
    let notify_url = notify_url_of(st, &o).await?;
    let now = st.clock.now_ms();
    let job = ConfirmJob { order: o.clone(), user_id: user_id.to_owned(), open_id, notify_url, now };
    match st.confirmer.confirm(job).await.map_err(|e| PayError::Internal(anyhow::anyhow!(e)))? {
        Confirmed::Paid(paid, note) => {
            if note.is_some() {
                st.notifier.wake();
            }
            Ok(*paid)
        }
        Confirmed::Insufficient => Err(PayError::Insufficient),
        Confirmed::Lost => {
            let now_state = store::get_order(&st.db.pool, &o.id).await?.ok_or(PayError::NotFound)?;
            let now_state = orders::settle_expiry(st, now_state).await?;
            Err(state_error(&now_state, user_id))
        }
    }
}

/// The user gives up: a pending order becomes failed (`cancelled`).
pub async fn cancel(st: &AppState, order_id: &str, user_id: &str) -> Result<OrderRow> {
    let (o, _) = order_for_user(st, order_id, user_id).await?;
    if o.status != "pending" {
        return Err(state_error(&o, user_id));
    }
    let now = st.clock.now_ms();
    if !store::fail_pending(&st.db.pool, &o.id, "cancelled", now).await? {
        let now_state = store::get_order(&st.db.pool, &o.id).await?.ok_or(PayError::NotFound)?;
        return Err(state_error(&now_state, user_id));
    }
    store::get_order(&st.db.pool, &o.id).await?.ok_or(PayError::NotFound)
}
