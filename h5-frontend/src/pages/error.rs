//! The error page the server sends the browser to when an authorize link is broken
//! (unknown app, unregistered redirect URI…): such errors are never redirected to the
//! partner (SPEC §5.1). The user reads our own words; the server's English description
//! stays below, with the code, for the partner's developers.

use yew::prelude::*;

use crate::i18n::use_texts;
use crate::nav::query_param;

#[function_component(ErrorPage)]
pub fn error_page() -> Html {
    let t = use_texts();
    let code = query_param("error").filter(|c| !c.is_empty()).unwrap_or_else(|| "unknown_error".to_owned());
    let detail = query_param("error_description").filter(|d| !d.trim().is_empty());
    let message = if code == "server_error" { t.err_internal } else { t.error_generic };
    html! {
        <main>
            <h1>{ t.error_title }</h1>
            <section class="card">
                <p id="error-message" class="error" role="alert">{ message }</p>
                <p class="muted">{ format!("{}: ", t.error_code_label) }<code id="error-code">{ code }</code></p>
                if let Some(detail) = detail {
                    <p id="error-detail" class="muted" lang="en">{ detail }</p>
                }
            </section>
        </main>
    }
}
