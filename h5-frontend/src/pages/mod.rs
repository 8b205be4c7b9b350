//! One file per page.

pub mod apps;
pub mod authorize;
pub mod error;
pub mod login;
pub mod status;
