//! Platform status: asks `/healthz` and `/readyz` and shows the answer.

use yew::prelude::*;

use crate::api::{self, Health};

#[derive(Clone, PartialEq)]
enum State {
    Loading,
    Done(Health),
    Failed(String),
}

#[function_component(StatusPage)]
pub fn status_page() -> Html {
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
        State::Loading => html! { <p id="status" class="status" aria-busy="true">{ "Checking…" }</p> },
        State::Done(h) => html! {
            <p id="status" class={classes!("status", if h.ready { "ok" } else { "bad" })}>
                { format!("Platform status: {}", if h.ready { "ok" } else { "database unreachable" }) }
            </p>
        },
        State::Failed(e) => {
            html! { <p id="status" class="status bad" role="alert">{ format!("Cannot reach the platform: {e}") }</p> }
        }
    };
    html! {
        <main>
            <h1>{ "OpenGate" }</h1>
            <section class="card" aria-live="polite">
                { body }
                <p class="muted">{ "Log in and pay with OpenGate inside partner apps." }</p>
            </section>
        </main>
    }
}
