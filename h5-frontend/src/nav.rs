//! The browser's address bar: reading the query string, full-page navigation, the
//! login redirect with its `next`, and the H5's own device id.

use std::fmt::Write as _;

use opengate_shared::h5api::DEVICE_ID_STORAGE_KEY;
use web_sys::UrlSearchParams;

/// Where the user lands after login when `next` is missing or not one of our pages.
pub const DEFAULT_NEXT: &str = "/h5/apps";

/// One parameter of the current page's query string.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    UrlSearchParams::new_with_str(&search).ok()?.get(name)
}

/// The current page's path and query (`/h5/authorize?request=…`).
pub fn current_path_and_query() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let path = location.pathname().unwrap_or_default();
    let search = location.search().unwrap_or_default();
    format!("{path}{search}")
}

/// Full-page navigation that does not leave the current page in the history.
pub fn replace(url: &str) {
    if let Some(window) = web_sys::window() {
        // Nothing useful to do if the browser refuses; the page stays as it is.
        let _ = window.location().replace(url);
    }
}

/// The login page that comes back to `next` afterwards.
pub fn login_url(next: &str) -> String {
    format!("/h5/login?next={}", encode_uri_component(next))
}

/// To the login page, which comes back to this page (path and query) afterwards.
pub fn go_to_login() {
    replace(&login_url(&current_path_and_query()));
}

/// Only our own pages are a valid `next` (no open redirect through the login page).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with("/h5/") && !n.contains('\\') => n,
        _ => DEFAULT_NEXT,
    }
}

/// Whether a partner's redirect may be followed: never a URL whose scheme runs code
/// in our origin (`javascript:`, `data:`, `vbscript:`), however it is spelled. Web
/// addresses and native apps' own schemes (`myapp://callback`) pass.
pub fn is_safe_redirect(url: &str) -> bool {
    // Browsers drop tabs and newlines anywhere, and controls and spaces at the ends.
    let cleaned: String = url.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let scheme = cleaned.trim_matches(|c: char| c <= ' ').split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    !matches!(scheme.as_deref(), Some("javascript" | "data" | "vbscript"))
}

/// JavaScript's `encodeURIComponent`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`
/// is percent-encoded as UTF-8.
pub fn encode_uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The device id this browser sends when the partner app gave none (SPEC §5.11):
/// kept in local storage, else made from 16 random bytes (`h5-` + 32 hex digits).
/// `None` only when the browser has no `crypto.getRandomValues`.
pub fn device_id() -> Option<String> {
    let window = web_sys::window()?;
    let storage = window.local_storage().ok().flatten();
    if let Some(Ok(Some(id))) = storage.as_ref().map(|s| s.get_item(DEVICE_ID_STORAGE_KEY)) {
        if !id.is_empty() {
            return Some(id);
        }
    }
    let mut bytes = [0u8; 16];
    window.crypto().ok()?.get_random_values_with_u8_array(&mut bytes).ok()?;
    let mut id = String::from("h5-");
    for b in bytes {
        let _ = write!(id, "{b:02x}");
    }
    if let Some(storage) = storage {
        // Private mode may refuse to store: the id then lasts for this page only.
        let _ = storage.set_item(DEVICE_ID_STORAGE_KEY, &id);
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn encodes_like_javascript() {
        assert_eq!(encode_uri_component("/h5/authorize?request=ar_1-x"), "%2Fh5%2Fauthorize%3Frequest%3Dar_1-x");
        assert_eq!(encode_uri_component("a b&c=é"), "a%20b%26c%3D%C3%A9");
    }

    #[wasm_bindgen_test]
    fn script_schemes_are_never_followed() {
        for url in ["https://shop.example/cb?code=1", "http://127.0.0.1:8081/cb", "myapp://callback?code=1", "/h5/apps"]
        {
            assert!(is_safe_redirect(url), "{url}");
        }
        for url in
            ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "VBScript:x"]
        {
            assert!(!is_safe_redirect(url), "{url}");
        }
    }

    #[wasm_bindgen_test]
    fn next_must_be_one_of_our_pages() {
        assert_eq!(safe_next(Some("/h5/authorize?request=ar_1")), "/h5/authorize?request=ar_1");
        assert_eq!(safe_next(Some("https://evil.example/h5/")), DEFAULT_NEXT);
        assert_eq!(safe_next(Some("//evil.example/h5/")), DEFAULT_NEXT);
        assert_eq!(safe_next(Some("/h5/\\evil")), DEFAULT_NEXT);
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }
}
