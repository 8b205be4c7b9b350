//! Small presentational pieces shared by the pages.

mod pin_pad;

pub use pin_pad::{PinKey, PinPad, PIN_LEN};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::Route;

#[derive(Properties, PartialEq)]
pub struct AlertProps {
    /// The element id the page (and the browser tests) look for.
    pub id: AttrValue,
    /// Nothing is rendered while this is `None`.
    pub message: Option<AttrValue>,
}

/// An error line (`role="alert"`, so screen readers say it at once).
#[function_component(Alert)]
pub fn alert(props: &AlertProps) -> Html {
    match &props.message {
        Some(message) => html! { <p id={props.id.clone()} class="error" role="alert">{ message.clone() }</p> },
        None => html! {},
    }
}

/// A muted "Loading…"-style line.
#[function_component(Busy)]
pub fn busy(props: &BusyProps) -> Html {
    html! { <p class="muted" aria-busy="true">{ props.text.clone() }</p> }
}

#[derive(Properties, PartialEq)]
pub struct BusyProps {
    pub text: AttrValue,
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
