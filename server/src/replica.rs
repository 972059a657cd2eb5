//! One account as a server holds it: a [`groupgate::Account`] and the log
//! number it has applied. Every server applies the same events in the same
//! order at the same times, so every server's copy is the same (R33); the
//! answer an event got when it was appended is stored with it, and a server
//! applying it later checks that it gets the same — a copy that ever
//! differs is reported and loaded again.

use groupgate::{Account, Applied, Event, TimedNotice};
use serde::{Deserialize, Serialize};

use crate::db::{AccountRow, Logged};
use crate::error::ServerError;

/// An account and how far it has applied its log.
#[derive(Debug, Clone)]
pub struct Replica {
    /// The account after event `seq`.
    pub account: Account,
    /// The last log number applied (0: none).
    pub seq: u64,
}

/// What one applied event told: its log number and its notices, for the
/// notice streams.
#[derive(Debug, Clone)]
pub struct Told {
    /// The event's log number.
    pub seq: u64,
    /// Its notices, each with its instant (R31).
    pub notices: Vec<TimedNotice>,
}

/// An event's answer: `{"seq", "at", "ok", "outcome" | "error", "notices"}`.
#[derive(Serialize)]
struct Answer<'a> {
    seq: u64,
    #[serde(flatten)]
    applied: &'a Applied,
}

/// The part of a stored answer the notice streams read.
#[derive(Deserialize)]
struct StoredNotices {
    #[serde(default)]
    notices: Vec<TimedNotice>,
}

/// One message of a notice stream: `{"seq", "at", "notice"}`.
#[derive(Serialize)]
pub struct StreamItem<'a> {
    /// The event's log number.
    pub seq: u64,
    /// The notice with its instant.
    #[serde(flatten)]
    pub notice: &'a TimedNotice,
}

/// The notices of a stored answer.
///
/// # Errors
///
/// [`ServerError::Stored`] when the answer does not read back.
pub fn stored_notices(answer: &str) -> Result<Vec<TimedNotice>, ServerError> {
    serde_json::from_str::<StoredNotices>(answer)
        .map(|s| s.notices)
        .map_err(|e| ServerError::Stored(format!("a stored answer: {e}")))
}

/// The account an account row starts from: its configuration at revision
/// 1, at its start, with each agent's status as the account file gives it.
///
/// # Errors
///
/// [`ServerError::Stored`] when the stored file does not read back or
/// validate (it did when the account was created).
pub fn initial(row: &AccountRow) -> Result<Account, ServerError> {
    let file: groupgate_scenario::AccountFile =
        serde_json::from_str(&row.initial).map_err(|e| ServerError::Stored(format!("an account file: {e}")))?;
    let config = file.builder().build().map_err(|e| ServerError::Stored(format!("an account file: {e}")))?;
    let mut account = Account::new(config, row.start);
    for agent in &file.agents {
        account
            .set_status(&agent.agent.id, agent.status)
            .map_err(|e| ServerError::Stored(format!("an account file's status: {e}")))?;
    }
    Ok(account)
}

impl Replica {
    /// The account from its start, nothing applied.
    ///
    /// # Errors
    ///
    /// As [`initial`].
    pub fn start(row: &AccountRow) -> Result<Replica, ServerError> {
        Ok(Replica { account: initial(row)?, seq: 0 })
    }

    /// Applies `event` at `at` as event number `seq` and gives its answer
    /// (JSON) and its notices.
    pub fn apply(&mut self, seq: u64, at: u64, event: &Event) -> (String, Told) {
        let applied = self.account.apply_event_at(at, event);
        let answer = serde_json::to_string(&Answer { seq, applied: &applied })
            .unwrap_or_else(|e| format!(r#"{{"seq":{seq},"ok":false,"unwritable":"{e}"}}"#));
        self.seq = seq;
        (answer, Told { seq, notices: applied.notices })
    }

    /// Applies a logged event, the next one, and checks that it answers
    /// what it answered when it was appended.
    ///
    /// # Errors
    ///
    /// [`ServerError::Stored`] when the event is not the next, does not read
    /// back, or answers differently (this copy has diverged: the caller
    /// drops it).
    pub fn apply_logged(&mut self, logged: &Logged) -> Result<Told, ServerError> {
        if logged.seq != self.seq + 1 {
            return Err(ServerError::Stored(format!("the log skips from {} to {}", self.seq, logged.seq)));
        }
        let event: Event = serde_json::from_str(&logged.body)
            .map_err(|e| ServerError::Stored(format!("event {}: {e}", logged.seq)))?;
        let (answer, told) = self.apply(logged.seq, logged.at, &event);
        if answer != logged.answer {
            crate::metrics::verification_failed("replay");
            return Err(ServerError::Stored(format!(
                "event {} answers differently here: {answer} against {}",
                logged.seq, logged.answer
            )));
        }
        Ok(told)
    }
}
