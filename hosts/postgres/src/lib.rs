//! Several servers, one log: a groupgate account replicated through
//! PostgreSQL (R33).
//!
//! Each account has one agreed order of events, a table of events with a
//! gap-free sequence ([`log`]). A server ([`server`]) appends each
//! request's event, applies the log in order up to it, and answers with
//! what that event did; it follows what other servers append, appends
//! `advance` events when a deadline (R26) is due, and keeps saved accounts
//! (R32) in the database to start from. Every server holds the same
//! account, since the engine is deterministic (R25): a claim race is
//! decided by the log's order, and the rules that take chats away or give
//! them (R14, R27–R30) need no database code of their own. The binary
//! `groupgate-server` runs one; the fault test (`tests/fault.rs`) runs
//! several, kills one and restarts PostgreSQL under load.

pub mod db;
pub mod log;
pub mod proto;
pub mod server;

/// What can go wrong talking to the database or reading what it stores.
#[derive(Debug)]
pub enum HostError {
    /// The database cannot be reached now (connecting failed, or the
    /// connection broke and the retry waits out its backoff).
    Unavailable(String),
    /// The database refused or failed a statement.
    Db(postgres::Error),
    /// A connection string that does not parse.
    Config(String),
    /// What the database stores does not read back or does not apply.
    Stored(String),
}

impl From<postgres::Error> for HostError {
    fn from(e: postgres::Error) -> Self {
        HostError::Db(e)
    }
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostError::Unavailable(why) => f.write_str(why),
            HostError::Db(e) => write!(f, "database: {e}"),
            HostError::Config(e) => write!(f, "connection string: {e}"),
            HostError::Stored(e) => write!(f, "stored log: {e}"),
        }
    }
}

impl std::error::Error for HostError {}
