//! Languages of the H5 (SPEC §7: Chinese, Korean, English). Every text a user reads is
//! a field of [`Texts`]; each language is one `const` of it, so a missing translation
//! does not compile. The language lives in a context ([`LangProvider`]); a page asks
//! for its texts with [`use_texts`] and re-renders at once when the user switches.
//!
//! Pages keep what they want to say untranslated ([`Notice`], `H5Error`) and translate
//! while rendering, so a switch changes messages already on screen too.

mod console;
mod context;
mod en;
mod format;
mod ko;
mod payments;
mod texts;
mod zh;

pub use console::ConsoleTexts;
pub use context::{use_lang, use_set_lang, use_texts, LangContext, LangProvider, LangState, LANG_STORAGE_KEY};
pub use en::EN;
pub use ko::KO;
use opengate_shared::h5api::H5Error;
pub use payments::PaymentsTexts;
pub use texts::Texts;
pub use zh::ZH;

/// A language of the H5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    Ko,
    En,
}

impl Lang {
    /// In the order the switcher shows them.
    pub const ALL: [Lang; 3] = [Lang::Zh, Lang::Ko, Lang::En];

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::Ko => &KO,
            Lang::En => &EN,
        }
    }

    /// The value of `?lang=` and of `localStorage["og_lang"]`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// The `lang` attribute of the document.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }

    /// The language's own name, as the switcher shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::Ko => "한국어",
            Lang::En => "English",
        }
    }

    /// The language of a BCP 47 tag by its primary subtag (`zh-TW`, `zh-Hans-CN` → zh,
    /// `ko-KR` → ko, `EN` → en); `None` for any other language.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL.into_iter().find(|l| primary.eq_ignore_ascii_case(l.code()))
    }

    /// The language to show: `?lang=`, else the one the user chose before, else the
    /// first of the browser's languages we have, else English.
    pub fn choose(query: Option<&str>, stored: Option<&str>, browser: &[String]) -> Lang {
        query
            .and_then(Lang::from_tag)
            .or_else(|| stored.and_then(Lang::from_tag))
            .or_else(|| browser.iter().find_map(|tag| Lang::from_tag(tag)))
            .unwrap_or(Lang::En)
    }
}

/// A check a page makes before it asks the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    LoginMissingFields,
    NoDeviceId,
    NoLoginRequest,
    PinBadShape,
    PinCurrentBad,
    PinMismatch,
    NicknameBad,
}

/// Something a page tells the user, kept untranslated in the page's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// What the server (or the network) answered.
    Error(H5Error),
    /// What the page found itself.
    Check(Check),
}

impl From<H5Error> for Notice {
    fn from(err: H5Error) -> Notice {
        Notice::Error(err)
    }
}

impl From<Check> for Notice {
    fn from(check: Check) -> Notice {
        Notice::Check(check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn tags_by_primary_subtag() {
        assert_eq!(Lang::from_tag("zh"), Some(Lang::Zh));
        assert_eq!(Lang::from_tag("zh-TW"), Some(Lang::Zh));
        assert_eq!(Lang::from_tag("zh-Hans-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_tag("ko-KR"), Some(Lang::Ko));
        assert_eq!(Lang::from_tag("EN_us"), Some(Lang::En));
        assert_eq!(Lang::from_tag("ja-JP"), None);
        assert_eq!(Lang::from_tag("zhx"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[wasm_bindgen_test]
    fn query_then_stored_then_browser_then_english() {
        let browser = vec!["fr-FR".to_owned(), "ko-KR".to_owned(), "zh-CN".to_owned()];
        assert_eq!(Lang::choose(Some("zh"), Some("en"), &browser), Lang::Zh);
        assert_eq!(Lang::choose(Some("xx"), Some("en"), &browser), Lang::En);
        assert_eq!(Lang::choose(None, None, &browser), Lang::Ko);
        assert_eq!(Lang::choose(None, Some("bogus"), &[]), Lang::En);
        assert_eq!(Lang::choose(None, None, &["de".to_owned()]), Lang::En);
    }

    #[wasm_bindgen_test]
    fn codes_and_html_langs() {
        let codes: Vec<_> = Lang::ALL.iter().map(|l| (l.code(), l.html_lang(), l.texts().lang)).collect();
        assert_eq!(codes, [("zh", "zh-CN", Lang::Zh), ("ko", "ko", Lang::Ko), ("en", "en", Lang::En)]);
    }
}
