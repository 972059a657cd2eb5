//! What a client and a server say to each other: one JSON object per line
//! over TCP.
//!
//! `{"event": {"id": "d1-17", "event": {"claim": {"agent": "anna", "visitor":
//! "v1"}}}}` asks for an event; the answer is `{"applied": {"seq": 42,
//! "outcome": {"ok": true, "notices": [...]}}}` — that event's own notices,
//! or its error (`"ok": false, "code": "already_claimed", ...`) — or
//! `{"unavailable": {"error": "database unavailable: ..."}}` when the
//! database could not be reached (the event may be in the log or not: send
//! it again with the same id to know).

use groupgate::{Event, Notice};
use serde::{Deserialize, Serialize};

/// A request to a server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// An event to append to the log and apply; `id` is the sender's, unique
    /// in the log: the same id again is answered from the log.
    Event {
        /// The sender's id for the event.
        id: String,
        /// The event.
        event: Event,
    },
    /// The account as this server has it once it has applied the whole log
    /// (R32), with the sequence number it is at.
    Save,
    /// Stop appending `advance` events for deadlines (before comparing
    /// servers: then nothing but clients appends).
    Pause,
}

/// What applying one event gave (R31, R33).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Whether the event succeeded.
    pub ok: bool,
    /// Its notices, the deadlines it made due included; none when it failed.
    pub notices: Vec<Notice>,
    /// Its error's code when it failed.
    pub code: Option<String>,
    /// Its error's message when it failed.
    pub message: Option<String>,
}

/// A server's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// The event is in the log at `seq` and was applied there.
    Applied {
        /// Its sequence number.
        seq: u64,
        /// What it did; `None` when the event was applied before this
        /// server last started (a retry of an old event).
        outcome: Option<Outcome>,
    },
    /// The account at `seq`, saved as JSON text.
    Saved {
        /// The log's sequence number the account is at.
        seq: u64,
        /// [`groupgate::Saved`] as JSON.
        saved: String,
    },
    /// Deadlines are no longer appended by this server.
    Paused,
    /// The database could not be reached; the event may or may not be in
    /// the log.
    Unavailable {
        /// Why.
        error: String,
    },
    /// The request was not understood, or the server cannot go on.
    Failed {
        /// Why.
        error: String,
    },
}
