#![cfg(target_arch = "wasm32")]
//! The OpenGate H5 app: mobile pages users see inside a partner's webview. It talks
//! only to the platform's own endpoints and holds no secret of any kind.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod i18n;
pub mod load;
pub mod nav;
pub mod pages;
pub mod session;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
