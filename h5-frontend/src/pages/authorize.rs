//! Consent ("Log in with OpenGate", SPEC §5.2–5.3): shows the app and the scopes it
//! asks for; Agree or Deny sends the browser back to the partner.

use std::collections::BTreeSet;

use opengate_shared::h5api::{AuthorizeView, ConsentRequest, H5Error};
use yew::prelude::*;

use crate::api;
use crate::components::{alert, busy_line};
use crate::i18n::{use_texts, Check, Notice, Texts};
use crate::load::{use_load, LoadHandle, Pending};
use crate::nav;

/// The grey blocks while loading: the consent card.
const LOADING: &[&str] = &["sk-consent"];

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Form(AuthorizeView),
    /// The request does not exist, expired or was used (404/410), or the link has none.
    Dead(Notice),
    /// Every scope was granted before: on the way back to the app.
    Leaving,
}

/// A request that can never be answered again: the form is not shown any more.
fn is_dead(err: &H5Error) -> bool {
    matches!(err.error.as_str(), "not_found" | "expired" | "used")
}

/// Why the login link is dead, in the words of this page.
fn dead_text(t: &Texts, why: &Notice) -> String {
    match why {
        Notice::Error(err) => match err.error.as_str() {
            "not_found" => t.consent_link_invalid.to_owned(),
            "expired" => t.consent_link_expired.to_owned(),
            "used" => t.consent_link_used.to_owned(),
            _ => t.error_text(err),
        },
        other => t.notice(other),
    }
}

/// Back to the partner, unless its redirect would run a script in our origin.
fn leave(url: &str) -> Result<(), H5Error> {
    if !nav::is_safe_redirect(url) {
        return Err(H5Error::new(api::INVALID_REQUEST, "The app's redirect URI is not a web or app address."));
    }
    nav::replace(url);
    Ok(())
}

/// What a failed call does to the page: `true` when the form stays, with the error.
fn after_error(load: &LoadHandle<Phase>, err: &H5Error) -> bool {
    if is_dead(err) {
        load.set(Phase::Dead(err.clone().into()));
        false
    } else {
        load.after_error(err)
    }
}

#[function_component(AuthorizePage)]
pub fn authorize_page() -> Html {
    let t = use_texts();
    let request_id = use_memo((), |_| nav::query_param("request").filter(|r| !r.is_empty()));
    let load = {
        let request_id = request_id.clone();
        use_load(AttrValue::Static(""), move || async move {
            let Some(request_id) = (*request_id).clone() else {
                return Ok(Phase::Dead(Check::NoLoginRequest.into()));
            };
            match api::authorize_view(&request_id, nav::device_id().as_deref()).await {
                // Every scope was granted before: straight back to the app.
                Ok(AuthorizeView { redirect: Some(redirect), .. }) => {
                    leave(&redirect)?;
                    Ok(Phase::Leaving)
                }
                Ok(view) => Ok(Phase::Form(view)),
                Err(err) if is_dead(&err) => Ok(Phase::Dead(err.into())),
                Err(err) => Err(err),
            }
        })
    };
    // Optional scopes the user unticked (every scope starts ticked).
    let unticked = use_state(BTreeSet::<String>::new);
    let error = use_state(|| None::<Notice>);
    let busy = use_state(|| false);
    // Synchronous guard: a double tap must not answer the request twice.
    let in_flight = use_mut_ref(|| false);

    let view = match load.ready() {
        Some((Phase::Form(view), info)) => (view.clone(), info.csrf_token.clone(), info.user.clone()),
        Some((Phase::Dead(why), _)) => {
            return html! {
                <main>
                    <h1>{ t.consent_dead_title }</h1>
                    <section class="card">
                        { alert("consent-error".into(), Some(dead_text(t, why).into())) }
                        <p class="muted">{ t.consent_dead_hint }</p>
                    </section>
                </main>
            };
        }
        Some((Phase::Leaving, _)) => return html! { <main>{ busy_line(t.redirecting) }</main> },
        None => {
            return load.pending(
                t,
                Pending {
                    title: None,
                    error_title: t.error_title,
                    error_id: "consent-error",
                    message: Texts::error_text,
                    blocks: LOADING,
                },
            )
        }
    };
    let (view, csrf, user) = view;

    let answer = |approve: bool| {
        let (view, csrf, load, unticked, error, busy, in_flight, request_id) = (
            view.clone(),
            csrf.clone(),
            load.clone(),
            unticked.clone(),
            error.clone(),
            busy.clone(),
            in_flight.clone(),
            request_id.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(request_id) = (*request_id).clone() else { return };
            if *in_flight.borrow() {
                return;
            }
            let device_id = if view.needs_device_id {
                match nav::device_id() {
                    Some(id) => Some(id),
                    None => {
                        error.set(Some(Check::NoDeviceId.into()));
                        return;
                    }
                }
            } else {
                None
            };
            let scopes = view
                .scopes
                .iter()
                .filter(|s| s.required || !unticked.contains(&s.scope))
                .map(|s| s.scope.clone())
                .collect();
            let req = ConsentRequest { approve, scopes, device_id };
            *in_flight.borrow_mut() = true;
            busy.set(true);
            error.set(None);
            let (csrf, load, error, busy, in_flight) =
                (csrf.clone(), load.clone(), error.clone(), busy.clone(), in_flight.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::consent(&csrf, &request_id, &req).await {
                    // Buttons stay disabled: the browser is leaving for the partner.
                    Ok(answer) => {
                        if let Err(err) = leave(&answer.redirect) {
                            load.fail(err);
                        }
                    }
                    Err(err) => {
                        *in_flight.borrow_mut() = false;
                        busy.set(false);
                        if after_error(&load, &err) {
                            error.set(Some(err.into()));
                        }
                    }
                }
            });
        })
    };

    let scope_rows = view.scopes.iter().map(|item| {
        let id = format!("scope-{}", item.scope);
        let checked = item.required || !unticked.contains(&item.scope);
        let onchange = {
            let (unticked, scope) = (unticked.clone(), item.scope.clone());
            Callback::from(move |_: Event| {
                let mut next = (*unticked).clone();
                if !next.remove(&scope) {
                    next.insert(scope.clone());
                }
                unticked.set(next);
            })
        };
        html! {
            <li>
                <label class="scope-row" for={id.clone()}>
                    <input type="checkbox" id={id} name="scope" value={item.scope.clone()}
                        {checked} disabled={item.required || *busy} {onchange} />
                    <span class="scope-label">{ t.scope_label(&item.scope).to_owned() }</span>
                    if item.required {
                        <span class="scope-required">{ t.consent_required }</span>
                    }
                </label>
            </li>
        }
    });

    html! {
        <main>
            <section class="card consent">
                <div class="app-head">
                    if let Some(logo) = &view.logo_url {
                        <img class="app-logo" src={logo.clone()} alt={view.app_name.clone()} width="56" height="56" />
                    }
                    <div>
                        <h1 id="app-name">{ view.app_name.clone() }</h1>
                        <p class="muted">{ t.consent_wants }</p>
                    </div>
                </div>
                <p>{ t.consent_receives }</p>
                <ul class="scopes">{ for scope_rows }</ul>
                { alert("consent-error".into(), error.as_ref().map(|n| AttrValue::from(t.notice(n)))) }
                <div class="actions">
                    <button id="approve" type="button" class="primary" disabled={*busy} onclick={answer(true)}>
                        { t.consent_approve }
                    </button>
                    <button id="deny" type="button" class="secondary" disabled={*busy} onclick={answer(false)}>
                        { t.consent_deny }
                    </button>
                </div>
            </section>
            if let Some(user) = user {
                <p class="muted whoami-below">{ t.logged_in(&user.nickname, &user.account) }</p>
            }
        </main>
    }
}
