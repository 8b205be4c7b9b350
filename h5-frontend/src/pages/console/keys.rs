//! `#keys`: the app's key pairs, each with its IP bindings; a new pair's secret key is
//! shown once.

use opengate_shared::console::KeyView;
use yew::prelude::*;

use super::{add_form, secret_box, AddFormProps, ConfirmProps, Ctl, Secret, CREATE_KEY};
use crate::api::console::Change;

pub(super) fn keys_section(ctl: &Ctl) -> Html {
    let (t, app) = (ctl.t, &ctl.app);
    let c = t.console();
    let enabled = app.keys.iter().filter(|k| k.enabled).count();
    html! {
        <section id="keys" class="card">
            <h2>{ c.keys_title }</h2>
            <p id="keys-count" class="muted">{ c.keys_enabled(enabled, app.max_active_keys) }</p>
            if app.keys.is_empty() {
                <p class="muted">{ c.keys_none }</p>
            } else {
                <ul class="keys">{ for app.keys.iter().map(|key| key_item(ctl, key)) }</ul>
            }
            { ctl.alert(CREATE_KEY) }
            <button id="create-key" type="button" disabled={ctl.busy()} aria-busy={ctl.busy_at(CREATE_KEY)}
                onclick={ctl.on_click(Change::CreateKey)}>{ c.key_create }</button>
            if let Some(Secret::Key { access_key, secret_key }) = &ctl.secret {
                { secret_box(ctl, "new-secret", c.new_key_title,
                    &[(c.access_key, "new-secret-access-key", access_key), (c.secret_key, "new-secret-value", secret_key)],
                    "new-secret-done") }
            }
        </section>
    }
}

/// One key pair: state, enable/disable, delete (asked in the page), IP bindings.
fn key_item(ctl: &Ctl, key: &KeyView) -> Html {
    let t = ctl.t;
    let c = t.console();
    let ak = &key.access_key;
    let form = format!("key:{ak}");
    let (busy, busy_at) = (ctl.busy(), ctl.busy_at(&form));
    let on_add = {
        let (run, ak) = (ctl.run.clone(), ak.clone());
        Callback::from(move |(rule, clear): (String, Callback<()>)| {
            run.emit((Change::Ip { key: ak.clone(), rule, remove: false }, clear))
        })
    };
    let (action, text) = if key.enabled { ("disable", c.key_disable) } else { ("enable", c.key_enable) };
    html! {
        <li class="key" key={ak.clone()} data-key={ak.clone()} data-enabled={key.enabled.to_string()}>
            <div class="key-head">
                <code class="key-access">{ ak.clone() }</code>
                <span class={if key.enabled { "badge on" } else { "badge off" }}>
                    { if key.enabled { c.key_enabled } else { c.key_disabled } }
                </span>
            </div>
            <p class="muted">{ c.key_created.replace("{date}", &t.date(key.created_at)) }</p>
            <div class="row-actions">
                { ctl.button("secondary", Some(action), text, None, Change::Key { key: ak.clone(), action }) }
                { ctl.confirm(ConfirmProps {
                    key: format!("delete:{ak}"),
                    id: None,
                    action: Some("delete"),
                    text: c.key_delete,
                    ask: c.key_delete_ask,
                    confirm_text: c.key_delete_confirm,
                    change: Change::Key { key: ak.clone(), action: "delete" },
                }) }
            </div>
            <h3>{ c.ip_title }</h3>
            if key.ip_bindings.is_empty() {
                <p class="muted ip-none">{ c.ip_none }</p>
            } else {
                <ul class="values">
                    { for key.ip_bindings.iter().map(|rule| ctl.value_row("ip", "secondary ip-remove", rule,
                        Change::Ip { key: ak.clone(), rule: rule.clone(), remove: true })) }
                </ul>
            }
            { add_form(AddFormProps {
                input_id: format!("ip-input-{ak}").into(),
                input_class: "ip-input",
                button_id: None,
                button_class: "ip-add secondary",
                label: c.ip_label,
                button_text: c.add,
                kind: "text",
                value: None,
                disabled: busy,
                busy: busy_at,
                on_submit: on_add,
            }) }
            { ctl.alert(&form) }
        </li>
    }
}
