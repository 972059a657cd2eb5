//! groupgate-server: groupgate accounts behind an HTTP API, many per
//! process, with PostgreSQL as the one log that several processes agree
//! through (R33). `../shared/SERVICE.md`, copied as `server/SERVICE.md`, is
//! the contract; this crate is its implementation.
//!
//! The data's trip through the crate:
//!
//! - [`db`]: the schema and every statement — accounts, their keys, the
//!   log of events with the answer each got, snapshots, the servers'
//!   heartbeats. Every table is keyed by account first and no transaction
//!   spans two accounts.
//! - [`replica`]: one account as a server holds it — a [`groupgate::Account`]
//!   and the log position it has applied — and what applying a logged event
//!   answers.
//! - [`registry`]: the accounts a process holds, loaded on first use from
//!   their newest verified snapshot and the log after it, kept in step by
//!   notifications, unloaded when idle; appending goes through here.
//! - [`leader`]: the servers' heartbeats, and for each account with a
//!   pending deadline exactly one live server that appends the `advance`
//!   event when the deadline is due by the database's clock.
//! - [`http`]: the routes of the contract, authentication, bounds.
//! - [`metrics`]: what `/metrics` reports.

pub mod db;
pub mod error;
pub mod http;
pub mod keys;
pub mod leader;
pub mod listener;
pub mod metrics;
pub mod options;
pub mod registry;
pub mod replica;
pub mod serve;
pub mod snapshots;

pub use error::{ApiError, ServerError};
pub use options::ServeOptions;
