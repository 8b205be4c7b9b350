//! `#redirect-uris`, `#return-hosts`, `#notify` and `#permissions`.

use yew::prelude::*;

use super::{add_form, secret_box, AddFormProps, ConfirmProps, Ctl, Secret};
use crate::api::console::Change;

/// A list of values the admin adds and removes: `list` is the section's id and the
/// API's list (`redirect-uris`, `return-hosts`), `item` the class of each row and
/// the start of the input's id, `add_id` the add button's id.
pub(super) fn list_section(
    ctl: &Ctl,
    [list, item, add_id]: [&'static str; 3],
    values: &[String],
    [title, intro, label, none]: [&'static str; 4],
) -> Html {
    let c = ctl.t.console();
    let on_add = {
        let run = ctl.run.clone();
        Callback::from(move |(value, clear): (String, Callback<()>)| {
            run.emit((Change::List { list, value, remove: false }, clear))
        })
    };
    html! {
        <section id={list} class="card">
            <h2>{ title }</h2>
            <p class="muted">{ intro }</p>
            if values.is_empty() {
                <p class="muted">{ none }</p>
            } else {
                <ul class="values">
                    { for values.iter().map(|v| ctl.value_row(item, "secondary remove", v,
                        Change::List { list, value: v.clone(), remove: true })) }
                </ul>
            }
            { add_form(AddFormProps {
                input_id: format!("{item}-input").into(),
                input_class: "",
                button_id: Some(add_id),
                button_class: "secondary",
                label,
                button_text: c.add,
                kind: if list == "redirect-uris" { "url" } else { "text" },
                value: None,
                disabled: ctl.busy(),
                busy: ctl.busy_at(list),
                on_submit: on_add,
            }) }
            { ctl.alert(list) }
        </section>
    }
}

/// The notify URL and the notify secret (rotated after an in-page question).
pub(super) fn notify_section(ctl: &Ctl) -> Html {
    let t = ctl.t;
    let c = t.console();
    let on_save = {
        let run = ctl.run.clone();
        Callback::from(move |(url, _): (String, Callback<()>)| {
            run.emit((Change::NotifyUrl((!url.is_empty()).then_some(url)), Callback::noop()))
        })
    };
    html! {
        <section id="notify" class="card">
            <h2>{ c.notify_title }</h2>
            { add_form(AddFormProps {
                input_id: "notify-url-input".into(),
                input_class: "",
                button_id: Some("notify-url-save"),
                button_class: "secondary",
                label: c.notify_url_label,
                button_text: c.save,
                kind: "url",
                value: ctl.app.notify_url.clone().map(AttrValue::from),
                disabled: ctl.busy(),
                busy: ctl.busy_at("notify-url"),
                on_submit: on_save,
            }) }
            <p class="muted">{ c.notify_url_hint }</p>
            if ctl.done.as_deref() == Some("notify-url") {
                <p id="notify-url-saved" class="saved" role="status">{ c.saved }</p>
            }
            { ctl.alert("notify-url") }
            <h3>{ c.secret_title }</h3>
            <p class="muted">{ c.secret_intro }</p>
            if let Some(until) = ctl.app.previous_secret_valid_until {
                <p id="previous-secret-until">{ c.previous_until.replace("{date}", &t.date_time(until)) }</p>
            }
            { ctl.confirm(ConfirmProps {
                key: "rotate".to_owned(),
                id: Some("rotate-secret"),
                action: None,
                text: c.rotate,
                ask: c.rotate_ask,
                confirm_text: c.rotate_confirm,
                change: Change::Rotate,
            }) }
            { ctl.alert("rotate-secret") }
            if let Some(Secret::Notify(secret)) = &ctl.secret {
                { secret_box(ctl, "new-notify-secret-box", c.new_secret_title,
                    &[(c.secret_title, "new-notify-secret", secret)], "new-notify-secret-done") }
            }
        </section>
    }
}

/// Every permission with where it stands; apply for one not granted.
pub(super) fn permissions_section(ctl: &Ctl) -> Html {
    let c = ctl.t.console();
    let rows = ctl.app.permissions.iter().map(|p| {
        let name = c.permission(&p.permission);
        let status = p.status.as_deref();
        html! {
            <li class="permission" data-permission={p.permission.clone()} data-status={status.unwrap_or("none").to_owned()}>
                <div>
                    <span class="permission-name">{ name.to_owned() }</span>
                    <span class="permission-status">
                        { c.permission_status(status).to_owned() }
                    </span>
                </div>
                if matches!(status, None | Some("refused")) {
                    { ctl.button("secondary apply", None, c.perm_apply, Some(c.perm_apply_for.replace("{name}", name)),
                        Change::Apply(p.permission.clone())) }
                }
            </li>
        }
    });
    html! {
        <section id="permissions" class="card">
            <h2>{ c.perms_title }</h2>
            <ul class="permissions">{ for rows }</ul>
            { ctl.alert("permissions") }
        </section>
    }
}
