//! The choice of how to pay (SPEC §6.2, §9): the OpenGate balance, or a partner
//! source's own currency at its fixed rate when the user came in through that source.

use opengate_shared::h5api::PayView;
use yew::prelude::*;

use super::money;
use crate::i18n::Texts;

/// The chosen source's code, `None` for the balance; a code the order no longer
/// offers counts as the balance.
pub fn chosen<'a>(view: &PayView, picked: Option<&'a str>) -> Option<&'a str> {
    picked.filter(|code| view.sources.iter().any(|s| s.code == *code))
}

/// One radio row per way to pay; nothing when the balance is the only way.
pub fn method_choice(
    t: &Texts,
    view: &PayView,
    chosen: Option<&str>,
    disabled: bool,
    on_pick: Callback<Option<String>>,
) -> Html {
    if view.sources.is_empty() {
        return html! {};
    }
    let row = |id: String, name: String, amount: String, code: Option<String>| {
        let checked = chosen == code.as_deref();
        let onclick = on_pick.reform(move |_: MouseEvent| code.clone());
        html! {
            <button {id} type="button" role="radio" class={classes!("method", checked.then_some("chosen"))}
                aria-checked={checked.to_string()} {disabled} {onclick}>
                <span>{ name }</span>
                <strong>{ amount }</strong>
            </button>
        }
    };
    html! {
        <section class="card pay-methods" role="radiogroup" aria-labelledby="pay-method-label">
            <p id="pay-method-label" class="muted">{ t.pay_method_label }</p>
            { row("pay-method-balance".into(), t.pay_method_balance.into(), money(&view.settle_amount, &view.settle_currency), None) }
            { for view.sources.iter().map(|s| {
                row(format!("pay-method-{}", s.code), s.name.clone(), money(&s.amount, &s.currency), Some(s.code.clone()))
            }) }
        </section>
    }
}
