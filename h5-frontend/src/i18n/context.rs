//! The chosen language as a context: chosen once when the app starts, switched by the
//! user without a reload, remembered in local storage (nothing else about the user is
//! stored there), and written to `<html lang>` for screen readers and fonts.

use std::rc::Rc;

use wasm_bindgen_futures::js_sys;
use web_sys::Storage;
use yew::prelude::*;

use super::{Lang, Texts};
use crate::nav;

/// Key in the browser's local storage for the language the user chose (`zh`, `ko`,
/// `en`). Set only by a switch or by `?lang=`, never by the browser's own language.
pub const LANG_STORAGE_KEY: &str = "og_lang";

/// The current language (a reducer, so that the state type can grow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LangState {
    pub lang: Lang,
}

impl Reducible for LangState {
    type Action = Lang;

    fn reduce(self: Rc<Self>, lang: Lang) -> Rc<Self> {
        if self.lang == lang {
            self
        } else {
            Rc::new(LangState { lang })
        }
    }
}

pub type LangContext = UseReducerHandle<LangState>;

fn storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn remember(lang: Lang) {
    if let Some(storage) = storage() {
        // Private mode may refuse to store: the choice then lasts for this page only.
        let _ = storage.set_item(LANG_STORAGE_KEY, lang.code());
    }
}

/// `navigator.languages` (or `navigator.language`), most preferred first.
fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return Vec::new();
    };
    let listed: Vec<String> =
        js_sys::Array::from(&navigator.languages()).iter().filter_map(|v| v.as_string()).collect();
    if listed.is_empty() {
        navigator.language().into_iter().collect()
    } else {
        listed
    }
}

/// The language when the app starts; `?lang=` is also remembered.
fn initial_lang() -> Lang {
    if let Some(lang) = nav::query_param("lang").as_deref().and_then(Lang::from_tag) {
        remember(lang);
        return lang;
    }
    let stored = storage().and_then(|s| s.get_item(LANG_STORAGE_KEY).ok().flatten());
    Lang::choose(None, stored.as_deref(), &browser_languages())
}

fn set_document_lang(lang: Lang) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", lang.html_lang());
    }
}

#[derive(Properties, PartialEq)]
pub struct LangProviderProps {
    pub children: Html,
}

/// Chooses the language and gives it to everything inside.
#[function_component(LangProvider)]
pub fn lang_provider(props: &LangProviderProps) -> Html {
    let state = use_reducer(|| LangState { lang: initial_lang() });
    use_effect_with(state.lang, |lang| set_document_lang(*lang));
    html! {
        <ContextProvider<LangContext> context={state}>
            { props.children.clone() }
        </ContextProvider<LangContext>>
    }
}

/// The current language (English outside a provider).
#[hook]
pub fn use_lang() -> Lang {
    use_context::<LangContext>().map_or(Lang::En, |ctx| ctx.lang)
}

/// The texts of the current language (English outside a provider).
#[hook]
pub fn use_texts() -> &'static Texts {
    use_context::<LangContext>().map_or(Lang::En, |ctx| ctx.lang).texts()
}

/// Switches the language at once and remembers the choice.
#[hook]
pub fn use_set_lang() -> Callback<Lang> {
    let ctx = use_context::<LangContext>();
    Callback::from(move |lang: Lang| {
        remember(lang);
        if let Some(ctx) = &ctx {
            ctx.dispatch(lang);
        }
    })
}
