//! Routes of the H5 app, all under `/h5/`, inside the language and session contexts.
//! Every page is one `<main>`; the footer with the language switcher follows it.
//!
//! The pages are built into two bundles (ADR 0017): the first load ([`App`]: login,
//! consent, pay) and the extra bundle ([`ExtraApp`]: the status page, authorized apps,
//! account, payment history, the developer console), which only the pages that need it download. Both know
//! every route; a route of the other bundle is a full-page load, for which the server
//! answers with that bundle's page.

use std::sync::atomic::{AtomicBool, Ordering};

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::LangSwitch;
use crate::i18n::{use_texts, LangProvider};
use crate::nav;
use crate::pages::authorize::AuthorizePage;
use crate::pages::error::ErrorPage;
use crate::pages::login::LoginPage;
use crate::pages::pay::PayPage;
use crate::session::SessionProvider;

#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/h5/")]
    Status,
    #[at("/h5/login")]
    Login,
    #[at("/h5/authorize")]
    Authorize,
    #[at("/h5/apps")]
    Apps,
    #[at("/h5/pay/:order_id")]
    Pay { order_id: String },
    #[at("/h5/account")]
    Account,
    #[at("/h5/account/payments")]
    Payments,
    #[at("/h5/console")]
    Console,
    #[at("/h5/console/:app_id")]
    ConsoleApp { app_id: String },
    #[at("/h5/console/:app_id/orders/:order_id")]
    ConsoleDeliveries { app_id: String, order_id: String },
    #[at("/h5/error")]
    Error,
    #[not_found]
    #[at("/h5/404")]
    NotFound,
}

impl Route {
    /// Whether the page is in the extra bundle (the server's list is in `http/h5.rs`).
    pub fn is_extra(&self) -> bool {
        matches!(
            self,
            Route::Status
                | Route::Apps
                | Route::Account
                | Route::Payments
                | Route::Console
                | Route::ConsoleApp { .. }
                | Route::ConsoleDeliveries { .. }
        )
    }

    /// Whether this bundle can show the page without a full-page load.
    pub fn is_here(&self) -> bool {
        self.is_extra() == RUNNING_EXTRA.load(Ordering::Relaxed)
    }
}

/// Set once at start by [`crate::start_extra`].
static RUNNING_EXTRA: AtomicBool = AtomicBool::new(false);

pub fn set_running_extra() {
    RUNNING_EXTRA.store(true, Ordering::Relaxed);
}

fn switch(route: Route) -> Html {
    match route {
        r if !r.is_here() => html! { <OtherBundle /> },
        Route::Login => html! { <LoginPage /> },
        Route::Authorize => html! { <AuthorizePage /> },
        Route::Pay { order_id } => html! { <PayPage {order_id} /> },
        Route::Error => html! { <ErrorPage /> },
        _ => html! { <NotFound /> },
    }
}

thread_local! {
    /// The address this document was loaded for: the server chose this bundle for it.
    static LOADED_FOR: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Remembers the address the server answered with this bundle (at start).
pub fn remember_loaded_address() {
    LOADED_FOR.with(|a| *a.borrow_mut() = nav::current_path_and_query());
}

/// A page of the other bundle, reached inside this one (history): loaded afresh. Never
/// for the address this document was loaded for: the server sent this bundle for it,
/// so reloading would loop (the two lists of extra pages disagree); not found instead.
#[function_component(OtherBundle)]
pub fn other_bundle() -> Html {
    let here = nav::current_path_and_query();
    let loaded_here = LOADED_FOR.with(|a| *a.borrow() == here);
    use_effect_with((), move |_| {
        if !loaded_here {
            nav::replace(&here);
        }
    });
    if loaded_here {
        html! { <NotFound /> }
    } else {
        html! { <main aria-busy="true"></main> }
    }
}

#[function_component(NotFound)]
pub fn not_found() -> Html {
    let t = use_texts();
    html! {
        <main><h1>{ t.not_found_title }</h1><p class="muted">{ t.not_found_hint }</p></main>
    }
}

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    pub children: Html,
}

/// The contexts, the router and the footer around one bundle's `Switch`.
#[function_component(Shell)]
pub fn shell(props: &ShellProps) -> Html {
    html! {
        <LangProvider>
            <SessionProvider>
                <BrowserRouter>
                    { props.children.clone() }
                    <footer class="site-footer"><LangSwitch /></footer>
                </BrowserRouter>
            </SessionProvider>
        </LangProvider>
    }
}

/// The first-load bundle.
#[function_component(App)]
pub fn app() -> Html {
    html! { <Shell><Switch<Route> render={switch} /></Shell> }
}

/// The extra bundle (the developer console, the payment history).
#[function_component(ExtraApp)]
pub fn extra_app() -> Html {
    html! { <Shell><Switch<Route> render={crate::extra::switch} /></Shell> }
}
