//! Partner SDK for OpenGate (SPEC §4–§9): a [`Client`] that signs every `/open/v1`
//! request with the platform's one signing definition (`opengate_shared::signing`)
//! and returns typed results, an [`AuthorizeUrl`] builder for "Log in with OpenGate"
//! (state + PKCE S256), and a [`NotificationVerifier`] for the Standard Webhooks
//! notifications the platform posts to the partner's notify URL.
//!
//! Everything here runs on the partner's **server**: the secret key and the notify
//! secret must never reach a browser or a mobile app.
//!
//! ```no_run
//! use opengate_sdk::{Client, ErrorCode};
//!
//! async fn example() -> Result<(), opengate_sdk::Error> {
//!     let og = Client::new("https://og.example", "akexample000000000000001", "Xq3v9LmT2bRk7WcYp0Hs4NfJd8GzA1eUo6KiV5tQwSx")?;
//!     let ping = og.ping().await?;
//!     println!("signed in as app {}", ping.app_id);
//!
//!     let order = og.create_order(&opengate_sdk::order("T-1001", "12.50", "PTS", "Green tea")).await?;
//!     println!("send the user to {}", order.pay_url);
//!
//!     match og.query_order("T-unknown").await {
//!         Err(e) if e.code() == Some(ErrorCode::U0303) => println!("no such order"),
//!         other => println!("{other:?}"),
//!     }
//!     Ok(())
//! }
//! ```

#![warn(missing_docs)]

mod authorize;
mod client;
mod error;
mod inbound;
mod login;
mod notify;
mod pay;

pub use authorize::{new_state, AuthorizeStart, AuthorizeUrl, Callback, CallbackError, CallbackParams, Pkce};
pub use client::Client;
pub use error::{ApiError, Error, Result};
pub use inbound::{JointLogin, LookupUser, UserFilter};
pub use login::{Balance, Introspection, TokenSet, UserInfo};
pub use notify::Event;
pub use notify::{NotificationVerifier, VerifyError};
pub use opengate_shared::error::{ErrorCode, PingData};
pub use opengate_shared::pay::{
    CreateOrder, CreateRefund, Notification, NotificationData, OrderView, RefundEventData, RefundNotification,
    RefundView,
};
pub use pay::{order, refund, ResentNotification, Statement};

/// docs/API.md's ```` ```rust ```` examples, compiled (and run, unless `no_run`) as
/// doctests of this crate, so the partner documentation cannot drift from the SDK.
#[cfg(doctest)]
#[doc = include_str!("../../docs/API.md")]
pub struct ApiMdExamples;
