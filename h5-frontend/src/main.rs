//! Entry point of the H5 app. On native targets this is an empty program so that
//! `cargo test --workspace` stays fast; the real app lives in `lib.rs` (wasm32 only).

#[cfg(target_arch = "wasm32")]
fn main() {
    h5_frontend::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
