//! Small presentational pieces shared by the pages.

mod lang_switch;
mod pin_pad;

pub use lang_switch::{Footer, LangSwitch};
pub use pin_pad::{PinKey, PinPad, PIN_LEN};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;
use crate::i18n::use_texts;

#[derive(Properties, PartialEq)]
pub struct AlertProps {
    /// The element id the page (and the browser tests) look for.
    pub id: AttrValue,
    /// Nothing is rendered while this is `None`.
    pub message: Option<AttrValue>,
}

/// An error line (`role="alert"`, so screen readers say it at once). It is always in
/// the page, empty while there is nothing to say: a live region must exist before
/// it speaks, and the line's room is kept so nothing jumps when a message comes.
#[function_component(Alert)]
pub fn alert(props: &AlertProps) -> Html {
    html! { <p id={props.id.clone()} class="error" role="alert">{ props.message.clone() }</p> }
}

/// A muted "Loading…"-style line.
#[function_component(Busy)]
pub fn busy(props: &BusyProps) -> Html {
    html! { <p class="muted" role="status" aria-busy="true">{ props.text.clone() }</p> }
}

#[derive(Properties, PartialEq)]
pub struct BusyProps {
    pub text: AttrValue,
}

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    /// CSS classes of the grey blocks, one per block, sized like the content to come.
    pub blocks: &'static [&'static str],
}

/// A page still loading: grey blocks the size of what comes (nothing jumps when it
/// comes), and "Loading…" for screen readers.
#[function_component(Loading)]
pub fn loading(props: &LoadingProps) -> Html {
    let t = use_texts();
    html! {
        <div class="loading" role="status" aria-busy="true">
            <span class="visually-hidden">{ t.loading }</span>
            { for props.blocks.iter().map(|class| html! { <div class={classes!("sk", *class)} aria-hidden="true"></div> }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LoadFailedProps {
    /// The element id of the error line.
    pub id: AttrValue,
    pub message: AttrValue,
    /// Shown as "Try again" when the failure may pass (network, 5xx).
    #[prop_or_default]
    pub on_retry: Option<Callback<MouseEvent>>,
}

/// A request that failed: why, and "Try again" when trying again can help.
#[function_component(LoadFailed)]
pub fn load_failed(props: &LoadFailedProps) -> Html {
    let t = use_texts();
    html! {
        <section class="card">
            <p id={props.id.clone()} class="error" role="alert">{ props.message.clone() }</p>
            if let Some(on_retry) = &props.on_retry {
                <button id="retry" type="button" class="secondary" onclick={on_retry.clone()}>{ t.try_again }</button>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct NavLinkProps {
    /// The element id the browser tests look for.
    pub id: AttrValue,
    pub to: Route,
    pub text: AttrValue,
}

/// A secondary button that opens another page of the app without a reload (a plain
/// link with an id, which the router's `Link` cannot carry).
#[function_component(NavLink)]
pub fn nav_link(props: &NavLinkProps) -> Html {
    let navigator = use_navigator();
    let onclick = {
        let to = props.to.clone();
        Callback::from(move |e: MouseEvent| {
            // Modified clicks (new tab…) stay the browser's.
            if e.meta_key() || e.ctrl_key() || e.shift_key() || e.alt_key() {
                return;
            }
            if let Some(navigator) = &navigator {
                e.prevent_default();
                navigator.push(&to);
            }
        })
    };
    html! {
        <a id={props.id.clone()} class="button secondary" href={props.to.to_path()} {onclick}>{ props.text.clone() }</a>
    }
}
