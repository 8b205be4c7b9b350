//! One file per page.

pub mod status;
