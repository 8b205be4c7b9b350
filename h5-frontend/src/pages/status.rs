//! Platform status: asks `/healthz` and `/readyz` and shows the answer.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, Health};
use crate::app::Route;
use crate::components::NavLink;
use crate::i18n::use_texts;

#[derive(Clone, PartialEq)]
enum State {
    Loading,
    Done(Health),
    Failed(String),
}

#[function_component(StatusPage)]
pub fn status_page() -> Html {
    let t = use_texts();
    let state = use_state(|| State::Loading);
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                state.set(match api::health().await {
                    Ok(h) => State::Done(h),
                    Err(e) => State::Failed(e),
                });
            });
        });
    }
    let body = match &*state {
        State::Loading => html! { <p id="status" class="status" aria-busy="true">{ t.status_checking }</p> },
        State::Done(h) => html! {
            <p id="status" class={classes!("status", if h.ready { "ok" } else { "bad" })}>
                { format!("{}: {}", t.status_label, if h.ready { t.status_ok } else { t.status_db_down }) }
            </p>
        },
        State::Failed(e) => {
            html! { <p id="status" class="status bad" role="alert">{ format!("{}: {e}", t.status_unreachable) }</p> }
        }
    };
    html! {
        <main>
            <h1>{ t.brand }</h1>
            <section class="card" aria-live="polite">
                { body }
                <p class="muted">{ t.status_tagline }</p>
            </section>
            <nav class="links">
                <Link<Route> to={Route::Apps} classes="button secondary">{ t.nav_apps }</Link<Route>>
                <NavLink id="nav-account" to={Route::Account} text={t.nav_account} />
            </nav>
        </main>
    }
}
