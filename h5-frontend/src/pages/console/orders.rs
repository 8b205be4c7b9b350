//! `#orders`: the app's orders, newest first, a page at a time, searchable by trade
//! number; each links to its notification delivery log.

use opengate_shared::amount::group_digits;
use opengate_shared::console::{OrderPage, OrderSummary};
use opengate_shared::h5api::H5Error;
use yew::prelude::*;
use yew_router::prelude::*;

use super::{add_form, console_error, AddFormProps};
use crate::api;
use crate::app::Route;
use crate::components::{alert, push_on_click};
use crate::i18n::Texts;
use crate::nav::go_to_login;

/// The orders shown, and the search they answer.
#[derive(Clone, PartialEq)]
struct Shown {
    orders: Vec<OrderSummary>,
    next_before: Option<String>,
    trade_no: Option<String>,
}

/// The order list of one app: what is shown, and how to fetch more.
pub(super) struct Orders {
    app_id: AttrValue,
    /// `None` until the first page is there.
    shown: UseStateHandle<Option<Shown>>,
    error: UseStateHandle<Option<H5Error>>,
    busy: UseStateHandle<bool>,
    /// Fetches a page: the first one of a search (`trade_no`), or the next one (`more`).
    fetch: Callback<(Option<String>, bool)>,
}

/// The first page is fetched at once (alongside the app itself).
#[hook]
pub(super) fn use_orders(app_id: AttrValue) -> Orders {
    let shown = use_state(|| None::<Shown>);
    let error = use_state(|| None::<H5Error>);
    let busy = use_state(|| false);
    let fetch = {
        let (app_id, shown, error, busy) = (app_id.clone(), shown.clone(), error.clone(), busy.clone());
        Callback::from(move |(trade_no, more): (Option<String>, bool)| {
            let kept = shown.as_ref().filter(|_| more).cloned();
            let before = kept.as_ref().and_then(|s| s.next_before.clone());
            let (app_id, shown, error, busy) = (app_id.clone(), shown.clone(), error.clone(), busy.clone());
            busy.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let result = api::console::orders(&app_id, before.as_deref(), trade_no.as_deref()).await;
                busy.set(false);
                match result {
                    Ok(OrderPage { orders, next_before }) => {
                        let orders = match kept {
                            Some(Shown { orders: mut kept, .. }) => {
                                kept.extend(orders);
                                kept
                            }
                            None => orders,
                        };
                        shown.set(Some(Shown { orders, next_before, trade_no }));
                    }
                    Err(err) if err.error == api::LOGIN_REQUIRED => go_to_login(),
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    {
        let fetch = fetch.clone();
        use_effect_with(app_id.clone(), move |_| fetch.emit((None, false)));
    }
    Orders { app_id, shown, error, busy, fetch }
}

pub(super) fn orders_section(t: &'static Texts, navigator: &Option<Navigator>, orders: &Orders) -> Html {
    let c = t.console();
    let busy = *orders.busy;
    let shown = orders.shown.as_ref();
    let current = shown.and_then(|s| s.trade_no.clone());
    let on_search = {
        let fetch = orders.fetch.clone();
        Callback::from(move |(trade_no, _): (String, Callback<()>)| {
            fetch.emit(((!trade_no.is_empty()).then_some(trade_no), false))
        })
    };
    let on_more = {
        let (fetch, current) = (orders.fetch.clone(), current.clone());
        Callback::from(move |_: MouseEvent| fetch.emit((current.clone(), true)))
    };
    let rows = shown.iter().flat_map(|s| s.orders.iter()).map(|o| {
        let to = Route::ConsoleDeliveries { app_id: orders.app_id.to_string(), order_id: o.order_id.clone() };
        let status = format!(
            "{} · {} · {}: {}",
            c.order_status(&o.status),
            t.date_time(o.created_at),
            c.notification,
            c.notify_state(o.notification.as_deref())
        );
        html! {
            <li class="order" data-order={o.order_id.clone()} data-status={o.status.clone()}
                data-notification={o.notification.clone().unwrap_or_else(|| "none".to_owned())}>
                <a class="deliveries" href={to.to_path()} onclick={push_on_click(navigator.clone(), to)}>
                    <span class="order-top">
                        <code>{ o.trade_no.clone() }</code>
                        <span class="order-amount">{ format!("{} {}", group_digits(&o.amount), o.currency) }</span>
                    </span>
                    <span class="order-meta">{ status }</span>
                </a>
            </li>
        }
    });
    let empty = match shown {
        Some(s) if s.orders.is_empty() => Some(if s.trade_no.is_some() { c.orders_no_match } else { c.orders_none }),
        _ => None,
    };
    html! {
        <section id="orders" class="card" aria-busy={busy.to_string()}>
            <h2>{ c.orders_title }</h2>
            { add_form(AddFormProps {
                input_id: "orders-trade-no".into(),
                input_class: "",
                button_id: Some("orders-search"),
                button_class: "secondary",
                label: c.orders_search_label,
                button_text: c.orders_search,
                kind: "text",
                value: current.map(AttrValue::from),
                disabled: busy,
                busy: if busy { "true" } else { "false" },
                on_submit: on_search,
            }) }
            if let Some(empty) = empty {
                <p id="orders-none" class="muted">{ empty }</p>
            }
            <ul class="orders">{ for rows }</ul>
            { alert("orders-error".into(), orders.error.as_ref().map(|e| AttrValue::from(console_error(t, e)))) }
            if shown.is_some_and(|s| s.next_before.is_some()) {
                <button id="orders-more" type="button" class="secondary" disabled={busy} onclick={on_more}>
                    { c.orders_more }
                </button>
            }
        </section>
    }
}
