//! Domain types and rules: no axum, no sqlx. Values here are valid once constructed.

pub mod app;
pub mod ip;
pub mod scope;

pub use app::{AppStatus, Permission, PermissionStatus};
pub use ip::IpRule;
pub use scope::{Scope, ScopeSet};
