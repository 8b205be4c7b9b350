//! Platform status: asks `/healthz` and `/readyz` and shows the answer.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, Health};
use crate::app::Route;
use crate::components::nav_link;
use crate::i18n::use_texts;

#[derive(Clone, PartialEq)]
enum State {
    Loading,
    Done(Health),
    Failed,
}

#[function_component(StatusPage)]
pub fn status_page() -> Html {
    let t = use_texts();
    let navigator = use_navigator();
    let state = use_state(|| State::Loading);
    // Bumped by "Try again".
    let attempt = use_state(|| 0u32);
    {
        let state = state.clone();
        use_effect_with(*attempt, move |_| {
            state.set(State::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                state.set(match api::health().await {
                    Ok(h) => State::Done(h),
                    Err(_) => State::Failed,
                });
            });
        });
    }
    let on_retry = {
        let attempt = attempt.clone();
        Callback::from(move |_: MouseEvent| attempt.set(attempt.wrapping_add(1)))
    };
    let retry =
        html! { <button id="retry" type="button" class="secondary" onclick={on_retry}>{ t.try_again }</button> };
    let body = match &*state {
        State::Loading => html! { <p id="status" class="status" aria-busy="true">{ t.status_checking }</p> },
        State::Done(h) if h.ready => html! { <p id="status" class="status ok">{ t.status_ok }</p> },
        // The platform answers but is not ready (503): worth another try.
        State::Done(_) => {
            html! { <><p id="status" class="status bad" role="alert">{ t.status_db_down }</p>{ retry }</> }
        }
        State::Failed => {
            html! { <><p id="status" class="status bad" role="alert">{ t.status_unreachable }</p>{ retry }</> }
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
                { nav_link(&navigator, "nav-apps", Route::Apps, t.nav_apps) }
                { nav_link(&navigator, "nav-account", Route::Account, t.nav_account) }
            </nav>
        </main>
    }
}
