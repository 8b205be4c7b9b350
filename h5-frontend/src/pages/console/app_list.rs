//! `/h5/console`: the apps the logged-in account administers, or why there are none.

use opengate_shared::console::ConsoleApps;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{labeled, pending};
use crate::api;
use crate::app::Route;
use crate::components::{nav_link, push_on_click};
use crate::i18n::use_texts;
use crate::load::use_load;
use crate::nav;

#[function_component(ConsoleListPage)]
pub fn console_list_page() -> Html {
    let t = use_texts();
    let navigator = use_navigator();
    let load = use_load(AttrValue::Static(""), api::console::apps);
    let Some((ConsoleApps { apps }, info)) = load.ready() else {
        return load.pending(t, pending(t.console().title));
    };

    // "Log in with another account": log out, then the login page comes back here
    // (should the logout fail, the login page sends the user back here).
    let on_switch = {
        let csrf = info.csrf_token.clone();
        Callback::from(move |_: MouseEvent| {
            let csrf = csrf.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = api::logout(&csrf).await;
                nav::go_to_login();
            });
        })
    };

    let rows = apps.iter().map(|app| {
        let to = Route::ConsoleApp { app_id: app.app_id.clone() };
        html! {
            <li>
                <a class="console-app" data-app={app.app_id.clone()} href={to.to_path()}
                    onclick={push_on_click(navigator.clone(), to)}>
                    <span class="console-app-name">
                        { app.name.clone() }
                        if !app.active {
                            <span class="badge suspended">{ t.console().suspended }</span>
                        }
                    </span>
                    { labeled(t.console().app_id, &app.app_id, None) }
                    { labeled(t.console().company, &app.company_id, None) }
                </a>
            </li>
        }
    });

    html! {
        <main class="console">
            <h1>{ t.console().title }</h1>
            if apps.is_empty() {
                <section class="card">
                    <p id="console-empty">{ t.console().empty }</p>
                    <button id="console-switch-account" type="button" class="secondary" onclick={on_switch}>
                        { t.console().switch_account }
                    </button>
                </section>
            } else {
                <p class="muted">{ t.console().intro }</p>
                <ul class="console-apps">{ for rows }</ul>
            }
            <nav class="links">
                { nav_link(&navigator, "nav-account", Route::Account, t.nav_account) }
            </nav>
            if let Some(user) = &info.user {
                <p class="muted whoami-below">{ t.logged_in(&user.nickname, &user.account) }</p>
            }
        </main>
    }
}
