//! Login with a platform account (mobile number or e-mail + password), then back to
//! `next` when it is one of our pages.

use opengate_shared::h5api::LoginRequest;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api;
use crate::components::{alert, busy_line, load_failed, loading};
use crate::i18n::{use_texts, Check, Notice};
use crate::nav;
use crate::session::{self, SessionAction, SessionContext, SessionState};

/// The grey blocks while the session loads: the title and the form.
const LOADING: &[&str] = &["sk-title", "sk-login-form"];

fn next_page() -> String {
    nav::safe_next(nav::query_param("next").as_deref()).to_owned()
}

fn input_value(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

#[function_component(LoginPage)]
pub fn login_page() -> Html {
    let t = use_texts();
    let ctx = use_context::<SessionContext>();
    let state = session::current(&ctx);
    // A partner's link may pre-fill the account (SPEC §9: "mobile pre-filled").
    let account = use_state(|| nav::query_param("account").unwrap_or_default());
    let password = use_state(String::new);
    let error = use_state(|| None::<Notice>);
    let busy = use_state(|| false);
    // Synchronous guard: two taps before the next render must not log in twice.
    let in_flight = use_mut_ref(|| false);

    let logged_in = matches!(&state, SessionState::Ready(info) if info.user.is_some());
    use_effect_with(logged_in, |logged_in| {
        if *logged_in {
            nav::replace(&next_page());
        }
    });

    let info = match &state {
        SessionState::Loading => return html! { <main>{ loading(t, LOADING) }</main> },
        SessionState::Failed(err) => {
            let ctx = ctx.clone();
            let on_retry = api::is_retryable(err).then(|| Callback::from(move |_: MouseEvent| session::reload(&ctx)));
            return html! {
                <main>
                    <h1>{ t.login_title }</h1>
                    { load_failed(t, "login-error", t.error_text(err), on_retry) }
                </main>
            };
        }
        SessionState::Ready(info) if info.user.is_some() => {
            return html! { <main>{ busy_line(t.redirecting) }</main> };
        }
        SessionState::Ready(info) => info.clone(),
    };

    let onsubmit = {
        let (account, password, error, busy) = (account.clone(), password.clone(), error.clone(), busy.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *in_flight.borrow() {
                return;
            }
            let req = LoginRequest { account: account.trim().to_owned(), password: (*password).clone() };
            if req.account.is_empty() || req.password.is_empty() {
                error.set(Some(Check::LoginMissingFields.into()));
                return;
            }
            *in_flight.borrow_mut() = true;
            busy.set(true);
            error.set(None);
            let (csrf, ctx, error, busy, in_flight) =
                (info.csrf_token.clone(), ctx.clone(), error.clone(), busy.clone(), in_flight.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::login(&csrf, &req).await {
                    Ok(new_session) => {
                        // The CSRF token changed with the login; keep the new one.
                        if let Some(ctx) = &ctx {
                            ctx.dispatch(SessionAction::Loaded(new_session));
                        }
                        nav::replace(&next_page());
                    }
                    Err(err) => {
                        *in_flight.borrow_mut() = false;
                        busy.set(false);
                        // A stale token (the anonymous session ended): fetch a new one;
                        // the form keeps what was typed.
                        if err.error == api::CSRF {
                            session::reload(&ctx);
                        }
                        error.set(Some(err.into()));
                    }
                }
            });
        })
    };
    let on_account = {
        let account = account.clone();
        Callback::from(move |e: InputEvent| account.set(input_value(&e)))
    };
    let on_password = {
        let password = password.clone();
        Callback::from(move |e: InputEvent| password.set(input_value(&e)))
    };

    html! {
        <main>
            <h1>{ t.login_title }</h1>
            <form class="card form" {onsubmit} novalidate=true>
                <label for="account">{ t.login_account_label }</label>
                <input id="account" name="account" type="text" inputmode="email" autocomplete="username"
                    autocapitalize="off" spellcheck="false" placeholder={t.login_account_placeholder}
                    value={(*account).clone()} oninput={on_account} />
                <label for="password">{ t.login_password_label }</label>
                <input id="password" name="password" type="password" autocomplete="current-password"
                    value={(*password).clone()} oninput={on_password} />
                { alert("login-error".into(), error.as_ref().map(|n| AttrValue::from(t.notice(n)))) }
                <button id="login-submit" type="submit" class="primary" disabled={*busy}>
                    { if *busy { t.login_submitting } else { t.login_submit } }
                </button>
            </form>
        </main>
    }
}
