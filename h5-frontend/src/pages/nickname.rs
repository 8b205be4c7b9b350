//! The account page's name card (SPEC §7): the nickname apps see with the `profile`
//! scope, changed in place. The rule is `shared`'s, so the page refuses what the
//! server would refuse before sending anything.

use opengate_shared::h5api::{nickname, SetNicknameRequest, NICKNAME_MAX};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api;
use crate::components::alert;
use crate::i18n::{use_texts, Check, Notice};

#[derive(Properties, PartialEq)]
pub struct NicknameCardProps {
    pub nickname: AttrValue,
    pub account: AttrValue,
    pub csrf: AttrValue,
    /// The name as the server stored it.
    pub on_saved: Callback<String>,
}

#[function_component(NicknameCard)]
pub fn nickname_card(props: &NicknameCardProps) -> Html {
    let t = use_texts();
    let editing = use_state(|| false);
    // What the field holds: kept by input events, and read from the field again on
    // submit (autofill or a script may change it without one).
    let value = use_state(String::new);
    let input = use_node_ref();
    let error = use_state(|| None::<Notice>);
    let saved = use_state(|| false);
    let busy = use_state(|| false);

    let on_edit = {
        let (editing, value, error, saved, current) =
            (editing.clone(), value.clone(), error.clone(), saved.clone(), props.nickname.clone());
        Callback::from(move |_: MouseEvent| {
            value.set(current.to_string());
            error.set(None);
            saved.set(false);
            editing.set(true);
        })
    };
    let on_cancel = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(false))
    };
    let oninput = {
        let (value, error) = (value.clone(), error.clone());
        Callback::from(move |e: InputEvent| {
            value.set(e.target_unchecked_into::<HtmlInputElement>().value());
            error.set(None);
        })
    };
    let onsubmit = {
        let (editing, value, input, error, saved, busy) =
            (editing.clone(), value.clone(), input.clone(), error.clone(), saved.clone(), busy.clone());
        let (csrf, on_saved) = (props.csrf.clone(), props.on_saved.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let typed = input.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_else(|| (*value).clone());
            value.set(typed.clone());
            let Some(name) = nickname(&typed) else {
                error.set(Some(Check::NicknameBad.into()));
                return;
            };
            let req = SetNicknameRequest { nickname: name.to_owned() };
            busy.set(true);
            error.set(None);
            let (editing, error, saved, busy, csrf, on_saved) =
                (editing.clone(), error.clone(), saved.clone(), busy.clone(), csrf.clone(), on_saved.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = api::set_nickname(&csrf, &req).await;
                busy.set(false);
                match result {
                    Ok(answer) => {
                        editing.set(false);
                        saved.set(true);
                        on_saved.emit(answer.nickname);
                    }
                    Err(err) => error.set(Some(err.into())),
                }
            });
        })
    };

    html! {
        <section class="card account-head">
            if *editing {
                <form class="form" {onsubmit} novalidate=true>
                    <label for="nickname-input">{ t.nickname_label }</label>
                    <input id="nickname-input" name="nickname" type="text" autocomplete="nickname"
                        maxlength={NICKNAME_MAX.to_string()} value={(*value).clone()} disabled={*busy} {oninput} ref={input.clone()} />
                    { alert("nickname-error".into(), error.as_ref().map(|n| AttrValue::from(t.notice(n)))) }
                    <div class="actions">
                        <button id="nickname-save" type="submit" class="primary" disabled={*busy}>
                            { if *busy { t.pin_submitting } else { t.nickname_save } }
                        </button>
                        <button id="nickname-cancel" type="button" class="secondary" disabled={*busy} onclick={on_cancel}>
                            { t.nickname_cancel }
                        </button>
                    </div>
                </form>
            } else {
                <p id="account-nickname" class="account-nickname">{ props.nickname.clone() }</p>
                <p id="account-name" class="muted">{ props.account.clone() }</p>
                if *saved {
                    <p id="nickname-saved" class="saved" role="status">{ t.nickname_saved }</p>
                }
                <button id="nickname-edit" type="button" class="secondary" onclick={on_edit}>{ t.nickname_edit }</button>
            }
        </section>
    }
}
