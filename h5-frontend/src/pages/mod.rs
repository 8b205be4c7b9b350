//! One file per page.

pub mod account;
pub mod apps;
pub mod authorize;
pub mod console;
pub mod error;
pub mod login;
pub mod nickname;
pub mod pay;
pub mod payments;
pub mod status;
