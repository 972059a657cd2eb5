//! Why a saved account failed to load as inconsistent (R32): which check,
//! about which agent or visitor, as data a host can act on — and a message
//! for people.

crate::config::str_enum!(
    /// The consistency check of [`Account::from_saved`](crate::Account::from_saved)
    /// (R32) that a saved account failed. Names are stable snake_case.
    ///
    /// ```
    /// assert_eq!(groupgate::CorruptCheck::HeldAndQueued.as_str(), "held_and_queued");
    /// ```
    CorruptCheck {
        /// A shown revision is not older than the latest.
        RevisionNotOlder => "revision_not_older",
        /// A revision is saved twice.
        RevisionTwice => "revision_twice",
        /// The agents are not the configuration's, in its order.
        AgentsMismatch => "agents_mismatch",
        /// An agent's dashboard shows a revision that is not saved.
        RevisionNotSaved => "revision_not_saved",
        /// A revision is saved that no dashboard shows.
        RevisionNotShown => "revision_not_shown",
        /// An arrival number or version is not below the counter (`next`).
        NotBelowNext => "not_below_next",
        /// Visitors are out of arrival order.
        ArrivalOrder => "arrival_order",
        /// A visitor is saved twice.
        VisitorTwice => "visitor_twice",
        /// A chat's holder is no agent.
        HolderUnknown => "holder_unknown",
        /// A chat is both held and queued.
        HeldAndQueued => "held_and_queued",
        /// A wait starts before the chat entered the queue, or after the clock.
        WaitOutOfRange => "wait_out_of_range",
        /// A chat is answered but nobody holds it.
        AnsweredUnheld => "answered_unheld",
        /// A missed list without an open chat.
        MissedWithoutChat => "missed_without_chat",
        /// An agent on a missed list is no agent.
        MissedUnknown => "missed_unknown",
        /// An agent is twice on one missed list.
        MissedTwice => "missed_twice",
        /// More visitors than an account holds.
        TooManyVisitors => "too_many_visitors",
        /// A waiting chat's overflow instant (R29) is not after the clock.
        OverflowNotAfterClock => "overflow_not_after_clock",
        /// A deadline is not after the clock.
        DeadlineNotAfterClock => "deadline_not_after_clock",
        /// Deadlines are out of order.
        DeadlineOrder => "deadline_order",
        /// A deadline falls after 2^53 − 1 ms, which is never reached (R26).
        DeadlinePastEnd => "deadline_past_end",
        /// An answer deadline for a chat that is not held unanswered.
        AnswerDeadlineWithoutChat => "answer_deadline_without_chat",
        /// Two answer deadlines for one chat.
        AnswerDeadlineTwice => "answer_deadline_twice",
        /// An offline deadline for an agent that is not offline.
        OfflineDeadlineNotOffline => "offline_deadline_not_offline",
        /// Two offline deadlines for one agent.
        OfflineDeadlineTwice => "offline_deadline_twice",
    }
    default AgentsMismatch
);

/// A saved account that contradicts itself ([`LoadError::Corrupt`](crate::LoadError::Corrupt)):
/// which check failed, the agent or visitor it concerns when there is one
/// (its id as saved), and a message naming what.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, CorruptCheck, LoadError, Status};
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
/// account.set_status("anna", Status::Online).unwrap();
/// account.visit("v1", None).unwrap();
/// account.claim("anna", "v1").unwrap();
/// let mut saved = account.save();
/// saved.visitors[0].holder = Some("zoe".parse().unwrap());
/// let Err(LoadError::Corrupt(why)) = Account::from_saved(saved) else { panic!("loaded") };
/// assert_eq!((why.check(), why.id()), (CorruptCheck::HolderUnknown, Some("v1")));
/// assert_eq!(why.to_string(), "visitor `v1` is held by `zoe`, which is no agent");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Corruption {
    check: CorruptCheck,
    id: Option<String>,
    message: String,
}

impl Corruption {
    pub(super) fn new(check: CorruptCheck, id: Option<&str>, message: String) -> Self {
        Corruption { check, id: id.map(str::to_string), message }
    }

    /// The check that failed.
    pub fn check(&self) -> CorruptCheck {
        self.check
    }

    /// The agent or visitor it concerns, as saved; `None` for a check about
    /// revisions, the agents' list, the counter or the clock alone.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}
