//! The 6-digit payment PIN pad: dots for the digits entered, a 3×4 grid of big keys,
//! and the keyboard (digits, Backspace) while the pad is on screen. It holds no digit
//! itself: the page owns the PIN and is told about every key.

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use yew::prelude::*;

use crate::i18n::use_texts;

/// Digits in a payment PIN.
pub const PIN_LEN: usize = 6;

/// One key press on the pad or the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinKey {
    /// An ASCII digit, `b'0'..=b'9'`.
    Digit(u8),
    Back,
}

impl PinKey {
    /// The pad key of a keyboard key (`KeyboardEvent.key`), if it is one.
    fn from_key(key: &str) -> Option<PinKey> {
        match key.as_bytes() {
            [d] if d.is_ascii_digit() => Some(PinKey::Digit(*d)),
            b"Backspace" | b"Delete" => Some(PinKey::Back),
            _ => None,
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct PinPadProps {
    /// How many digits are entered (the dots to fill).
    pub filled: usize,
    /// Keys (and the keyboard) do nothing while a request is running.
    pub disabled: bool,
    pub on_key: Callback<PinKey>,
}

#[function_component(PinPad)]
pub fn pin_pad(props: &PinPadProps) -> Html {
    let t = use_texts();
    // The document listener lives as long as the pad; it reads the latest props here.
    let latest = use_mut_ref(|| (props.on_key.clone(), props.disabled));
    *latest.borrow_mut() = (props.on_key.clone(), props.disabled);
    use_effect_with((), move |_| {
        let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
            EventListener::new_with_options(
                &document,
                "keydown",
                EventListenerOptions::enable_prevent_default(),
                move |event| {
                    let Some(e) = event.dyn_ref::<KeyboardEvent>() else { return };
                    if e.ctrl_key() || e.meta_key() || e.alt_key() {
                        return;
                    }
                    let Some(key) = PinKey::from_key(&e.key()) else { return };
                    // Backspace must not navigate back in old webviews.
                    e.prevent_default();
                    let (on_key, disabled) = latest.borrow().clone();
                    if !disabled {
                        on_key.emit(key);
                    }
                },
            )
        });
        move || drop(listener)
    });

    let filled = props.filled.min(PIN_LEN);
    let dots = (0..PIN_LEN)
        .map(|i| html! { <span class={classes!("dot", (i < filled).then_some("filled"))} aria-hidden="true"></span> });
    let key = |d: u8| {
        let on_key = props.on_key.clone();
        let label = char::from(d).to_string();
        html! {
            <button type="button" class="pin-key" data-key={label.clone()} disabled={props.disabled}
                onclick={Callback::from(move |_: MouseEvent| on_key.emit(PinKey::Digit(d)))}>{ label }</button>
        }
    };
    let on_back = {
        let on_key = props.on_key.clone();
        Callback::from(move |_: MouseEvent| on_key.emit(PinKey::Back))
    };
    html! {
        <div class="pin-pad">
            <p class="pin-prompt" id="pin-prompt">{ t.pay_pin_prompt }</p>
            // The dots are for the eye; a screen reader hears "3 of 6 digits entered".
            <div id="pin-dots" class="pin-dots" role="status">
                { for dots }<span class="visually-hidden">{ t.pin_entered(filled) }</span>
            </div>
            <div class="pin-keys" role="group" aria-label={t.pay_pin_pad}>
                { for (b'1'..=b'9').map(key) }
                <span class="pin-blank" aria-hidden="true"></span>
                { key(b'0') }
                <button id="pin-back" type="button" class="pin-back" aria-label={t.pay_key_delete}
                    disabled={props.disabled} onclick={on_back}>
                    <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
                        <path d="M9 5h11v14H9l-6-7zM12 9l6 6M18 9l-6 6" fill="none" stroke="currentColor"
                            stroke-width="2" stroke-linejoin="round" stroke-linecap="round" />
                    </svg>
                </button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::PinKey;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn keyboard_keys_of_the_pad() {
        assert_eq!(PinKey::from_key("7"), Some(PinKey::Digit(b'7')));
        assert_eq!(PinKey::from_key("Backspace"), Some(PinKey::Back));
        assert_eq!(PinKey::from_key("a"), None);
        assert_eq!(PinKey::from_key("Enter"), None);
        assert_eq!(PinKey::from_key("١"), None);
    }
}
