//! Payment history (issue 16): what the user paid with OpenGate, newest first, and
//! each payment's refunds. Read-only; in the extra bundle (ADR 0017).

use opengate_shared::amount::group_digits;
use opengate_shared::h5api::{PaymentItem, RefundItem};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::app::Route;
use crate::components::nav_link;
use crate::i18n::{use_texts, PaymentsTexts, Texts};
use crate::load::{use_load, Pending};

/// The grey block while loading.
const LOADING: &[&str] = &["sk-apps"];

fn money(amount: &str, currency: &str) -> String {
    format!("{} {currency}", group_digits(amount))
}

fn refund_row(t: &'static Texts, p: &'static PaymentsTexts, pay: &PaymentItem, r: &RefundItem) -> Html {
    let when = r.refunded_at.unwrap_or(r.created_at);
    html! {
        <li class={classes!("refund", r.status.clone())} data-refund-no={r.refund_no.clone()}>
            <div class="pay-row">
                <span class="refund-status">{ p.refund_status(&r.status) }</span>
                <span class="refund-amount">{ money(&r.amount, &pay.currency) }</span>
            </div>
            <div class="pay-row muted">
                <span>{ format!("{} · {}", t.date(when), r.refund_no) }</span>
                <span class="refund-settle" title={p.returned}>{ money(&r.settle_amount, &pay.settle_currency) }</span>
            </div>
        </li>
    }
}

fn payment_row(t: &'static Texts, p: &'static PaymentsTexts, pay: &PaymentItem) -> Html {
    let refunded = pay.refunds.iter().any(|r| r.status == "succeeded");
    html! {
        <li class="payment card" data-order-id={pay.order_id.clone()}>
            <div class="pay-row">
                <span class="payment-merchant">{ pay.merchant_name.clone() }</span>
                <span class="payment-amount">{ money(&pay.amount, &pay.currency) }</span>
            </div>
            <p class="payment-subject">{ pay.subject.clone() }</p>
            <div class="pay-row muted">
                <span>{ pay.paid_at.map(|at| p.paid_on.replace("{date}", &t.date(at))).unwrap_or_default() }</span>
                <span title={p.charged}>{ money(&pay.settle_amount, &pay.settle_currency) }</span>
            </div>
            if refunded {
                <p class="payment-refunded">
                    { p.refunded_total.replace("{amount}", &money(&pay.refunded_amount, &pay.currency)) }
                </p>
            }
            if !pay.refunds.is_empty() {
                <h2 class="refunds-title">{ p.refunds }</h2>
                <ul class="refunds">{ for pay.refunds.iter().map(|r| refund_row(t, p, pay, r)) }</ul>
            }
        </li>
    }
}

#[function_component(PaymentsPage)]
pub fn payments_page() -> Html {
    let t = use_texts();
    let p = t.payments();
    let navigator = use_navigator();
    let load = use_load(AttrValue::Static(""), api::payments);
    let Some((history, _)) = load.ready() else {
        return load.pending(t, Pending::titled(p.title, "payments-error", LOADING));
    };
    html! {
        <main class="payments-page">
            <h1>{ p.title }</h1>
            <p class="muted">{ p.intro }</p>
            if history.payments.is_empty() {
                <p id="no-payments" class="card">{ p.none }</p>
            } else {
                <ul id="payments" class="payments">{ for history.payments.iter().map(|pay| payment_row(t, p, pay)) }</ul>
            }
            <nav class="links">
                { nav_link(&navigator, "nav-account", Route::Account, t.nav_account) }
            </nav>
        </main>
    }
}
