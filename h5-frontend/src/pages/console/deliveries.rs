//! `/h5/console/{app_id}/orders/{order_id}`: every notification of one order, newest
//! first, with each delivery attempt.

use opengate_shared::console::{AttemptLog, NotificationLog};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{labeled, pending};
use crate::api;
use crate::app::Route;
use crate::components::push_on_click;
use crate::i18n::{use_texts, Texts};
use crate::load::use_load;

#[derive(Properties, PartialEq)]
pub struct DeliveriesPageProps {
    pub app_id: AttrValue,
    pub order_id: AttrValue,
}

/// `#1 · Nov 23, 2026 14:05 · 12 ms · HTTP 200` (or the error when no answer came).
fn attempt_row(t: &Texts, a: &AttemptLog) -> Html {
    let result = match (a.http_status, &a.error) {
        (Some(status), _) => format!("HTTP {status}"),
        (None, error) => error.clone().unwrap_or_default(),
    };
    let text = format!("#{} · {} · {} ms · {result}", a.attempt, t.date_time(a.started_at), a.latency_ms);
    html! { <li class="attempt" data-attempt={a.attempt.to_string()}>{ text }</li> }
}

/// One line of facts: label and value.
fn fact(label: &str, value: String) -> Html {
    html! { <div><dt>{ label.to_owned() }</dt><dd>{ value }</dd></div> }
}

fn notification(t: &'static Texts, n: &NotificationLog) -> Html {
    let c = t.console();
    let when = match (n.delivered_at, n.next_attempt_at) {
        (Some(at), _) => fact(c.delivered_at, t.date_time(at)),
        (None, Some(at)) => fact(c.next_attempt, t.date_time(at)),
        (None, None) => html! {},
    };
    html! {
        <li class="notification card" data-id={n.id.clone()} data-status={n.status.clone()}>
            <h2 class="notification-event">{ n.event_type.clone() }</h2>
            <dl class="facts">
                { fact(c.status, c.notify_state(Some(&n.status)).to_owned()) }
                { fact(c.url, n.url.clone()) }
                { fact(c.created, t.date_time(n.created_at)) }
                { when }
            </dl>
            <h3>{ c.attempts_title }</h3>
            if n.attempts.is_empty() {
                <p class="muted">{ c.attempts_none }</p>
            } else {
                <ol class="attempts">{ for n.attempts.iter().map(|a| attempt_row(t, a)) }</ol>
            }
        </li>
    }
}

#[function_component(DeliveriesPage)]
pub fn deliveries_page(props: &DeliveriesPageProps) -> Html {
    let t = use_texts();
    let c = t.console();
    let navigator = use_navigator();
    let load = {
        let (app_id, order_id) = (props.app_id.clone(), props.order_id.clone());
        let key = AttrValue::from(format!("{app_id}/{order_id}"));
        use_load(key, move || async move { api::console::deliveries(&app_id, &order_id).await })
    };
    let Some((log, _)) = load.ready() else {
        return load.pending(t, pending(c.deliveries_title));
    };
    let back = Route::ConsoleApp { app_id: props.app_id.to_string() };
    html! {
        <main class="console">
            <a id="console-back" class="back" href={back.to_path()} onclick={push_on_click(navigator, back)}>{ c.back_to_app }</a>
            <h1>{ c.deliveries_title }</h1>
            { labeled(c.order_label, &log.order_id, Some("delivery-order")) }
            if log.notifications.is_empty() {
                <p id="deliveries-none" class="card muted">{ c.deliveries_none }</p>
            }
            <ul id="delivery-log" class="notifications">
                { for log.notifications.iter().map(|n| notification(t, n)) }
            </ul>
        </main>
    }
}
