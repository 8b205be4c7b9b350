//! The routes of the extra bundle (ADR 0017): pages few users open (the platform's
//! status page, authorized apps, account, payment history, the developer console),
//! kept out of the first load. Every other route is a full-page load of the first-load bundle.

use yew::prelude::*;

use crate::app::{NotFound, OtherBundle, Route};
use crate::pages::account::AccountPage;
use crate::pages::apps::AppsPage;
use crate::pages::console::{ConsoleAppPage, ConsoleListPage, DeliveriesPage};
use crate::pages::payments::PaymentsPage;
use crate::pages::status::StatusPage;

pub fn switch(route: Route) -> Html {
    match route {
        r if !r.is_here() => html! { <OtherBundle /> },
        Route::Status => html! { <StatusPage /> },
        Route::Apps => html! { <AppsPage /> },
        Route::Account => html! { <AccountPage /> },
        Route::Payments => html! { <PaymentsPage /> },
        Route::Console => html! { <ConsoleListPage /> },
        // Keyed by the app: another app starts with a fresh page (no secret carried over).
        Route::ConsoleApp { app_id } => {
            let key = app_id.clone();
            html! { <ConsoleAppPage {key} {app_id} /> }
        }
        Route::ConsoleDeliveries { app_id, order_id } => html! { <DeliveriesPage {app_id} {order_id} /> },
        _ => html! { <NotFound /> },
    }
}
