//! Live state that is not configuration: agent status and dashboards,
//! visitors with their tags, selections and chats.
//!
//! It lives apart from the [`Snapshot`](crate::Snapshot) so that every decision
//! is a pure function of (snapshot, state). Only the crate mutates it, through
//! [`Account`](crate::Account), which keeps it in step with the latest snapshot.

mod visitors;

use indexmap::IndexMap;
use smallvec::SmallVec;

pub(crate) use visitors::{Entry, Visitors};

use crate::ids::{AgentId, GroupId, VisitorId};
use crate::snapshot::{AgentIx, BitSet, GroupIx};

crate::config::str_enum!(
    /// An agent's presence.
    ///
    /// ```
    /// assert_eq!("away".parse::<groupgate::Status>().unwrap(), groupgate::Status::Away);
    /// ```
    Status {
        /// Available and offered chats.
        Online => "online",
        /// May claim by hand, never offered chats (R15).
        Away => "away",
        /// Neither (R11: `agent_offline`). The status of an agent nobody set.
        Offline => "offline",
    }
    default Offline
);

/// The live part of an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentLive {
    pub(crate) status: Status,
    /// The revision the agent's dashboard last loaded (R9).
    pub(crate) loaded: u64,
    /// Visitors whose chat the agent holds, in the order it came to hold them.
    pub(crate) held: SmallVec<[VisitorId; 4]>,
    /// The host clock of the agent's last assignment (R16).
    pub(crate) last_assigned: Option<u64>,
}

impl AgentLive {
    pub(crate) fn new(loaded: u64) -> Self {
        AgentLive { status: Status::Offline, loaded, held: SmallVec::new(), last_assigned: None }
    }

    /// Chats held now (R12). Saturates: a `u32` of chats cannot be exceeded in memory.
    pub(crate) fn load(&self) -> u32 {
        u32::try_from(self.held.len()).unwrap_or(u32::MAX)
    }
}

/// A visitor's open chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chat {
    pub(crate) holder: Option<AgentId>,
    /// Queue position key (R18) while routed and unheld.
    pub(crate) queued: Option<u64>,
}

/// The live part of a visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VisitorLive {
    pub(crate) id: VisitorId,
    /// R2's answer for the snapshot the state is in step with (a cache,
    /// kept by [`Visitors`]).
    pub(crate) group: Option<GroupIx>,
    pub(crate) page_tag: Option<GroupId>,
    pub(crate) selection: Option<GroupId>,
    pub(crate) moved_to: Option<GroupId>,
    pub(crate) preferred: Option<AgentId>,
    pub(crate) chat: Option<Chat>,
    /// Version of the chat state (R13); unique across the account's lifetime.
    pub(crate) version: u64,
}

/// Live state of one account. Read it through [`Account`](crate::Account).
///
/// ```
/// # use groupgate::*;
/// let mut one = Account::new(ConfigBuilder::new().build().unwrap());
/// let two = one.clone();
/// one.visit("v1".parse().unwrap(), None).unwrap();
/// assert_ne!(one.state(), two.state());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct State {
    /// In the order of the latest snapshot's agents.
    pub(crate) agents: IndexMap<AgentId, AgentLive>,
    /// In order of arrival, indexed.
    pub(crate) visitors: Visitors,
    pub(crate) counter: u64,
    /// Set when [`State::tick`] found the counter at its end: the event
    /// under way must be undone (see `Account::guarded`). Always false
    /// between events.
    pub(crate) exhausted: bool,
    /// Agents whose status is `online`, by index (an index of `agents`).
    pub(crate) online: BitSet,
}

impl State {
    /// The next value of the account's one counter: arrival numbers, chat
    /// versions and queue keys all come from it, so none ever repeats (R13).
    /// At the counter's end it returns the last value again and marks the
    /// state [`exhausted`](Self::exhausted), for the event to be undone.
    pub(crate) fn tick(&mut self) -> u64 {
        match self.counter.checked_add(1) {
            Some(next) => self.counter = next,
            None => self.exhausted = true,
        }
        self.counter
    }

    /// Whether the next event could use up the counter: fewer values are
    /// left than the most any event takes (one per visitor it creates, two
    /// per chat it closes, queues, re-queues or serves, with room to spare).
    /// O(1).
    pub(crate) fn near_counter_end(&self) -> bool {
        let most = u64::try_from(self.visitors.len()).unwrap_or(u64::MAX).saturating_mul(2).saturating_add(8);
        u64::MAX - self.counter < most
    }

    pub(crate) fn agent(&self, id: &str) -> Option<&AgentLive> {
        self.agents.get(id)
    }

    /// Sets an agent's status, keeping the online index in step. O(1).
    pub(crate) fn set_status(&mut self, ix: AgentIx, status: Status) {
        if let Some((_, a)) = self.agents.get_index_mut(ix) {
            a.status = status;
        }
        if status == Status::Online {
            self.online.insert(ix);
        } else {
            self.online.remove(ix);
        }
    }

    /// Rebuilds the online index after agents were added or removed. O(agents).
    pub(crate) fn reindex_online(&mut self) {
        self.online = BitSet::default();
        for (ix, (_, a)) in self.agents.iter().enumerate() {
            if a.status == Status::Online {
                self.online.insert(ix);
            }
        }
    }

    /// Whether the agent at `ix` is online. O(1).
    #[inline]
    pub(crate) fn is_online(&self, ix: AgentIx) -> bool {
        self.online.contains(ix)
    }

    /// The live part of the agent at `ix` of the snapshot the state is in step with. O(1).
    pub(crate) fn agent_at(&self, ix: AgentIx) -> Option<&AgentLive> {
        self.agents.get_index(ix).map(|(_, a)| a)
    }

    pub(crate) fn visitor(&self, id: &str) -> Option<&VisitorLive> {
        self.visitors.get(id)
    }
}
