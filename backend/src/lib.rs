//! The OpenGate platform: `Application::build(config)` → bound port → `run_until_stopped`.
//!
//! Layers by folder: `http/` (routes, error → response), `auth/` (partner request
//! signatures), `domain/` (types and rules), `storage/` (all SQL), `admin` (operator
//! use-cases), `cli` (the command line), `login/` and `pay/` (the two halves of the
//! product; `pay::settle` is where money moves), `notify/` (notification delivery
//! and outbound HTTP), `worker` (every background job).

pub mod admin;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod http;
pub mod inbound;
pub mod login;
pub mod notify;
pub mod password;
pub mod pay;
pub mod startup;
pub mod state;
pub mod storage;
pub mod worker;

pub use startup::Application;
