#![cfg(target_arch = "wasm32")]
//! The OpenGate H5 app: mobile pages users see inside a partner's webview. It talks
//! only to the platform's own endpoints and holds no secret of any kind.

pub mod api;
pub mod app;
pub mod clock;
pub mod components;
pub mod extra;
pub mod i18n;
pub mod load;
pub mod nav;
pub mod pages;
pub mod session;

/// Mounts the first-load bundle's app on `<body>`.
pub fn start() {
    app::remember_loaded_address();
    yew::Renderer::<app::App>::new().render();
}

/// Mounts the extra bundle's app (the developer console, the payment history).
pub fn start_extra() {
    app::set_running_extra();
    app::remember_loaded_address();
    yew::Renderer::<app::ExtraApp>::new().render();
}
