//! "Pay with OpenGate" (SPEC §6.2–6.3): the order, what it costs in the settlement
//! asset, the user's balance and a 6-digit PIN pad; then the result, which sends the
//! browser back to the partner after 3 seconds when it gave a return URL.

mod method;
mod result;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use opengate_shared::amount::group_digits;
use opengate_shared::h5api::{ConfirmRequest, H5Error, PayResult, PayView, SourcePayRequest};
use yew::prelude::*;

use crate::api;
use crate::clock::now_secs;
use crate::components::{alert, PinKey, PinPad, PIN_LEN};
use crate::i18n::{use_texts, Texts};
use crate::load::{use_load, Pending};
use crate::nav;
use method::{chosen, method_choice};
use result::result_view;

/// The grey blocks while loading: the order card and the PIN pad card.
const LOADING: &[&str] = &["sk-pay-order", "sk-gap", "sk-pin"];

/// How long the result stays on screen before the browser returns to the partner.
const RETURN_AFTER_MS: u32 = 3_000;

/// One POST of this page (confirm or cancel).
type Call = Pin<Box<dyn Future<Output = Result<PayResult, H5Error>>>>;

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Order(Rc<PayView>),
    Done(PayResult),
}

/// The POST that is running; every button waits meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Running {
    Confirm,
    Cancel,
}

/// The PIN being typed. It lives only in this state and is cleared when it is sent,
/// so every try starts from an empty pad. (No `Debug`: it must never be printed.)
#[derive(Default, PartialEq)]
struct PinEntry(String);

enum PinEdit {
    Key(PinKey),
    Clear,
}

impl Reducible for PinEntry {
    type Action = PinEdit;

    fn reduce(self: Rc<Self>, action: PinEdit) -> Rc<Self> {
        let mut pin = self.0.clone();
        match action {
            PinEdit::Key(PinKey::Digit(d)) if pin.len() < PIN_LEN => pin.push(char::from(d)),
            PinEdit::Key(PinKey::Digit(_)) => return self,
            PinEdit::Key(PinKey::Back) => {
                pin.pop();
            }
            PinEdit::Clear => pin.clear(),
        }
        Rc::new(PinEntry(pin))
    }
}

#[derive(Properties, PartialEq)]
pub struct PayPageProps {
    pub order_id: AttrValue,
}

/// The partner's return URL, only when it is a web address (never `javascript:`…).
fn web_url(url: Option<&str>) -> Option<String> {
    url.filter(|u| {
        let lower = u.to_ascii_lowercase();
        lower.starts_with("https://") || lower.starts_with("http://")
    })
    .map(str::to_owned)
}

fn is_finished(status: &str) -> bool {
    matches!(status, "paid" | "failed")
}

/// A loaded order; a finished one goes straight to the result.
fn phase_of_view(view: PayView) -> Phase {
    if is_finished(&view.status) {
        Phase::Done(PayResult { status: view.status, fail_reason: view.fail_reason, return_to: view.return_to })
    } else {
        Phase::Order(Rc::new(view))
    }
}

/// An error in the words of this page (an order, not a login link).
fn pay_error_text(t: &Texts, err: &H5Error) -> String {
    match err.error.as_str() {
        "expired" => t.pay_expired.to_owned(),
        "not_found" => t.pay_not_found.to_owned(),
        _ => t.error_text(err),
    }
}

/// An exact decimal amount with its currency after it (`1,234.50 OGC`).
fn money(amount: &str, currency: &str) -> String {
    format!("{} {currency}", group_digits(amount))
}

#[function_component(PayPage)]
pub fn pay_page(props: &PayPageProps) -> Html {
    let t = use_texts();
    let load = {
        let order_id = props.order_id.clone();
        use_load(props.order_id.clone(), move || async move { api::pay_view(&order_id).await.map(phase_of_view) })
    };
    let pin = use_reducer(PinEntry::default);
    let error = use_state(|| None::<H5Error>);
    let running = use_state(|| None::<Running>);
    // A partner source's code when the user picked its currency; `None` is the balance.
    let picked = use_state(|| None::<String>);
    // Synchronous guard: a double tap must not confirm (or cancel) twice.
    let in_flight = use_mut_ref(|| false);

    // The result sends the browser back to the partner by itself; leaving the page
    // (or a new result) drops the timer.
    let done = match load.value() {
        Some(Phase::Done(result)) => Some(result),
        _ => None,
    };
    let return_to = done.and_then(|result| web_url(result.return_to.as_deref()));
    use_effect_with(return_to.clone(), |url| {
        let timer = url.clone().map(|url| Timeout::new(RETURN_AFTER_MS, move || nav::replace(&url)));
        move || drop(timer)
    });

    if let Some(result) = done {
        let message = error.as_ref().map(|err| AttrValue::from(pay_error_text(t, err)));
        return result_view(t, result, return_to, message);
    }
    let Some((Phase::Order(view), info)) = load.ready() else {
        return load.pending(
            t,
            Pending {
                title: None,
                error_title: t.error_title,
                error_id: "pay-error",
                message: pay_error_text,
                blocks: LOADING,
            },
        );
    };
    let csrf = info.csrf_token.clone();
    let order_id = props.order_id.to_string();

    // Runs one POST with every button disabled until it is done.
    let run = {
        let (load, error, running, in_flight, view) =
            (load.clone(), error.clone(), running.clone(), in_flight.clone(), view.clone());
        move |kind: Running, call: Call| {
            if *in_flight.borrow() {
                return;
            }
            *in_flight.borrow_mut() = true;
            running.set(Some(kind));
            error.set(None);
            let (load, error, running, in_flight, view) =
                (load.clone(), error.clone(), running.clone(), in_flight.clone(), view.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = call.await;
                *in_flight.borrow_mut() = false;
                running.set(None);
                let err = match result {
                    Ok(result) if is_finished(&result.status) => return load.set(Phase::Done(result)),
                    Ok(_) => return load.reload(),
                    Err(err) => err,
                };
                match err.error.as_str() {
                    "not_found" | "not_payer" => return load.fail(err),
                    // The order changed under us: load it again (usually the result).
                    "expired" | "already_paid" | "order_failed" => load.reload(),
                    "pin_not_set" => {
                        return load.set(Phase::Order(Rc::new(PayView { pin_set: false, ..(*view).clone() })));
                    }
                    // To login; or, with a stale CSRF token, the session again (to login
                    // if nobody is logged in any more; the order loads again with it).
                    _ if !load.after_error(&err) => return,
                    _ => {}
                }
                error.set(Some(err));
            });
        }
    };

    let on_key = {
        let (pin, in_flight) = (pin.clone(), in_flight.clone());
        Callback::from(move |key: PinKey| {
            if !*in_flight.borrow() {
                pin.dispatch(PinEdit::Key(key));
            }
        })
    };
    let source = chosen(view, picked.as_deref()).map(str::to_owned);
    let on_pick = {
        let (picked, error) = (picked.clone(), error.clone());
        Callback::from(move |code: Option<String>| {
            error.set(None);
            picked.set(code);
        })
    };
    let on_confirm = {
        let (run, pin, in_flight, csrf, order_id, source) =
            (run.clone(), pin.clone(), in_flight.clone(), csrf.clone(), order_id.clone(), source.clone());
        Callback::from(move |_: MouseEvent| {
            if *in_flight.borrow() || pin.0.len() != PIN_LEN {
                return;
            }
            let pin_typed = pin.0.clone();
            pin.dispatch(PinEdit::Clear);
            let (csrf, order_id) = (csrf.clone(), order_id.clone());
            let call: Call = match source.clone() {
                Some(source) => Box::pin(async move {
                    api::pay_source(&csrf, &order_id, &SourcePayRequest { source, pin: pin_typed }).await
                }),
                None => {
                    Box::pin(
                        async move { api::pay_confirm(&csrf, &order_id, &ConfirmRequest { pin: pin_typed }).await },
                    )
                }
            };
            run(Running::Confirm, call);
        })
    };
    let on_cancel = {
        let pin = pin.clone();
        Callback::from(move |_: MouseEvent| {
            pin.dispatch(PinEdit::Clear);
            let (csrf, order_id) = (csrf.clone(), order_id.clone());
            run(Running::Cancel, Box::pin(async move { api::pay_cancel(&csrf, &order_id).await }));
        })
    };

    let now = now_secs();
    let expired = now > 0 && view.expires_at <= now;
    let locked = view.pin_locked_until.is_some_and(|until| until > now);
    let message = match &*error {
        Some(err) => Some(pay_error_text(t, err)),
        None if expired => Some(t.pay_expired.to_owned()),
        None if locked => Some(t.pin_locked_text(view.pin_locked_until)),
        None => None,
    }
    .map(AttrValue::from);
    let busy = running.is_some();
    let entered = pin.0.len();

    let action = if expired {
        html! {}
    } else if !view.pin_set {
        let href = format!("/h5/account?next={}", nav::encode_uri_component(&nav::current_path_and_query()));
        html! {
            <section class="card pay-no-pin">
                <p id="pay-no-pin">{ t.pay_no_pin }</p>
                <a id="pay-set-pin" class="button" {href}>{ t.pay_set_pin }</a>
            </section>
        }
    } else {
        html! {
            <>
            { method_choice(t, view, source.as_deref(), busy, on_pick) }
            <section class="card">
                <PinPad filled={entered} disabled={busy} {on_key} />
                <button id="pay-confirm" type="button" class="primary" disabled={busy || entered != PIN_LEN}
                    onclick={on_confirm}>
                    { if *running == Some(Running::Confirm) { t.pay_confirming } else { t.pay_confirm } }
                </button>
            </section>
            </>
        }
    };

    html! {
        <main class="pay">
            <section class="card pay-order">
                <div class="app-head">
                    if let Some(logo) = &view.merchant_logo_url {
                        <img class="app-logo" src={logo.clone()} alt="" width="56" height="56" />
                    }
                    <div>
                        <p class="muted">{ t.pay_to }</p>
                        <h1 id="pay-merchant">{ view.merchant_name.clone() }</h1>
                    </div>
                </div>
                <p id="pay-subject" class="pay-subject">{ view.subject.clone() }</p>
                <p id="pay-amount" class="pay-amount">{ money(&view.amount, &view.currency) }</p>
                <dl class="pay-facts">
                    <div>
                        <dt>{ t.pay_settle_label }</dt>
                        <dd id="pay-settle">{ money(&view.settle_amount, &view.settle_currency) }</dd>
                    </div>
                    <div>
                        <dt>{ t.pay_rate_label }</dt>
                        <dd id="pay-rate">{ format!("1 {} = {}", view.currency, money(&view.rate, &view.settle_currency)) }</dd>
                    </div>
                    <div>
                        <dt>{ t.pay_balance_label }</dt>
                        <dd id="pay-balance">{ money(&view.balance, &view.settle_currency) }</dd>
                    </div>
                    <div>
                        <dt>{ t.pay_order_no }</dt>
                        <dd id="pay-trade-no">{ view.trade_no.clone() }</dd>
                    </div>
                </dl>
            </section>
            { alert("pay-error".into(), message) }
            { action }
            if !expired {
                <div class="actions">
                    <button id="pay-cancel" type="button" class="secondary" disabled={busy} onclick={on_cancel}>
                        { if *running == Some(Running::Cancel) { t.pay_cancelling } else { t.pay_cancel } }
                    </button>
                </div>
            }
            if let Some(user) = &info.user {
                <p class="muted whoami-below">{ t.logged_in(&user.nickname, &user.account) }</p>
            }
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn pin_entry_keeps_at_most_six_digits() {
        let mut pin = Rc::new(PinEntry::default());
        for d in b"1234567" {
            pin = pin.reduce(PinEdit::Key(PinKey::Digit(*d)));
        }
        assert_eq!(pin.0, "123456");
        pin = pin.reduce(PinEdit::Key(PinKey::Back));
        assert_eq!(pin.0, "12345");
        assert_eq!(pin.reduce(PinEdit::Clear).0, "");
    }

    #[wasm_bindgen_test]
    fn only_web_addresses_are_followed() {
        assert_eq!(web_url(Some("https://shop.example/r?s=paid")).as_deref(), Some("https://shop.example/r?s=paid"));
        assert_eq!(web_url(Some("HTTP://shop.example/")).as_deref(), Some("HTTP://shop.example/"));
        assert_eq!(web_url(Some("javascript:alert(1)")), None);
        assert_eq!(web_url(None), None);
    }
}
