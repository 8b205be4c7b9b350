//! Small presentational pieces shared by the pages.

use yew::prelude::*;

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
