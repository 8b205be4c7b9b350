//! The user's own account (SPEC §7): who is logged in (and their nickname, changed
//! in place), the balances, and setting or changing the payment PIN. The pay page sends users without a PIN here with `next`,
//! and they go back there once the PIN is saved.

use opengate_shared::amount::group_digits;
use opengate_shared::h5api::{is_pin_shape, AccountView, SetPinRequest};
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::app::Route;
use crate::clock::now_secs;
use crate::components::{alert, nav_link, PIN_LEN};
use crate::i18n::{use_texts, Check, Notice};
use crate::load::{use_load, Pending};
use crate::nav;
use crate::pages::nickname::NicknameCard;

/// The grey blocks while loading: who, the balances, the PIN form.
const LOADING: &[&str] = &["sk-account-head", "sk-balances", "sk-pin-form"];

/// `next` when it was given and is one of our pages (never the login default).
fn next_page() -> Option<String> {
    let next = nav::query_param("next")?;
    (nav::safe_next(Some(&next)) == next).then_some(next)
}

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

/// One PIN field: password-style, numeric keyboard, never remembered by the browser.
fn pin_input(id: &'static str, label: &'static str, value: &UseStateHandle<String>, busy: bool) -> Html {
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| value.set(input_value(&e)))
    };
    html! {
        <>
            <label for={id}>{ label }</label>
            <input {id} name={id} type="password" inputmode="numeric" pattern="[0-9]*" autocomplete="off"
                maxlength={PIN_LEN.to_string()} value={(**value).clone()} disabled={busy} {oninput} />
        </>
    }
}

#[function_component(AccountPage)]
pub fn account_page() -> Html {
    let t = use_texts();
    let navigator = use_navigator();
    let load = use_load(AttrValue::Static(""), api::account);
    let current_pin = use_state(String::new);
    let new_pin = use_state(String::new);
    let repeat_pin = use_state(String::new);
    let error = use_state(|| None::<Notice>);
    let saved = use_state(|| false);
    let busy = use_state(|| false);
    // Synchronous guard: a double tap must not send the PIN twice.
    let in_flight = use_mut_ref(|| false);

    let Some((view, info)) = load.ready() else {
        return load.pending(t, Pending::titled(t.account_title, "account-error", LOADING));
    };
    let view = view.clone();
    let pin_set = view.pin_set;

    let onsubmit = {
        let (load, current_pin, new_pin, repeat_pin, error, saved, busy) = (
            load.clone(),
            current_pin.clone(),
            new_pin.clone(),
            repeat_pin.clone(),
            error.clone(),
            saved.clone(),
            busy.clone(),
        );
        let (csrf, view) = (info.csrf_token.clone(), view.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *in_flight.borrow() {
                return;
            }
            saved.set(false);
            let current = if pin_set {
                if !is_pin_shape(&current_pin) {
                    error.set(Some(Check::PinCurrentBad.into()));
                    return;
                }
                Some((*current_pin).clone())
            } else {
                None
            };
            if !is_pin_shape(&new_pin) {
                error.set(Some(Check::PinBadShape.into()));
                return;
            }
            if *new_pin != *repeat_pin {
                error.set(Some(Check::PinMismatch.into()));
                return;
            }
            let req = SetPinRequest { current_pin: current, new_pin: (*new_pin).clone() };
            *in_flight.borrow_mut() = true;
            busy.set(true);
            error.set(None);
            let (csrf, view, load, current_pin, new_pin, repeat_pin, error, saved, busy, in_flight) = (
                csrf.clone(),
                view.clone(),
                load.clone(),
                current_pin.clone(),
                new_pin.clone(),
                repeat_pin.clone(),
                error.clone(),
                saved.clone(),
                busy.clone(),
                in_flight.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let result = api::set_pin(&csrf, &req).await;
                *in_flight.borrow_mut() = false;
                busy.set(false);
                current_pin.set(String::new());
                match result {
                    Ok(answer) => {
                        new_pin.set(String::new());
                        repeat_pin.set(String::new());
                        saved.set(true);
                        load.set(AccountView { pin_set: answer.pin_set, pin_locked_until: None, ..view });
                        if let Some(next) = next_page() {
                            nav::replace(&next);
                        }
                    }
                    Err(err) => {
                        if load.after_error(&err) {
                            error.set(Some(err.into()));
                        }
                    }
                }
            });
        })
    };

    let on_nickname = {
        let (load, view) = (load.clone(), view.clone());
        Callback::from(move |nickname: String| load.set(AccountView { nickname, ..view.clone() }))
    };

    let locked = view.pin_locked_until.is_some_and(|until| until > now_secs());
    let balances = view.balances.iter().map(|b| {
        html! {
            <li class="balance" data-asset={b.asset.clone()}>
                <span class="balance-amount">{ group_digits(&b.amount) }</span>
                <span class="balance-asset">{ b.asset.clone() }</span>
            </li>
        }
    });

    html! {
        <main>
            <h1>{ t.account_title }</h1>
            <NicknameCard nickname={view.nickname.clone()} account={view.account.clone()}
                csrf={info.csrf_token.clone()} on_saved={on_nickname} />
            <section class="card">
                <h2>{ t.account_balances }</h2>
                if view.balances.is_empty() {
                    <p id="no-balances" class="muted">{ t.account_no_balances }</p>
                } else {
                    <ul class="balances">{ for balances }</ul>
                }
            </section>
            <section class="card">
                <h2>{ if pin_set { t.pin_form_change } else { t.pin_form_set } }</h2>
                <p id="pin-status" class={classes!("pin-status", pin_set.then_some("set"))}>
                    { if pin_set { t.pin_status_set } else { t.pin_status_unset } }
                </p>
                if locked {
                    <p id="pin-locked" class="muted">{ t.pin_locked_text(view.pin_locked_until) }</p>
                }
                <form class="form" {onsubmit} novalidate=true>
                    if pin_set {
                        { pin_input("current-pin", t.pin_current_label, &current_pin, *busy) }
                    }
                    { pin_input("new-pin", t.pin_new_label, &new_pin, *busy) }
                    { pin_input("new-pin-repeat", t.pin_repeat_label, &repeat_pin, *busy) }
                    { alert("pin-error".into(), error.as_ref().map(|n| AttrValue::from(t.notice(n)))) }
                    if *saved {
                        <p id="pin-saved" class="saved" role="status">{ t.pin_saved }</p>
                    }
                    <button id="pin-submit" type="submit" class="primary" disabled={*busy}>
                        { if *busy { t.pin_submitting } else { t.pin_submit } }
                    </button>
                </form>
            </section>
            <nav class="links">
                { nav_link(&navigator, "nav-payments", Route::Payments, t.payments().title) }
                { nav_link(&navigator, "nav-apps", Route::Apps, t.nav_apps) }
                { nav_link(&navigator, "nav-console", Route::Console, t.nav_console) }
            </nav>
            if info.user.is_some() {
                <p class="muted whoami-below">{ t.logged_in(&view.nickname, &view.account) }</p>
            }
        </main>
    }
}
