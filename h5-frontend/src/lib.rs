#![cfg(target_arch = "wasm32")]
//! The OpenGate H5 app: mobile pages users see inside a partner's webview.

pub fn start() {}
