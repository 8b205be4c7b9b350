//! Routes of the H5 app, all under `/h5/`.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::pages::status::StatusPage;

#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    #[at("/h5/")]
    Status,
    #[not_found]
    #[at("/h5/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Status => html! { <StatusPage /> },
        Route::NotFound => html! {
            <main><h1>{ "Page not found" }</h1><p class="muted">{ "Check the link you followed." }</p></main>
        },
    }
}

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <BrowserRouter>
            <Switch<Route> render={switch} />
        </BrowserRouter>
    }
}
