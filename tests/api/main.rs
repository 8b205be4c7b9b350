//! End-to-end tests: each starts the real server on 127.0.0.1:0 with a fresh database
//! (SQLite, or PostgreSQL with OPENGATE_TEST_DB=postgres) and talks HTTP to it.

mod account;
mod admin;
mod console;
mod console_statement;
mod demo_partner;
mod docs_api;
mod h5;
mod i18n_browser;
mod inbound;
mod inbound_browser;
mod inbound_pay;
mod jsonapi;
mod login;
mod login_browser;
mod oauth_std;
mod oidc;
mod oidc_browser;
mod operator_cli;
mod ops;
mod pay;
mod pay_browser;
mod pay_nodes;
mod payment_history;
mod refunds;
mod signing;
mod statements;
