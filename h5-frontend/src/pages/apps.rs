//! "Authorized apps" (SPEC §5.8): the apps the user let in, each revocable at once.

use std::future::Future;
use std::pin::Pin;

use opengate_shared::h5api::H5Error;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::app::Route;
use crate::components::{alert, nav_link};
use crate::i18n::{use_texts, Notice};
use crate::load::{use_load, Pending};
use crate::nav::go_to_login;

/// The grey blocks while loading: who is logged in, and the list.
const LOADING: &[&str] = &["sk-whoami", "sk-apps"];

/// One POST of this page; `Ok(true)` when the browser is leaving the page.
type Action = Pin<Box<dyn Future<Output = Result<bool, H5Error>>>>;

#[function_component(AppsPage)]
pub fn apps_page() -> Html {
    let t = use_texts();
    let navigator = use_navigator();
    let load = use_load(AttrValue::Static(""), api::grants);
    let error = use_state(|| None::<Notice>);
    // The app being revoked, or "" while logging out: every button waits meanwhile.
    let busy = use_state(|| None::<String>);
    let in_flight = use_mut_ref(|| false);

    let Some((grants, info)) = load.ready() else {
        return load.pending(t, Pending::titled(t.apps_title, "apps-error", LOADING));
    };
    let csrf = info.csrf_token.clone();

    // Runs one POST with every button disabled until it is done.
    let run = {
        let (load, error, busy, in_flight) = (load.clone(), error.clone(), busy.clone(), in_flight.clone());
        move |key: String, call: Action| {
            if *in_flight.borrow() {
                return;
            }
            *in_flight.borrow_mut() = true;
            busy.set(Some(key));
            error.set(None);
            let (load, error, busy, in_flight) = (load.clone(), error.clone(), busy.clone(), in_flight.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = call.await;
                if matches!(result, Ok(true)) {
                    return;
                }
                *in_flight.borrow_mut() = false;
                busy.set(None);
                if let Err(err) = result {
                    if load.after_error(&err) {
                        error.set(Some(err.into()));
                    }
                }
            });
        }
    };

    let rows = grants.iter().map(|grant| {
        let onclick = {
            let (run, csrf, load, app_id) = (run.clone(), csrf.clone(), load.clone(), grant.app_id.clone());
            Callback::from(move |_: MouseEvent| {
                let (csrf, load, id) = (csrf.clone(), load.clone(), app_id.clone());
                run(
                    app_id.clone(),
                    Box::pin(async move {
                        api::revoke(&csrf, &id).await?;
                        load.reload();
                        Ok(false)
                    }),
                );
            })
        };
        let revoking = busy.as_deref() == Some(grant.app_id.as_str());
        html! {
            <li class="grant" data-app-id={grant.app_id.clone()}>
                if let Some(logo) = &grant.logo_url {
                    <img class="app-logo small" src={logo.clone()} alt={grant.app_name.clone()} width="40" height="40" />
                }
                <div class="grant-text">
                    <span class="grant-name">{ grant.app_name.clone() }</span>
                    <span class="grant-scopes">{ grant.scopes.join(" ") }</span>
                    <span class="muted grant-date">{ t.granted_on(grant.granted_at) }</span>
                </div>
                <button type="button" class="revoke secondary" disabled={busy.is_some()} aria-busy={revoking.to_string()}
                    aria-label={t.apps_revoke_app.replace("{app}", &grant.app_name)} {onclick}>{ t.apps_revoke }</button>
            </li>
        }
    });

    let on_logout = {
        let (run, csrf) = (run.clone(), csrf.clone());
        Callback::from(move |_: MouseEvent| {
            let csrf = csrf.clone();
            run(
                String::new(),
                Box::pin(async move {
                    api::logout(&csrf).await?;
                    go_to_login();
                    Ok(true)
                }),
            );
        })
    };

    let who = info.user.as_ref().map(|u| t.logged_in(&u.nickname, &u.account));
    html! {
        <main>
            <h1>{ t.apps_title }</h1>
            if let Some(who) = who {
                <p class="muted whoami">{ who }</p>
            }
            <section class="card">
                <p class="muted">{ t.apps_intro }</p>
                if grants.is_empty() {
                    <p id="no-grants">{ t.apps_none }</p>
                } else {
                    <ul class="grants">{ for rows }</ul>
                }
                { alert("apps-error".into(), error.as_ref().map(|n| AttrValue::from(t.notice(n)))) }
            </section>
            <div class="actions">
                { nav_link(&navigator, "nav-account", Route::Account, t.nav_account) }
                <button id="logout" type="button" class="secondary" disabled={busy.is_some()} onclick={on_logout}>
                    { t.apps_logout }
                </button>
            </div>
        </main>
    }
}
