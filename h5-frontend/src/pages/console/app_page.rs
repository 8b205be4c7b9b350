//! `/h5/console/{app_id}`: one app, section by section: keys, redirect URIs, return
//! hosts, notifications, permissions, orders.

use std::rc::Rc;

use opengate_shared::h5api::H5Error;
use wasm_bindgen::JsCast;
use yew::prelude::*;
use yew_router::prelude::*;

use super::keys::keys_section;
use super::orders::{orders_section, use_orders};
use super::settings::{list_section, notify_section, permissions_section};
use super::statement::StatementSection;
use super::{form_of, labeled, pending, Ctl, Secret};
use crate::api::console::{self as api, Change, Changed};
use crate::app::Route;
use crate::components::push_on_click;
use crate::i18n::use_texts;
use crate::load::use_load;

#[derive(Properties, PartialEq)]
pub struct ConsoleAppPageProps {
    pub app_id: AttrValue,
}

#[function_component(ConsoleAppPage)]
pub fn console_app_page(props: &ConsoleAppPageProps) -> Html {
    let t = use_texts();
    let navigator = use_navigator();
    let load = {
        let app_id = props.app_id.clone();
        use_load(props.app_id.clone(), move || async move { api::app(&app_id).await.map(Rc::new) })
    };
    // The form whose change is in flight, failed (and why), or succeeded last.
    let busy = use_state(|| None::<String>);
    let error = use_state(|| None::<(String, H5Error)>);
    let done = use_state(|| None::<String>);
    let secret = use_state(|| None::<Secret>);
    let asking = use_state(|| None::<String>);
    // Synchronous guard: a double tap must not send a change twice.
    let in_flight = use_mut_ref(|| false);
    let orders = use_orders(props.app_id.clone());
    {
        // Keyboard focus follows what appears: a secret shown once (its box), an in-page
        // question (its confirm button); when either closes, back to the button that
        // opened it.
        let shown = secret.as_ref().map(|s| matches!(s, Secret::Key { .. }));
        let last = use_mut_ref(|| (None::<String>, None::<bool>));
        use_effect_with(((*asking).clone(), shown), move |(asking, shown)| {
            let (was_asking, was_shown) = last.replace((asking.clone(), *shown));
            let target = match (shown, asking) {
                (Some(key), _) if was_shown != *shown => {
                    Some(if *key { "#new-secret" } else { "#new-notify-secret-box" }.to_owned())
                }
                (_, Some(_)) => Some(".confirm .danger".to_owned()),
                // The secret box closed: back to the button that made the secret.
                (None, None) if was_shown.is_some() => {
                    Some(if was_shown == Some(true) { "#create-key" } else { "#rotate-secret" }.to_owned())
                }
                (_, None) => was_asking.map(|key| format!("[data-confirm=\"{key}\"]")),
            };
            let found = target.and_then(|t| gloo::utils::document().query_selector(&t).ok().flatten());
            if let Some(el) = found.and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        });
    }
    let Some((app, info)) = load.ready() else {
        return load.pending(t, pending(t.console().title));
    };

    let run = {
        let (load, busy, error, done, secret, in_flight) =
            (load.clone(), busy.clone(), error.clone(), done.clone(), secret.clone(), in_flight.clone());
        let (csrf, app_id) = (info.csrf_token.clone(), props.app_id.clone());
        Callback::from(move |(change, on_ok): (Change, Callback<()>)| {
            if *in_flight.borrow() {
                return;
            }
            *in_flight.borrow_mut() = true;
            let form = form_of(&change);
            busy.set(Some(form.clone()));
            error.set(None);
            done.set(None);
            let (load, busy, error, done, secret, in_flight) =
                (load.clone(), busy.clone(), error.clone(), done.clone(), secret.clone(), in_flight.clone());
            let (csrf, app_id) = (csrf.clone(), app_id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = api::change(&csrf, &app_id, &change).await;
                *in_flight.borrow_mut() = false;
                busy.set(None);
                let app = match result {
                    Ok(Changed::App(app)) => app,
                    Ok(Changed::Key(made)) => {
                        secret.set(Some(Secret::Key { access_key: made.access_key, secret_key: made.secret_key }));
                        made.app
                    }
                    Ok(Changed::Rotated(made)) => {
                        secret.set(Some(Secret::Notify(made.notify_secret)));
                        made.app
                    }
                    Err(err) => {
                        if load.after_error(&err) {
                            error.set(Some((form, err)));
                        }
                        return;
                    }
                };
                load.set(Rc::new(app));
                done.set(Some(form));
                on_ok.emit(());
            });
        })
    };
    let forget = {
        let secret = secret.clone();
        Callback::from(move |_: MouseEvent| secret.set(None))
    };
    let ctl = Ctl {
        t,
        app: app.clone(),
        busy: (*busy).clone(),
        error: (*error).clone(),
        done: (*done).clone(),
        secret: (*secret).clone(),
        asking: (*asking).clone(),
        asking_set: Callback::from(move |value| asking.set(value)),
        run,
        forget,
    };
    let c = t.console();

    html! {
        <main class="console">
            <a id="console-back" class="back" href={Route::Console.to_path()}
                onclick={push_on_click(navigator.clone(), Route::Console)}>{ c.all_apps }</a>
            <div class="app-head">
                <div>
                    <h1 id="console-app-name">{ app.name.clone() }</h1>
                    { labeled(c.app_id, &app.app_id, Some("console-app-id")) }
                    { labeled(c.company, &app.company_id, None) }
                </div>
            </div>
            if !app.active {
                <p id="console-suspended" class="notice">{ c.suspended_note }</p>
            }
            { keys_section(&ctl) }
            { list_section(&ctl, ["redirect-uris", "redirect-uri", "redirect-uri-add"], &app.redirect_uris,
                [c.redirect_title, c.redirect_intro, c.redirect_label, c.redirect_none]) }
            { list_section(&ctl, ["return-hosts", "return-host", "return-host-add"], &app.return_hosts,
                [c.hosts_title, c.hosts_intro, c.hosts_label, c.hosts_none]) }
            { notify_section(&ctl) }
            { permissions_section(&ctl) }
            { orders_section(t, &navigator, &orders) }
            <StatementSection app_id={AttrValue::from(app.app_id.clone())} />
        </main>
    }
}
