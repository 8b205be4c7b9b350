//! Small presentational pieces shared by the pages.

mod lang_switch;
mod pin_pad;

pub use lang_switch::LangSwitch;
pub use pin_pad::{PinKey, PinPad, PIN_LEN};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::i18n::Texts;

// The small pieces below are plain functions, not components: each component costs
// its own copy of Yew's component machinery in the bundle (the first load is kept
// within its size budget, see tests/api/h5.rs).

/// An error line (`role="alert"`, so screen readers say it at once) with the element
/// id the page (and the browser tests) look for. It is always in the page, empty while
/// there is nothing to say: a live region must exist before it speaks, and the line's
/// room is kept so nothing jumps when a message comes.
pub fn alert(id: AttrValue, message: Option<AttrValue>) -> Html {
    html! { <p {id} class="error" role="alert">{ message }</p> }
}

/// A muted "Loading…"-style line.
pub fn busy_line(text: &'static str) -> Html {
    html! { <p class="muted" role="status" aria-busy="true">{ text }</p> }
}

/// A page still loading: grey blocks the size of what comes (nothing jumps when it
/// comes; `blocks` are their CSS classes), and "Loading…" for screen readers.
pub fn loading(t: &Texts, blocks: &'static [&'static str]) -> Html {
    html! {
        <div class="loading" role="status" aria-busy="true">
            <span class="visually-hidden">{ t.loading }</span>
            { for blocks.iter().map(|class| html! { <div class={classes!("sk", *class)} aria-hidden="true"></div> }) }
        </div>
    }
}

/// A request that failed: why (in the element `id`), and "Try again" when trying
/// again can help (network, 5xx).
pub fn load_failed(t: &Texts, id: &'static str, message: String, on_retry: Option<Callback<MouseEvent>>) -> Html {
    html! {
        <section class="card">
            <p {id} class="error" role="alert">{ message }</p>
            if let Some(on_retry) = on_retry {
                <button id="retry" type="button" class="secondary" onclick={on_retry}>{ t.try_again }</button>
            }
        </section>
    }
}

/// A secondary button with an id (the browser tests look for it) that opens another
/// page of the app without a reload. `navigator` is the page's `use_navigator()`.
pub fn nav_link(navigator: &Option<Navigator>, id: &'static str, to: Route, text: &'static str) -> Html {
    let href = to.to_path();
    html! { <a {id} class="button secondary" {href} onclick={push_on_click(navigator.clone(), to)}>{ text }</a> }
}

/// The `onclick` of a plain `<a href>` to a page of the app: opens it without a
/// reload. Modified clicks (new tab…) stay the browser's, and so does a page of the
/// other bundle (a full-page load).
pub fn push_on_click(navigator: Option<Navigator>, to: Route) -> Callback<MouseEvent> {
    Callback::from(move |e: MouseEvent| {
        if e.meta_key() || e.ctrl_key() || e.shift_key() || e.alt_key() || !to.is_here() {
            return;
        }
        if let Some(navigator) = &navigator {
            e.prevent_default();
            navigator.push(&to);
        }
    })
}
