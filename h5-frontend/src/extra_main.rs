//! Entry point of the H5's extra bundle (ADR 0017), built by Trunk from `extra.html`
//! into `dist/extra/`. Empty on native targets, like `main.rs`.

#[cfg(target_arch = "wasm32")]
fn main() {
    h5_frontend::start_extra();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
