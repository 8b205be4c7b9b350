//! "Authorized apps" (SPEC §5.8): the apps the user let in, each revocable at once.

use std::future::Future;
use std::pin::Pin;

use opengate_shared::h5api::{GrantView, H5Error};
use yew::prelude::*;

use crate::api;
use crate::app::Route;
use crate::components::{Alert, Busy, LoadFailed, Loading, NavLink};
use crate::i18n::{use_texts, Notice};
use crate::nav::go_to_login;
use crate::session::{self, SessionContext, SessionState};

/// The grey blocks while loading: who is logged in, and the list.
const LOADING: &[&str] = &["sk-whoami", "sk-apps"];

/// One POST of this page; `Ok(true)` when the browser is leaving the page.
type Action = Pin<Box<dyn Future<Output = Result<bool, H5Error>>>>;

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Loading,
    Redirecting,
    List(Vec<GrantView>),
    Failed(H5Error),
}

fn is_login_required(err: &H5Error) -> bool {
    err.error == api::LOGIN_REQUIRED
}

#[function_component(AppsPage)]
pub fn apps_page() -> Html {
    let t = use_texts();
    let ctx = use_context::<SessionContext>();
    let state = session::current(&ctx);
    let phase = use_state(|| Phase::Loading);
    // Bumped after a revoke to load the list again.
    let reload = use_state(|| 0u32);
    let error = use_state(|| None::<Notice>);
    // The app being revoked, or "" while logging out: every button waits meanwhile.
    let busy = use_state(|| None::<String>);
    let in_flight = use_mut_ref(|| false);

    {
        let phase = phase.clone();
        use_effect_with((state.clone(), *reload), move |(state, _)| match state {
            SessionState::Loading => {}
            SessionState::Failed(err) => phase.set(Phase::Failed(err.clone())),
            SessionState::Ready(info) if info.user.is_none() => {
                phase.set(Phase::Redirecting);
                go_to_login();
            }
            SessionState::Ready(_) => wasm_bindgen_futures::spawn_local(async move {
                phase.set(match api::grants().await {
                    Ok(grants) => Phase::List(grants),
                    Err(err) if is_login_required(&err) => {
                        go_to_login();
                        Phase::Redirecting
                    }
                    Err(err) => Phase::Failed(err),
                });
            }),
        });
    }

    let (grants, info) = match (&*phase, &state) {
        (Phase::List(grants), SessionState::Ready(info)) => (grants, info),
        (Phase::Failed(err), _) => {
            let on_retry = api::is_retryable(err).then(|| {
                let (ctx, phase, reload) = (ctx.clone(), phase.clone(), reload.clone());
                Callback::from(move |_: MouseEvent| {
                    phase.set(Phase::Loading);
                    session::retry(&ctx, &reload);
                })
            });
            return html! {
                <main>
                    <h1>{ t.apps_title }</h1>
                    <LoadFailed id="apps-error" message={t.error_text(err)} {on_retry} />
                </main>
            };
        }
        (Phase::Redirecting, _) => return html! { <main><Busy text={t.redirecting} /></main> },
        _ => return html! { <main><h1>{ t.apps_title }</h1><Loading blocks={LOADING} /></main> },
    };
    let csrf = info.csrf_token.clone();

    // Runs one POST with every button disabled until it is done.
    let run = {
        let (ctx, error, busy, in_flight) = (ctx.clone(), error.clone(), busy.clone(), in_flight.clone());
        move |key: String, call: Action| {
            if *in_flight.borrow() {
                return;
            }
            *in_flight.borrow_mut() = true;
            busy.set(Some(key));
            error.set(None);
            let (ctx, error, busy, in_flight) = (ctx.clone(), error.clone(), busy.clone(), in_flight.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = call.await;
                if matches!(result, Ok(true)) {
                    return;
                }
                *in_flight.borrow_mut() = false;
                busy.set(None);
                match result {
                    Ok(_) => {}
                    Err(err) if is_login_required(&err) => go_to_login(),
                    Err(err) => {
                        if err.error == api::CSRF {
                            // The session ended meanwhile: fetch it again (to login if
                            // nobody is logged in any more).
                            session::reload(&ctx);
                        }
                        error.set(Some(err.into()));
                    }
                }
            });
        }
    };

    let rows = grants.iter().map(|grant| {
        let onclick = {
            let (run, csrf, reload, app_id) = (run.clone(), csrf.clone(), reload.clone(), grant.app_id.clone());
            Callback::from(move |_: MouseEvent| {
                let (csrf, reload, id) = (csrf.clone(), reload.clone(), app_id.clone());
                run(
                    app_id.clone(),
                    Box::pin(async move {
                        api::revoke(&csrf, &id).await?;
                        reload.set(*reload + 1);
                        Ok(false)
                    }),
                );
            })
        };
        let revoking = busy.as_deref() == Some(grant.app_id.as_str());
        html! {
            <li class="grant" data-app-id={grant.app_id.clone()}>
                if let Some(logo) = &grant.logo_url {
                    <img class="app-logo small" src={logo.clone()} alt={grant.app_name.clone()} width="40" height="40" />
                }
                <div class="grant-text">
                    <span class="grant-name">{ grant.app_name.clone() }</span>
                    <span class="grant-scopes">{ grant.scopes.join(" ") }</span>
                    <span class="muted grant-date">{ t.granted_on(grant.granted_at) }</span>
                </div>
                <button type="button" class="revoke secondary" disabled={busy.is_some()} aria-busy={revoking.to_string()}
                    aria-label={t.apps_revoke_app.replace("{app}", &grant.app_name)} {onclick}>{ t.apps_revoke }</button>
            </li>
        }
    });

    let on_logout = {
        let (run, csrf) = (run.clone(), csrf.clone());
        Callback::from(move |_: MouseEvent| {
            let csrf = csrf.clone();
            run(
                String::new(),
                Box::pin(async move {
                    api::logout(&csrf).await?;
                    go_to_login();
                    Ok(true)
                }),
            );
        })
    };

    let who = info.user.as_ref().map(|u| t.logged_in(&u.nickname, &u.account));
    html! {
        <main>
            <h1>{ t.apps_title }</h1>
            if let Some(who) = who {
                <p class="muted whoami">{ who }</p>
            }
            <section class="card">
                <p class="muted">{ t.apps_intro }</p>
                if grants.is_empty() {
                    <p id="no-grants">{ t.apps_none }</p>
                } else {
                    <ul class="grants">{ for rows }</ul>
                }
                <Alert id="apps-error" message={error.as_ref().map(|n| AttrValue::from(t.notice(n)))} />
            </section>
            <div class="actions">
                <NavLink id="nav-account" to={Route::Account} text={t.nav_account} />
                <button id="logout" type="button" class="secondary" disabled={busy.is_some()} onclick={on_logout}>
                    { t.apps_logout }
                </button>
            </div>
        </main>
    }
}
