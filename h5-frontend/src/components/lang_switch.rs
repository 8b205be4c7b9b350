//! The language switcher, in the footer of every page: one button per language, the
//! current one pressed. A tap switches at once (no reload) and is remembered.

use yew::prelude::*;

use crate::i18n::{use_lang, use_set_lang, use_texts, Lang};

/// `<button type="button" data-lang="zh" lang="zh-CN" aria-pressed="true">中文</button>`…
#[function_component(LangSwitch)]
pub fn lang_switch() -> Html {
    let t = use_texts();
    let current = use_lang();
    let set_lang = use_set_lang();
    let buttons = Lang::ALL.into_iter().map(|lang| {
        let set_lang = set_lang.clone();
        let pressed = lang == current;
        html! {
            <button type="button" data-lang={lang.code()} lang={lang.html_lang()}
                aria-pressed={if pressed { "true" } else { "false" }}
                onclick={Callback::from(move |_: MouseEvent| set_lang.emit(lang))}>{ lang.name() }</button>
        }
    });
    html! {
        <div class="lang-switch" role="group" aria-label={t.language_label}>{ for buttons }</div>
    }
}
