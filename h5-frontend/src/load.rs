//! How a page loads what it shows, the same way on every page: wait for the session;
//! nobody logged in (or `login_required` from the fetch) → the login page, which comes
//! back here afterwards; any other failure → why, in the user's language, with
//! "Try again" when trying again can help (network, 5xx).

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;

use opengate_shared::h5api::{H5Error, SessionInfo};
use yew::prelude::*;

use crate::api;
use crate::components::{busy_line, load_failed, loading};
use crate::i18n::Texts;
use crate::nav::go_to_login;
use crate::session::{self, SessionContext, SessionState};

/// What a page loaded, whatever its type: the state and the effect that fetches it
/// are in the bundle once, not once per page (see [`LoadHandle`] for the typed view).
type Value = Rc<dyn Any>;
type Fetch = Pin<Box<dyn Future<Output = Result<Value, H5Error>>>>;

/// Where a page's first request is.
enum Load {
    Loading,
    /// On the way to the login page.
    Redirecting,
    Ready(Value),
    Failed(H5Error),
}

/// What a page shows while it is not ready.
pub struct Pending<'a> {
    /// The heading while loading (`None`: none).
    pub title: Option<&'a str>,
    /// The heading above a failure.
    pub error_title: &'a str,
    /// The element id of the failure's line.
    pub error_id: &'static str,
    /// The failure in the words of this page.
    pub message: fn(&Texts, &H5Error) -> String,
    /// The grey blocks while loading, sized like the content to come.
    pub blocks: &'static [&'static str],
}

impl<'a> Pending<'a> {
    /// A page with the same heading while loading and above a failure, which reads
    /// as [`Texts::error_text`] says it.
    pub fn titled(title: &'a str, error_id: &'static str, blocks: &'static [&'static str]) -> Pending<'a> {
        Pending { title: Some(title), error_title: title, error_id, message: Texts::error_text, blocks }
    }
}

/// The state of a page's load without its type.
#[derive(Clone)]
struct Core {
    state: UseStateHandle<Load>,
    reload: UseStateHandle<u32>,
    ctx: Option<SessionContext>,
    session: SessionState,
}

/// The state of a page's load, and what the page may do with it.
pub struct LoadHandle<T> {
    core: Core,
    kind: PhantomData<fn() -> T>,
}

impl<T> Clone for LoadHandle<T> {
    fn clone(&self) -> Self {
        LoadHandle { core: self.core.clone(), kind: PhantomData }
    }
}

impl<T: 'static> LoadHandle<T> {
    /// What was loaded (or set since), whether or not the session is there now.
    pub fn value(&self) -> Option<&T> {
        match &*self.core.state {
            Load::Ready(value) => value.downcast_ref(),
            _ => None,
        }
    }

    /// What was loaded, with the session it was loaded in, once both are there.
    pub fn ready(&self) -> Option<(&T, &SessionInfo)> {
        match &self.core.session {
            SessionState::Ready(info) => Some((self.value()?, info)),
            _ => None,
        }
    }

    /// Replaces what the page shows (the answer of a change).
    pub fn set(&self, value: T) {
        self.core.state.set(Load::Ready(Rc::new(value)));
    }

    /// The page cannot go on: it shows why (with "Try again" when that can help).
    pub fn fail(&self, err: H5Error) {
        self.core.state.set(Load::Failed(err));
    }

    /// To the login page, which comes back here afterwards.
    pub fn to_login(&self) {
        self.core.to_login();
    }

    /// Fetches again, keeping what is shown until the answer comes.
    pub fn reload(&self) {
        self.core.reload.set(self.core.reload.wrapping_add(1));
    }

    /// What a failed change does besides showing its error: `login_required` goes to
    /// the login page (`false`: nothing to show); a stale CSRF token fetches the
    /// session again (to login if nobody is logged in any more).
    pub fn after_error(&self, err: &H5Error) -> bool {
        self.core.after_error(err)
    }

    /// The page while it is not ready: grey blocks, "Redirecting…", or the failure.
    pub fn pending(&self, t: &'static Texts, page: Pending<'_>) -> Html {
        self.core.pending(t, page)
    }
}

impl Core {
    fn to_login(&self) {
        go_to_login();
        self.state.set(Load::Redirecting);
    }

    fn after_error(&self, err: &H5Error) -> bool {
        match err.error.as_str() {
            api::LOGIN_REQUIRED => {
                self.to_login();
                false
            }
            api::CSRF => {
                session::reload(&self.ctx);
                true
            }
            _ => true,
        }
    }

    fn pending(&self, t: &'static Texts, page: Pending<'_>) -> Html {
        let (failed, redirecting) = match &*self.state {
            Load::Failed(err) => (Some(err), false),
            Load::Redirecting => (None, true),
            _ => (None, false),
        };
        let on_retry = failed.filter(|err| api::is_retryable(err)).map(|_| {
            let this = self.clone();
            Callback::from(move |_: MouseEvent| {
                this.state.set(Load::Loading);
                session::retry(&this.ctx, &this.reload);
            })
        });
        pending_view(t, page, failed, redirecting, on_retry)
    }
}

/// [`LoadHandle::pending`] without the page's type (in the bundle once).
fn pending_view(
    t: &'static Texts,
    page: Pending<'_>,
    failed: Option<&H5Error>,
    redirecting: bool,
    on_retry: Option<Callback<MouseEvent>>,
) -> Html {
    if let Some(err) = failed {
        return html! {
            <main>
                <h1>{ page.error_title.to_owned() }</h1>
                { load_failed(t, page.error_id, (page.message)(t, err), on_retry) }
            </main>
        };
    }
    if redirecting {
        return html! { <main>{ busy_line(t.redirecting) }</main> };
    }
    html! {
        <main>
            if let Some(title) = page.title {
                <h1>{ title.to_owned() }</h1>
            }
            { loading(t, page.blocks) }
        </main>
    }
}

/// Loads what a page shows with `fetch()` once the session is there with a logged-in
/// user, again whenever `key` (what the page shows: an order id…) or the session
/// change, and on "Try again".
#[hook]
pub fn use_load<T, F, Fut>(key: AttrValue, fetch: F) -> LoadHandle<T>
where
    T: 'static,
    F: FnOnce() -> Fut + 'static,
    Fut: Future<Output = Result<T, H5Error>> + 'static,
{
    let fetch = Box::new(move || -> Fetch { Box::pin(async move { Ok(Rc::new(fetch().await?) as Value) }) });
    LoadHandle { core: use_core(key, fetch), kind: PhantomData }
}

#[hook]
fn use_core(key: AttrValue, fetch: Box<dyn FnOnce() -> Fetch>) -> Core {
    let ctx = use_context::<SessionContext>();
    let session = session::current(&ctx);
    let state = use_state(|| Load::Loading);
    let reload = use_state(|| 0u32);
    {
        let state = state.clone();
        use_effect_with((session.clone(), *reload, key), move |(session, _, _)| match session {
            SessionState::Loading => {}
            SessionState::Failed(err) => state.set(Load::Failed(err.clone())),
            SessionState::Ready(info) if info.user.is_none() => {
                state.set(Load::Redirecting);
                go_to_login();
            }
            SessionState::Ready(_) => {
                let call = fetch();
                wasm_bindgen_futures::spawn_local(async move {
                    state.set(match call.await {
                        Ok(value) => Load::Ready(value),
                        Err(err) if err.error == api::LOGIN_REQUIRED => {
                            go_to_login();
                            Load::Redirecting
                        }
                        Err(err) => Load::Failed(err),
                    });
                });
            }
        });
    }
    Core { state, reload, ctx, session }
}
