//! Routes of the H5 app, all under `/h5/`, inside the language and session contexts.
//! Every page is one `<main>`; the footer with the language switcher follows it.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::components::LangSwitch;
use crate::i18n::{use_texts, LangProvider};
use crate::pages::account::AccountPage;
use crate::pages::apps::AppsPage;
use crate::pages::authorize::AuthorizePage;
use crate::pages::console::{ConsoleAppPage, ConsoleListPage, DeliveriesPage};
use crate::pages::error::ErrorPage;
use crate::pages::login::LoginPage;
use crate::pages::pay::PayPage;
use crate::pages::status::StatusPage;
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

fn switch(route: Route) -> Html {
    match route {
        Route::Status => html! { <StatusPage /> },
        Route::Login => html! { <LoginPage /> },
        Route::Authorize => html! { <AuthorizePage /> },
        Route::Apps => html! { <AppsPage /> },
        Route::Pay { order_id } => html! { <PayPage {order_id} /> },
        Route::Account => html! { <AccountPage /> },
        Route::Console => html! { <ConsoleListPage /> },
        // Keyed by the app: another app starts with a fresh page (no secret carried over).
        Route::ConsoleApp { app_id } => {
            let key = app_id.clone();
            html! { <ConsoleAppPage {key} {app_id} /> }
        }
        Route::ConsoleDeliveries { app_id, order_id } => html! { <DeliveriesPage {app_id} {order_id} /> },
        Route::Error => html! { <ErrorPage /> },
        Route::NotFound => html! { <NotFound /> },
    }
}

#[function_component(NotFound)]
fn not_found() -> Html {
    let t = use_texts();
    html! {
        <main><h1>{ t.not_found_title }</h1><p class="muted">{ t.not_found_hint }</p></main>
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <LangProvider>
            <SessionProvider>
                <BrowserRouter>
                    <Switch<Route> render={switch} />
                    <footer class="site-footer"><LangSwitch /></footer>
                </BrowserRouter>
            </SessionProvider>
        </LangProvider>
    }
}
