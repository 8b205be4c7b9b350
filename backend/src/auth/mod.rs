//! Authentication of callers: partner servers by signed requests (SPEC §4).

pub mod partner;

pub use partner::PartnerCtx;
