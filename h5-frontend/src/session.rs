//! The session (who is logged in, and the CSRF token every POST needs), fetched once
//! when the app starts and shared with every page through a context.

use std::rc::Rc;

use opengate_shared::h5api::{H5Error, SessionInfo};
use yew::prelude::*;

use crate::api;

#[derive(Debug, Clone, PartialEq)]
pub enum SessionState {
    Loading,
    Ready(SessionInfo),
    Failed(H5Error),
}

pub enum SessionAction {
    Loaded(SessionInfo),
    Failed(H5Error),
}

impl Reducible for SessionState {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        Rc::new(match action {
            SessionAction::Loaded(info) => SessionState::Ready(info),
            SessionAction::Failed(err) => SessionState::Failed(err),
        })
    }
}

pub type SessionContext = UseReducerHandle<SessionState>;

/// The session as the page sees it now (`Loading` outside a provider).
pub fn current(ctx: &Option<SessionContext>) -> SessionState {
    ctx.as_ref().map(|c| (**c).clone()).unwrap_or(SessionState::Loading)
}

#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    pub children: Html,
}

#[function_component(SessionProvider)]
pub fn session_provider(props: &SessionProviderProps) -> Html {
    let session = use_reducer(|| SessionState::Loading);
    {
        let session = session.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                session.dispatch(match api::session().await {
                    Ok(info) => SessionAction::Loaded(info),
                    Err(err) => SessionAction::Failed(err),
                });
            });
        });
    }
    html! {
        <ContextProvider<SessionContext> context={session}>
            { props.children.clone() }
        </ContextProvider<SessionContext>>
    }
}
