//! The end of a payment: paid or failed (with why), and the way back to the partner.

use opengate_shared::h5api::PayResult;
use yew::prelude::*;

use crate::components::alert;
use crate::i18n::Texts;

/// The finished order: paid or failed (with why), and the way back to the partner.
pub(super) fn result_view(t: &Texts, result: &PayResult, return_to: Option<String>, error: Option<AttrValue>) -> Html {
    let paid = result.status == "paid";
    let reason = match result.fail_reason.as_deref() {
        _ if paid => None,
        Some("expired") => Some(t.pay_reason_expired),
        Some("cancelled") => Some(t.pay_reason_cancelled),
        Some("closed") => Some(t.pay_reason_closed),
        _ => None,
    };
    // A check mark or a cross.
    let icon = if paid { "M5 12.5l4.5 4.5L19 7.5" } else { "M7 7l10 10M17 7L7 17" };
    html! {
        <main class="pay">
            <section id="pay-result" class={classes!("card", "pay-result", if paid { "paid" } else { "failed" })}>
                <svg class="result-icon" viewBox="0 0 24 24" width="56" height="56" aria-hidden="true">
                    <circle cx="12" cy="12" r="11" />
                    <path d={icon} fill="none" stroke="#fff" stroke-width="2.2" stroke-linecap="round"
                        stroke-linejoin="round" />
                </svg>
                <div id="pay-status" data-status={result.status.clone()} role="status">
                    <h1>{ if paid { t.pay_paid } else { t.pay_failed } }</h1>
                    if let Some(reason) = reason {
                        <p id="pay-reason">{ reason }</p>
                    }
                </div>
                { alert("pay-error".into(), error) }
                if let Some(url) = return_to {
                    <a id="pay-return" class="button" href={url}>{ t.pay_return }</a>
                    <p class="muted">{ t.pay_returning }</p>
                } else {
                    <p id="pay-go-back" class="muted">{ t.pay_go_back }</p>
                }
            </section>
        </main>
    }
}
