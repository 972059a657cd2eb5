//! What the state records as it changes, for the account's notices (R31):
//! each method that changes a chat writes down what it did, in order, in a
//! compact form (slots and indexes of the revision the state is in step
//! with); the account turns the log into notices after the event.

use smallvec::SmallVec;

use crate::ids::AgentId;
use crate::snapshot::{AgentIx, GroupIx};

crate::config::str_enum!(
    /// Why a chat's holder lost it while the chat stays open (R31
    /// `chat_unheld`).
    ///
    /// ```
    /// assert_eq!(groupgate::Unheld::Transferred.as_str(), "transferred");
    /// ```
    Unheld {
        /// The holder did not answer in time (R27).
        Missed => "missed",
        /// The holder declined it (R27).
        Declined => "declined",
        /// The holder was offline too long (R28).
        Offline => "offline",
        /// The holder was disabled (R14).
        Disabled => "disabled",
        /// The holder was removed (R14).
        Removed => "removed",
        /// The chat was transferred to a group or to another agent (R19).
        Transferred => "transferred",
    }
    default Transferred
);

/// An agent in a note: by index in the state's agents (no reference
/// count to touch on the hot path), or by id for one a change removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    At(AgentIx),
    Gone(AgentId),
}

/// One change to a chat, as the state made it. Slots name visitors still on
/// the site when the event ends; agent indexes are the state's, which follow
/// the latest revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    /// The chat in `slot` has a new holder.
    Held { slot: u32, agent: AgentIx },
    /// The chat in `slot` entered the queue (at the back) in `group`, offered
    /// to `offered` (under broadcast).
    Queued { slot: u32, group: Option<GroupIx>, offered: Vec<AgentIx> },
    /// The holder lost the chat in `slot`, which stays open.
    Unheld { slot: u32, agent: Who, why: Unheld },
    /// The chat in `slot` was moved between groups.
    Moved { slot: u32, from: Option<GroupIx>, to: Option<GroupIx> },
    /// The open chat in `slot` was closed.
    Closed { slot: u32, agent: Option<AgentIx> },
    /// The visitor left with its chat open: closed, and its slot is gone;
    /// its id is `name` in the log's names of visitors gone.
    ClosedLeaving { name: Gone, agent: Option<AgentIx> },
    /// A visit made a new visitor, in `group` (R31 `visitor_entered`).
    Entered { slot: u32, group: Option<GroupIx> },
    /// A visitor event changed the effective group of the visitor in
    /// `slot` (R31 `visitor_moved`).
    VisitorMoved { slot: u32, from: Option<GroupIx>, to: Option<GroupIx> },
    /// The visitor whose id is `name` left the site (R31 `visitor_left`).
    Left { name: Gone },
    /// A rule changed the agent's status (R27).
    Status { agent: AgentIx, status: super::Status },
}

/// The notes of the event under way, and whose candidacy flipped during it
/// (an agent became or stopped being a candidate under some chat limit, or
/// a group opened or closed): the pages whose availability (R10) it may
/// have changed follow from it. Not part of the state's value: two states
/// are equal whatever their last events said.
#[derive(Clone)]
pub(crate) struct Log {
    pub(crate) notes: Vec<Note>,
    pub(crate) flipped: Flipped,
    /// The ids of the visitors who left during the event, one after
    /// another: their slots are gone when the notices are named. Kept
    /// between events, cleared, so that a leave allocates nothing once it
    /// has grown.
    pub(crate) gone: String,
}

impl Default for Log {
    fn default() -> Self {
        // An event removes one visitor at most: room for one id, made once,
        // so that no leave allocates.
        Log { notes: Vec::new(), flipped: Flipped::Nothing, gone: String::with_capacity(crate::ids::MAX_ID_LEN) }
    }
}

/// Where a departed visitor's id is in [`Log::gone`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gone {
    start: u32,
    end: u32,
}

impl Log {
    /// Keeps `id`, a departing visitor's, for the notes. O(its length).
    pub(crate) fn keep_gone(&mut self, id: &str) -> Gone {
        let start = self.gone.len();
        self.gone.push_str(id);
        // Ids are at most 128 bytes (R23) and an event removes one visitor.
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Gone { start: at(start), end: at(self.gone.len()) }
    }

    /// The id kept as `name`. O(1).
    pub(crate) fn gone(&self, name: Gone) -> &str {
        let (start, end) = (name.start as usize, name.end as usize);
        self.gone.get(start..end).unwrap_or_default()
    }
}

/// What flipped during the event under way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Flipped {
    /// Nothing: every page kept its availability.
    #[default]
    Nothing,
    /// These agents' candidacy (an agent at most once).
    Agents(SmallVec<[AgentIx; 4]>),
    /// Anything: a group opened or closed, or too much to tell.
    All,
}

impl Flipped {
    /// Agent `ix`'s candidacy flipped. O(agents flipped so far).
    pub(crate) fn agent(&mut self, ix: AgentIx) {
        match self {
            Flipped::Nothing => *self = Flipped::Agents(smallvec::smallvec![ix]),
            Flipped::Agents(list) if !list.contains(&ix) => list.push(ix),
            Flipped::Agents(_) | Flipped::All => {}
        }
    }

    /// Anything may have flipped.
    pub(crate) fn all(&mut self) {
        *self = Flipped::All;
    }
}

impl PartialEq for Log {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Log {}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Log")
    }
}
