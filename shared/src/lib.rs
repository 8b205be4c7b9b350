//! Wire types and pure functions used by every side of OpenGate: the server, the
//! partner SDK, the tests and the H5 app (compiled to wasm32). Nothing here performs
//! I/O, so the same code computes a signature on a partner's server and on ours.

pub mod amount;
pub mod console;
pub mod error;
pub mod h5api;
pub mod ids;
pub mod pay;
pub mod signing;
pub mod source;
pub mod webhook;

pub use error::{ApiEnvelope, ErrorCode};
