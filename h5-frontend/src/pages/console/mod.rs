//! The developer console (SPEC §3, §11): the admin account of an app manages its keys,
//! IP bindings, URLs, notify secret and permission applications, and reads its orders
//! and their notification deliveries. Only an app's admin account sees the app.
//!
//! Every change answers the whole app as it now is; the page replaces its state with
//! it. One change runs at a time; its error shows next to the form that sent it.

mod app_list;
mod app_page;
mod deliveries;
mod keys;
mod orders;
mod settings;
mod statement;

use std::rc::Rc;

pub use app_list::ConsoleListPage;
pub use app_page::ConsoleAppPage;
pub use deliveries::DeliveriesPage;
use opengate_shared::console::ConsoleApp;
use opengate_shared::h5api::H5Error;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

use crate::api;
use crate::api::console::Change;
use crate::components::alert;
use crate::i18n::Texts;
use crate::load::Pending;

/// The grey block while the app loads.
const LOADING: &[&str] = &["sk-console"];

/// An error of the console: `invalid_request` says the server's message as it is
/// (it names the field); the rest in the user's language.
pub fn console_error(t: &Texts, err: &H5Error) -> String {
    match err.error.as_str() {
        api::INVALID_REQUEST if !err.message.is_empty() => err.message.clone(),
        "not_found" => t.console().not_found.to_owned(),
        _ => t.error_text(err),
    }
}

/// A console page while it is not ready (its error line is `#console-error`).
fn pending(title: &str) -> Pending<'_> {
    Pending { message: console_error, ..Pending::titled(title, "console-error", LOADING) }
}

/// A secret just made, shown once and then forgotten. (No `Debug`: never printed.)
#[derive(Clone, PartialEq)]
enum Secret {
    Key { access_key: String, secret_key: String },
    Notify(String),
}

/// The form of `create-key`.
const CREATE_KEY: &str = "create-key";

/// The form that sends a change: where its error shows.
fn form_of(change: &Change) -> String {
    match change {
        Change::CreateKey => CREATE_KEY.to_owned(),
        Change::Key { key, .. } | Change::Ip { key, .. } => format!("key:{key}"),
        Change::List { list, .. } => (*list).to_owned(),
        Change::NotifyUrl(_) => "notify-url".to_owned(),
        Change::Rotate => "rotate-secret".to_owned(),
        Change::Apply(_) => "permissions".to_owned(),
    }
}

/// What the sections of the app page work with.
struct Ctl {
    t: &'static Texts,
    app: Rc<ConsoleApp>,
    /// The form whose change is in flight: every change waits meanwhile.
    busy: Option<String>,
    /// The form whose change failed, and why.
    error: Option<(String, H5Error)>,
    /// The form whose change succeeded last.
    done: Option<String>,
    secret: Option<Secret>,
    /// The in-page question that is open (`ConfirmProps::key`), and what opens or closes one.
    asking: Option<String>,
    asking_set: Callback<Option<String>>,
    /// Runs a change, then (once it succeeded) the form's own follow-up.
    run: Callback<(Change, Callback<()>)>,
    /// Forgets the secret shown once.
    forget: Callback<MouseEvent>,
}

impl Ctl {
    fn busy(&self) -> bool {
        self.busy.is_some()
    }

    /// `aria-busy` of a form's button.
    fn busy_at(&self, form: &str) -> &'static str {
        if self.busy.as_deref() == Some(form) {
            "true"
        } else {
            "false"
        }
    }

    /// The error line of a form (always in the page; empty while all is well).
    fn alert(&self, form: &str) -> Html {
        let t = self.t;
        let message = self.error.as_ref().filter(|(at, _)| at == form).map(|(at, err)| {
            let key_form = at == CREATE_KEY || at.starts_with("key:");
            AttrValue::from(if err.error == "conflict" && key_form {
                t.console().keys_full.replace("{max}", &self.app.max_active_keys.to_string())
            } else {
                console_error(t, err)
            })
        });
        alert(format!("{form}-error").replace(':', "-").into(), message)
    }

    /// The `onclick` that sends a change.
    fn on_click(&self, change: Change) -> Callback<MouseEvent> {
        let run = self.run.clone();
        Callback::from(move |_: MouseEvent| run.emit((change.clone(), Callback::noop())))
    }

    /// A button (`class`) that sends a change (`label`: its name for screen readers).
    fn button(
        &self,
        class: &'static str,
        action: Option<&'static str>,
        text: &str,
        label: Option<String>,
        change: Change,
    ) -> Html {
        let form = form_of(&change);
        html! {
            <button type="button" {class} data-action={action} disabled={self.busy()}
                aria-busy={self.busy_at(&form)} aria-label={label} onclick={self.on_click(change)}>{ text.to_owned() }</button>
        }
    }

    /// One value of a list with its remove button (`data-rule` too on an IP rule).
    fn value_row(&self, class: &'static str, button: &'static str, value: &str, change: Change) -> Html {
        let rule = matches!(change, Change::Ip { .. }).then(|| value.to_owned());
        let c = self.t.console();
        html! {
            <li {class} data-value={value.to_owned()} data-rule={rule}>
                <code>{ value.to_owned() }</code>
                { self.button(button, None, c.remove, Some(c.remove_name.replace("{name}", value)), change) }
            </li>
        }
    }
}

/// `Label <code>value</code>` on a muted line.
fn labeled(label: &str, value: &str, id: Option<&'static str>) -> Html {
    html! { <p class="muted">{ label.to_owned() }{ " " }<code {id}>{ value.to_owned() }</code></p> }
}

/// A secret shown this once: "copy it now", and a button that forgets it.
fn secret_box(
    ctl: &Ctl,
    id: &'static str,
    title: &str,
    rows: &[(&str, &'static str, &str)],
    done_id: &'static str,
) -> Html {
    let c = ctl.t.console();
    html! {
        <div {id} class="once" role="region" aria-label={title.to_owned()} tabindex="-1">
            <h3>{ title.to_owned() }</h3>
            <p class="once-warn">{ c.shown_once }</p>
            <dl>
                { for rows.iter().map(|(label, id, value)| html! {
                    <><dt>{ label.to_owned() }</dt><dd><code id={*id}>{ value.to_string() }</code></dd></>
                }) }
            </dl>
            <button id={done_id} type="button" onclick={ctl.forget.clone()}>{ c.secret_done }</button>
        </div>
    }
}

/// A label, one input and its button, sent with Enter too ([`add_form`]).
struct AddFormProps {
    /// The id of the input (its label points at it).
    input_id: AttrValue,
    input_class: &'static str,
    button_id: Option<&'static str>,
    button_class: &'static str,
    label: &'static str,
    button_text: &'static str,
    /// `text` or `url` (the phone's keyboard).
    kind: &'static str,
    /// What the input holds, set again whenever this changes (`None`: left to the user).
    value: Option<AttrValue>,
    disabled: bool,
    busy: &'static str,
    /// The trimmed value, and what empties the input (to call once it is saved).
    on_submit: Callback<(String, Callback<()>)>,
}

fn add_form(p: AddFormProps) -> Html {
    let onsubmit = {
        let (on_submit, disabled) = (p.on_submit, p.disabled);
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let form: Element = e.target_unchecked_into();
            let Some(input) = form.query_selector("input").ok().flatten() else { return };
            let input: HtmlInputElement = input.unchecked_into();
            if !disabled {
                let value = input.value().trim().to_owned();
                on_submit.emit((value, Callback::from(move |()| input.set_value(""))));
            }
        })
    };
    html! {
        <form class="add-form" {onsubmit} novalidate=true>
            <label for={p.input_id.clone()}>{ p.label }</label>
            <div class="add-row">
                <input id={p.input_id} class={p.input_class} type={p.kind} value={p.value}
                    autocomplete="off" autocapitalize="off" spellcheck="false" />
                <button id={p.button_id} class={p.button_class} type="submit" disabled={p.disabled}
                    aria-busy={p.busy}>{ p.button_text }</button>
            </div>
        </form>
    }
}

/// A button that asks in the page before it acts ([`Ctl::confirm`]).
struct ConfirmProps {
    /// Which question this is (one is open at a time): `delete:{key}`, `rotate`.
    key: String,
    /// The button's `id`; the confirmation's are `{id}-confirm` and `{id}-cancel`.
    id: Option<&'static str>,
    /// The button's `data-action`; the confirmation's are `confirm-{action}` and `cancel-{action}`.
    action: Option<&'static str>,
    text: &'static str,
    ask: &'static str,
    confirm_text: &'static str,
    change: Change,
}

impl Ctl {
    /// The button, or (once tapped) the question with a confirm and a cancel button.
    fn confirm(&self, p: ConfirmProps) -> Html {
        let form = form_of(&p.change);
        let (disabled, busy) = (self.busy(), self.busy_at(&form));
        if self.asking.as_deref() != Some(p.key.as_str()) {
            let key = p.key.clone();
            let onclick = self.asking_set.reform(move |_: MouseEvent| Some(key.clone()));
            return html! {
                <button id={p.id} data-action={p.action} data-confirm={p.key} type="button" class="secondary"
                    {disabled} aria-busy={busy} {onclick}>{ p.text }</button>
            };
        }
        let ids = |suffix: &str, prefix: &str| {
            (p.id.map(|id| format!("{id}-{suffix}")), p.action.map(|a| format!("{prefix}-{a}")))
        };
        let ((confirm_id, confirm_action), (cancel_id, cancel_action)) =
            (ids("confirm", "confirm"), ids("cancel", "cancel"));
        let on_confirm = {
            let (run, change, done) = (self.run.clone(), p.change, self.asking_set.reform(|()| None));
            Callback::from(move |_: MouseEvent| run.emit((change.clone(), done.clone())))
        };
        html! {
            <div class="confirm">
                <p class="confirm-ask">{ p.ask }</p>
                <button id={confirm_id} data-action={confirm_action} type="button" class="danger" {disabled}
                    aria-busy={busy} onclick={on_confirm}>{ p.confirm_text }</button>
                <button id={cancel_id} data-action={cancel_action} type="button" class="secondary" {disabled}
                    onclick={self.asking_set.reform(|_: MouseEvent| None)}>{ self.t.console().cancel }</button>
            </div>
        }
    }
}
