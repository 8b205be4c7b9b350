//! `/api/h5/pay/*` and `/api/h5/account*`: what the pay and account pages call
//! (SPEC §6.2, §7). Same session and CSRF rules as the rest of `/api/h5`.

use std::collections::HashMap;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use opengate_shared::amount::format_amount;
use opengate_shared::h5api::{
    AccountView, BalanceView, ConfirmRequest, NicknameSet, PayResult, PayView, PaymentHistory, PaymentItem, PinSet,
    RefundItem, SetNicknameRequest, SetPinRequest, SourcePayRequest, PAYMENTS_LIMIT,
};

use super::h5api::{checked, current, json_body, no_store, user_of, H5ApiError, H5Result};
use crate::pay::{self, confirm, PayError};
use crate::state::AppState;
use crate::storage::{apps, history, ledger, pay as store, users};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/h5/pay/{order_id}", get(view))
        .route("/api/h5/pay/{order_id}/confirm", post(confirm_payment))
        .route("/api/h5/pay/{order_id}/cancel", post(cancel))
        .route("/api/h5/pay/{order_id}/source", post(pay_with_source))
        .route("/api/h5/account", get(account))
        .route("/api/h5/account/pin", post(set_pin))
        .route("/api/h5/account/nickname", post(set_nickname))
        .route("/api/h5/account/payments", get(payments))
}

/// A pay error as the page shows it; a locked PIN also says when to retry.
fn h5_error(st: &AppState, e: PayError) -> Response {
    let msg = e.to_string();
    let (status, code) = match &e {
        PayError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        PayError::NotFound | PayError::RefundNotFound => (StatusCode::NOT_FOUND, "not_found"),
        PayError::NotPayer => (StatusCode::FORBIDDEN, "not_payer"),
        PayError::Frozen => (StatusCode::FORBIDDEN, "frozen"),
        PayError::SourceRefused(_) => (StatusCode::CONFLICT, "source_refused"),
        PayError::SourcePending => (StatusCode::SERVICE_UNAVAILABLE, "source_pending"),
        PayError::WrongPin(_) => (StatusCode::BAD_REQUEST, "wrong_pin"),
        PayError::PinLocked(_) => (StatusCode::TOO_MANY_REQUESTS, "pin_locked"),
        PayError::PinNotSet => (StatusCode::CONFLICT, "pin_not_set"),
        PayError::Insufficient => (StatusCode::CONFLICT, "insufficient_balance"),
        PayError::Expired => (StatusCode::GONE, "expired"),
        PayError::AlreadyPaid => (StatusCode::CONFLICT, "already_paid"),
        PayError::OrderFailed(_) | PayError::BadState(_) | PayError::Conflict(_) | PayError::RefundConflict(_) => {
            (StatusCode::CONFLICT, "order_failed")
        }
        PayError::NoPermission => (StatusCode::FORBIDDEN, "not_found"),
        PayError::Internal(err) => {
            tracing::error!(error = %format!("{err:#}"), "H5 pay request failed");
            return H5ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong; try again")
                .into_response();
        }
    };
    let mut err = H5ApiError::new(status, code, msg);
    match e {
        PayError::WrongPin(left) => err = err.with_tries_left(u32::try_from(left).unwrap_or(0)),
        PayError::PinLocked(until) => err = err.with_retry_at(until),
        _ => {}
    }
    let mut resp = err.into_response();
    if let PayError::PinLocked(until) = e {
        let secs = ((until - st.clock.now_ms()) / 1000).max(1);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    resp
}

fn result(o: &store::OrderRow) -> PayResult {
    PayResult { status: o.status.clone(), fail_reason: o.fail_reason.clone(), return_to: pay::return_to(o) }
}

async fn view(State(st): State<AppState>, Path(order_id): Path<String>, headers: HeaderMap) -> H5Result<Response> {
    let (_, user_id) = user_of(current(&st, &headers).await?)?;
    let (o, _) = match confirm::order_for_user(&st, &order_id, &user_id).await {
        Ok(v) => v,
        Err(e) => return Ok(h5_error(&st, e)),
    };
    let app = apps::get_app(&st.db.pool, &o.app_id).await?;
    let balance = store::user_balance(&st.db.pool, &user_id, &o.settle_currency).await?;
    let (pin_set, locked) = match confirm::pin_state(&st, &user_id).await {
        Ok(v) => v,
        Err(e) => return Ok(h5_error(&st, e)),
    };
    let sources = if o.status == "pending" {
        match crate::pay::source::options(&st, &user_id, &o).await {
            Ok(v) => v,
            Err(e) => return Ok(h5_error(&st, e)),
        }
    } else {
        Vec::new()
    };
    let v = pay::view(&st, &o);
    Ok(no_store(PayView {
        order_id: o.id.clone(),
        trade_no: o.trade_no.clone(),
        merchant_name: app.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        merchant_logo_url: app.and_then(|a| a.logo_url),
        subject: v.subject,
        amount: v.amount,
        currency: v.currency,
        settle_amount: v.settle_amount,
        settle_currency: v.settle_currency,
        rate: v.rate,
        status: v.status,
        fail_reason: v.fail_reason,
        expires_at: v.expires_at,
        balance: format_amount(balance, u32::try_from(o.settle_decimals).unwrap_or(0)),
        pin_set,
        pin_locked_until: locked.map(|t| t.div_euclid(1000)),
        return_to: pay::return_to(&o),
        sources,
    }))
}

async fn pay_with_source(State(st): State<AppState>, Path(order_id): Path<String>, req: Request) -> H5Result<Response> {
    let headers = req.headers().clone();
    let (_, user_id) = user_of(Some(checked(&st, &headers).await?))?;
    let body: SourcePayRequest = json_body(req).await?;
    match crate::pay::source::pay_with_source(&st, &order_id, &user_id, &body.source, &body.pin).await {
        Ok(o) => Ok(no_store(result(&o))),
        Err(e) => Ok(h5_error(&st, e)),
    }
}

async fn confirm_payment(State(st): State<AppState>, Path(order_id): Path<String>, req: Request) -> H5Result<Response> {
    let headers = req.headers().clone();
    let (_, user_id) = user_of(Some(checked(&st, &headers).await?))?;
    let body: ConfirmRequest = json_body(req).await?;
    match confirm::confirm(&st, &order_id, &user_id, &body.pin).await {
        Ok(o) => Ok(no_store(result(&o))),
        Err(e) => Ok(h5_error(&st, e)),
    }
}

async fn cancel(State(st): State<AppState>, Path(order_id): Path<String>, headers: HeaderMap) -> H5Result<Response> {
    let (_, user_id) = user_of(Some(checked(&st, &headers).await?))?;
    match confirm::cancel(&st, &order_id, &user_id).await {
        Ok(o) => Ok(no_store(result(&o))),
        Err(e) => Ok(h5_error(&st, e)),
    }
}

async fn account(State(st): State<AppState>, headers: HeaderMap) -> H5Result<Response> {
    let (s, user_id) = user_of(current(&st, &headers).await?)?;
    let (pin_set, locked) = match confirm::pin_state(&st, &user_id).await {
        Ok(v) => v,
        Err(e) => return Ok(h5_error(&st, e)),
    };
    let mut balances = Vec::new();
    for (asset, amount) in ledger::balances(&st.db.pool, &user_id).await? {
        let d = ledger::currency_decimals(&st.db.pool, &asset).await?.unwrap_or(0);
        balances.push(BalanceView { amount: format_amount(amount, u32::try_from(d).unwrap_or(0)), asset });
    }
    let user =
        s.info.user.unwrap_or(opengate_shared::h5api::SessionUser { nickname: String::new(), account: String::new() });
    Ok(no_store(AccountView {
        nickname: user.nickname,
        account: user.account,
        pin_set,
        pin_locked_until: locked.map(|t| t.div_euclid(1000)),
        balances,
    }))
}

async fn set_pin(State(st): State<AppState>, req: Request) -> H5Result<Response> {
    let headers = req.headers().clone();
    let (_, user_id) = user_of(Some(checked(&st, &headers).await?))?;
    let body: SetPinRequest = json_body(req).await?;
    match confirm::set_pin(&st, &user_id, body.current_pin.as_deref(), &body.new_pin).await {
        Ok(()) => Ok(no_store(PinSet { pin_set: true })),
        Err(e) => Ok(h5_error(&st, e)),
    }
}

async fn set_nickname(State(st): State<AppState>, req: Request) -> H5Result<Response> {
    let headers = req.headers().clone();
    let (_, user_id) = user_of(Some(checked(&st, &headers).await?))?;
    let body: SetNicknameRequest = json_body(req).await?;
    let Some(nickname) = opengate_shared::h5api::nickname(&body.nickname) else {
        return Err(H5ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "nickname: use 1 to 64 characters, without control or invisible characters",
        ));
    };
    users::set_nickname(&st.db.pool, &user_id, nickname, st.clock.now_ms()).await?;
    Ok(no_store(NicknameSet { nickname: nickname.to_owned() }))
}

/// The logged-in user's paid orders and their refunds (issue 16). Read-only, so a
/// session is enough (no CSRF token); only orders this user paid.
async fn payments(State(st): State<AppState>, headers: HeaderMap) -> H5Result<Response> {
    let (_, user_id) = user_of(current(&st, &headers).await?)?;
    let orders = history::paid_orders(&st.db.pool, &user_id, PAYMENTS_LIMIT).await?;
    let mut refunds: HashMap<String, Vec<RefundItem>> = HashMap::new();
    let decimals: HashMap<&str, (u32, u32)> = orders
        .iter()
        .map(|o| {
            let d = |x: i64| u32::try_from(x).unwrap_or(0);
            (o.order_id.as_str(), (d(o.price_decimals), d(o.settle_decimals)))
        })
        .collect();
    let secs = |ms: i64| ms.div_euclid(1000);
    for r in history::refunds_of_paid_orders(&st.db.pool, &user_id, PAYMENTS_LIMIT).await? {
        let (price, settle) = decimals.get(r.order_id.as_str()).copied().unwrap_or((0, 0));
        refunds.entry(r.order_id).or_default().push(RefundItem {
            refund_no: r.refund_no,
            status: r.status,
            amount: format_amount(r.amount, price),
            settle_amount: format_amount(r.settle_amount, settle),
            created_at: secs(r.created_at),
            refunded_at: r.refunded_at.map(secs),
        });
    }
    let payments = orders
        .iter()
        .map(|o| {
            let (price, settle) = decimals.get(o.order_id.as_str()).copied().unwrap_or((0, 0));
            PaymentItem {
                order_id: o.order_id.clone(),
                merchant_name: o.merchant_name.clone(),
                subject: o.subject.clone(),
                status: o.status.clone(),
                amount: format_amount(o.amount, price),
                currency: o.currency.clone(),
                settle_amount: format_amount(o.settle_amount, settle),
                settle_currency: o.settle_currency.clone(),
                refunded_amount: format_amount(o.refunded_amount, price),
                paid_at: o.paid_at.map(secs),
                refunds: refunds.remove(&o.order_id).unwrap_or_default(),
            }
        })
        .collect();
    Ok(no_store(PaymentHistory { payments }))
}
