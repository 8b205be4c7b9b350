//! The session (who is logged in, and the CSRF token every POST needs), fetched when
//! the app starts and shared with every page through a context. It is fetched again
//! after a failure ("Try again") and when a POST finds its CSRF token stale (the
//! session ended meanwhile: the page then sees nobody logged in and goes to login).

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
    /// Fetch the session again.
    Reload,
}

impl Reducible for SessionState {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: SessionAction) -> Rc<Self> {
        Rc::new(match action {
            SessionAction::Loaded(info) => SessionState::Ready(info),
            SessionAction::Failed(err) => SessionState::Failed(err),
            SessionAction::Reload => SessionState::Loading,
        })
    }
}

pub type SessionContext = UseReducerHandle<SessionState>;

/// The session as the page sees it now (`Loading` outside a provider).
pub fn current(ctx: &Option<SessionContext>) -> SessionState {
    ctx.as_ref().map(|c| (**c).clone()).unwrap_or(SessionState::Loading)
}

/// Fetches the session again (after a failure, or a stale CSRF token).
pub fn reload(ctx: &Option<SessionContext>) {
    if let Some(ctx) = ctx {
        ctx.dispatch(SessionAction::Reload);
    }
}

/// "Try again" on a page that failed: the session when that is what failed, else
/// the page's own request (by bumping its `reload` counter).
pub fn retry(ctx: &Option<SessionContext>, page_reload: &UseStateHandle<u32>) {
    if matches!(current(ctx), SessionState::Failed(_)) {
        reload(ctx);
    } else {
        page_reload.set(page_reload.wrapping_add(1));
    }
}

#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    pub children: Html,
}

#[function_component(SessionProvider)]
pub fn session_provider(props: &SessionProviderProps) -> Html {
    let session = use_reducer(|| SessionState::Loading);
    {
        // Runs whenever the state becomes `Loading`: at start and on every reload.
        let loading = matches!(*session, SessionState::Loading);
        let session = session.clone();
        use_effect_with(loading, move |loading| {
            if *loading {
                wasm_bindgen_futures::spawn_local(async move {
                    session.dispatch(match api::session().await {
                        Ok(info) => SessionAction::Loaded(info),
                        Err(err) => SessionAction::Failed(err),
                    });
                });
            }
        });
    }
    html! {
        <ContextProvider<SessionContext> context={session}>
            { props.children.clone() }
        </ContextProvider<SessionContext>>
    }
}
