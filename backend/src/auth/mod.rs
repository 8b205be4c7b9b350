//! Authentication of callers: partner servers by signed requests (SPEC §4).

pub mod key_cache;
pub mod nonce_batch;
pub mod partner;
pub mod rate_limit;

pub use partner::PartnerCtx;
