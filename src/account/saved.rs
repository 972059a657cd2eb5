//! Saving and loading an account (R32).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Account, CorruptCheck, Corruption, notices};
use crate::config::Config;
use crate::decide::{group, refresh};
use crate::error::{ErrorCode, ErrorKind};
use crate::ids::{AgentId, GroupId, VisitorId};
use crate::snapshot::Snapshot;
use crate::state::{Restored, State, Status, Wait};

/// The format version [`Account::save`] writes and [`Account::from_saved`] reads.
pub const SAVED_FORMAT: u32 = 1;

/// A saved account (R32): everything that decides later answers, as plain
/// data — the latest configuration and every older revision a dashboard
/// still shows, agents' statuses, dashboards and last assignments, the
/// visitors in arrival order with their tags, preferred agents, chats and
/// versions, the queue with its entry and wait times, the clock, the
/// pending deadlines and the counter.
///
/// With the `serde` feature it has a serde form (JSON in the tests; any
/// serde format works); fields with their default values are left out, so
/// a browsing visitor is `{"id": "v1", "arrival": 7, "page_tag": "en"}`.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, Status};
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
/// account.set_status("anna", Status::Online).unwrap();
/// account.visit("v1", None).unwrap();
/// account.claim("anna", "v1").unwrap();
/// let loaded = Account::from_saved(account.save()).unwrap();
/// assert_eq!(loaded, account);
/// assert_eq!(loaded.holder("v1").unwrap(), "anna");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct Saved {
    /// [`SAVED_FORMAT`] when written.
    pub format: u32,
    /// The latest revision's number.
    pub revision: u64,
    /// The latest revision's configuration.
    pub config: Config,
    /// Older revisions some agent's dashboard still shows (R9).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub shown: Vec<SavedRevision>,
    /// The clock (R16).
    pub clock: u64,
    /// The next value of the account's counter: every arrival number and
    /// version is below it (R13).
    pub next: u64,
    /// The agents, in configuration order.
    pub agents: Vec<SavedAgent>,
    /// The visitors on the site, in order of arrival.
    pub visitors: Vec<SavedVisitor>,
    /// The pending deadlines (R26) in the order they will be processed:
    /// by time, those due together in the order they were set. Overflow
    /// instants (R29) are not listed: they follow from the waits and the
    /// groups' settings.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub deadlines: Vec<SavedDeadline>,
}

/// A pending deadline (R26). Serde: `{"answer": {"at": 30000, "visitor":
/// "v1"}}` or `{"offline": {"at": 60000, "agent": "anna"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", deny_unknown_fields))]
#[non_exhaustive]
pub enum SavedDeadline {
    /// The visitor's chat, held and unanswered, is missed at `at` unless
    /// answered before (R27).
    Answer {
        /// When.
        at: u64,
        /// Whose chat.
        visitor: VisitorId,
    },
    /// The offline agent's chats go back to the queue at `at` unless its
    /// status changes before (R28).
    Offline {
        /// When.
        at: u64,
        /// The agent.
        agent: AgentId,
    },
}

impl SavedDeadline {
    /// When it is due.
    pub fn at(&self) -> u64 {
        match self {
            SavedDeadline::Answer { at, .. } | SavedDeadline::Offline { at, .. } => *at,
        }
    }
}

/// An older revision a dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct SavedRevision {
    /// Its number.
    pub revision: u64,
    /// Its configuration.
    pub config: Config,
}

/// An agent's live part.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct SavedAgent {
    /// The agent.
    pub id: AgentId,
    /// Its status.
    pub status: Status,
    /// The revision its dashboard shows (R9).
    pub loaded: u64,
    /// The clock of its last assignment (R16).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub last_assigned: Option<u64>,
}

/// A visitor on the site.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct SavedVisitor {
    /// The visitor.
    pub id: VisitorId,
    /// Its arrival number.
    pub arrival: u64,
    /// Its page's group code.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub page_tag: Option<GroupId>,
    /// Its contact-form selection.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub selection: Option<GroupId>,
    /// Where its chat was moved.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub moved_to: Option<GroupId>,
    /// Its last agent (R15).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub preferred: Option<AgentId>,
    /// The agent holding its chat.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub holder: Option<AgentId>,
    /// Its chat's wait, while the chat waits (R18, R29).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub queued: Option<SavedWait>,
    /// Whether the holder answered its chat (R27).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub answered: bool,
    /// Its chat's missed list (R27), in the order agents joined it.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub missed: Vec<AgentId>,
    /// Its chat state's version (R13), when a chat event gave it one; else
    /// the arrival number.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub version: Option<u64>,
}

/// A waiting chat's times. Serde: `{"entered": 5000, "since": 65000}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct SavedWait {
    /// When it last entered the queue: its place, with the visitor's
    /// arrival (R18).
    pub entered: u64,
    /// When its wait in its current group started: entering the queue or
    /// its last overflow move (R29).
    pub since: u64,
}

impl SavedWait {
    /// A wait that entered the queue at `entered` and started in its group
    /// at `since`.
    pub fn new(entered: u64, since: u64) -> Self {
        SavedWait { entered, since }
    }
}

/// Why a saved account was not loaded. Nothing was loaded.
///
/// ```
/// use groupgate::{Account, ConfigBuilder, ErrorCode, LoadError};
/// let mut saved = Account::new(ConfigBuilder::new().build().unwrap(), 0).save();
/// saved.format = 99;
/// let err = Account::from_saved(saved).unwrap_err();
/// assert_eq!((err.code(), err.to_string().as_str()), ("unsupported_version", "saved account format 99, this library reads 1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A format this library does not read.
    #[error("saved account format {0}, this library reads {SAVED_FORMAT}")]
    UnsupportedVersion(u32),
    /// The saved account contradicts itself: which check failed, for which
    /// agent or visitor, and a message naming what.
    #[error("corrupt saved account: {0}")]
    Corrupt(Corruption),
}

/// `unsupported_version` (kind invalid) or `corrupt_state` (kind invalid).
impl ErrorCode for LoadError {
    fn code(&self) -> &'static str {
        match self {
            LoadError::UnsupportedVersion(_) => "unsupported_version",
            LoadError::Corrupt(_) => "corrupt_state",
        }
    }

    fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

fn corrupt(check: CorruptCheck, id: Option<&str>, what: String) -> LoadError {
    LoadError::Corrupt(Corruption::new(check, id, what))
}

impl Account {
    /// Saves the account (R32). [`from_saved`](Self::from_saved) gives back an equal
    /// account that answers every query and every later event alike.
    /// Visitor and agent keys are not saved: make new ones after loading.
    ///
    /// Cost: O(visitors · log groups + configuration).
    pub fn save(&self) -> Saved {
        let state = &self.state;
        let shown = self
            .loaded
            .iter()
            .map(|(rev, snap)| SavedRevision { revision: *rev, config: snap.config().clone() })
            .collect();
        let agents = state
            .agents()
            .map(|(id, a)| SavedAgent {
                id: id.clone(),
                status: a.status(),
                loaded: a.loaded(),
                last_assigned: a.last_assigned(),
            })
            .collect();
        let visitors = state
            .visitors()
            .in_order()
            .map(|v| SavedVisitor {
                id: VisitorId::stored(v.id),
                arrival: v.arrival,
                page_tag: v.tags.page_tag.cloned(),
                selection: v.tags.selection.cloned(),
                moved_to: v.tags.moved_to.cloned(),
                preferred: v.preferred.cloned(),
                holder: v.chat.and_then(|c| c.holder.clone()),
                queued: v.chat.and_then(|c| c.queued).map(|w| SavedWait { entered: w.entered, since: w.since }),
                answered: v.chat.is_some_and(|c| c.answered),
                missed: v.chat.map(|c| c.missed.clone()).unwrap_or_default(),
                version: (v.version != v.arrival).then_some(v.version),
            })
            .collect();
        let deadlines = state
            .pending_deadlines()
            .map(|(at, d)| match state.deadline_named(d) {
                (true, visitor) => SavedDeadline::Answer { at, visitor: VisitorId::stored(visitor) },
                (false, agent) => SavedDeadline::Offline { at, agent: AgentId::stored(agent) },
            })
            .collect();
        Saved {
            format: SAVED_FORMAT,
            revision: self.latest.revision(),
            config: self.latest.config().clone(),
            shown,
            clock: state.clock(),
            next: state.counter().saturating_add(1),
            agents,
            visitors,
            deadlines,
        }
    }

    /// Loads a saved account (R32), checking that it is consistent.
    ///
    /// Cost: O(visitors · log + configuration · revisions shown).
    ///
    /// # Errors
    ///
    /// `unsupported_version` for a format other than [`SAVED_FORMAT`];
    /// `corrupt_state` naming the first problem found: a revision shown
    /// twice, not older than the latest, or shown by no dashboard; agents
    /// that are not the configuration's, in its order; a dashboard showing a
    /// revision not saved; visitors twice or out of arrival order; a chat
    /// both held and queued; a holder that is no agent; a wait that starts
    /// before it entered the queue or after the clock, or whose overflow
    /// instant (R29) is not after it; an arrival or version not below
    /// `next`; more visitors than an account holds.
    pub fn from_saved(saved: Saved) -> Result<Account, LoadError> {
        if saved.format != SAVED_FORMAT {
            return Err(LoadError::UnsupportedVersion(saved.format));
        }
        let latest = Snapshot::with_revision(saved.config, saved.revision);
        let mut loaded: BTreeMap<u64, Arc<Snapshot>> = BTreeMap::new();
        for r in saved.shown {
            if r.revision >= saved.revision {
                return Err(corrupt(
                    CorruptCheck::RevisionNotOlder,
                    None,
                    format!("shown revision {} is not older than the latest, {}", r.revision, saved.revision),
                ));
            }
            if loaded.insert(r.revision, Arc::new(Snapshot::with_revision(r.config, r.revision))).is_some() {
                return Err(corrupt(
                    CorruptCheck::RevisionTwice,
                    None,
                    format!("revision {} is saved twice", r.revision),
                ));
            }
        }
        let mut state = State::new(&latest, saved.clock, crate::decide::eligibility::CANDIDACY);
        let ids: Vec<&AgentId> = latest.agents().map(|(_, id, _)| id).collect();
        if saved.agents.len() != ids.len() || saved.agents.iter().zip(&ids).any(|(a, id)| a.id != **id) {
            return Err(corrupt(
                CorruptCheck::AgentsMismatch,
                None,
                "the agents are not the configuration's, in its order".into(),
            ));
        }
        for (ix, a) in saved.agents.iter().enumerate() {
            if a.loaded != saved.revision && !loaded.contains_key(&a.loaded) {
                return Err(corrupt(
                    CorruptCheck::RevisionNotSaved,
                    Some(a.id.as_str()),
                    format!("agent `{}` shows revision {}, which is not saved", a.id, a.loaded),
                ));
            }
            state.set_status(ix, a.status, None);
            state.set_loaded(ix, a.loaded);
        }
        state.set_assignments(|id| latest.agent_ix(id).and_then(|ix| saved.agents.get(ix)?.last_assigned));
        if let Some(rev) = loaded.keys().find(|rev| !state.shows_revision(**rev)) {
            return Err(corrupt(
                CorruptCheck::RevisionNotShown,
                None,
                format!("revision {rev} is saved but no dashboard shows it"),
            ));
        }
        let below = |what: &str, id: &VisitorId, n: u64| {
            if n < saved.next {
                Ok(())
            } else {
                Err(corrupt(
                    CorruptCheck::NotBelowNext,
                    Some(id.as_str()),
                    format!("visitor `{id}`: {what} {n} is not below next, {}", saved.next),
                ))
            }
        };
        let grouping = group::Grouper(&latest);
        let mut last_arrival = None;
        for v in saved.visitors {
            if last_arrival.is_some_and(|a| v.arrival <= a) {
                return Err(corrupt(
                    CorruptCheck::ArrivalOrder,
                    Some(v.id.as_str()),
                    format!("visitor `{}` is out of arrival order", v.id),
                ));
            }
            last_arrival = Some(v.arrival);
            below("arrival", &v.id, v.arrival)?;
            let version = v.version.unwrap_or(v.arrival);
            below("version", &v.id, version)?;
            if state.visitor(v.id.as_str()).is_some() {
                return Err(corrupt(
                    CorruptCheck::VisitorTwice,
                    Some(v.id.as_str()),
                    format!("visitor `{}` is saved twice", v.id),
                ));
            }
            let held = match &v.holder {
                None => None,
                Some(h) => Some(latest.agent_ix(h.as_str()).ok_or_else(|| {
                    corrupt(
                        CorruptCheck::HolderUnknown,
                        Some(v.id.as_str()),
                        format!("visitor `{}` is held by `{h}`, which is no agent", v.id),
                    )
                })?),
            };
            if let Some(w) = v.queued {
                if held.is_some() {
                    return Err(corrupt(
                        CorruptCheck::HeldAndQueued,
                        Some(v.id.as_str()),
                        format!("visitor `{}`: its chat is both held and queued", v.id),
                    ));
                }
                if w.since < w.entered || w.since > saved.clock {
                    return Err(corrupt(
                        CorruptCheck::WaitOutOfRange,
                        Some(v.id.as_str()),
                        format!(
                            "visitor `{}`: its wait since {} is not between its entry, {}, and the clock, {}",
                            v.id, w.since, w.entered, saved.clock
                        ),
                    ));
                }
            }
            if v.answered && held.is_none() {
                return Err(corrupt(
                    CorruptCheck::AnsweredUnheld,
                    Some(v.id.as_str()),
                    format!("visitor `{}`: its chat is answered but nobody holds it", v.id),
                ));
            }
            if !v.missed.is_empty() && held.is_none() && v.queued.is_none() {
                return Err(corrupt(
                    CorruptCheck::MissedWithoutChat,
                    Some(v.id.as_str()),
                    format!("visitor `{}` has a missed list but no open chat", v.id),
                ));
            }
            for (i, a) in v.missed.iter().enumerate() {
                if latest.agent_ix(a.as_str()).is_none() {
                    return Err(corrupt(
                        CorruptCheck::MissedUnknown,
                        Some(v.id.as_str()),
                        format!("visitor `{}`: `{a}` on its missed list is no agent", v.id),
                    ));
                }
                if v.missed.iter().take(i).any(|b| b == a) {
                    return Err(corrupt(
                        CorruptCheck::MissedTwice,
                        Some(v.id.as_str()),
                        format!("visitor `{}`: `{a}` is twice on its missed list", v.id),
                    ));
                }
            }
            let restored = Restored {
                id: v.id.as_str(),
                arrival: v.arrival,
                page_tag: v.page_tag.map(|g| latest.shared_group_id(g)),
                selection: v.selection.map(|g| latest.shared_group_id(g)),
                moved_to: v.moved_to.map(|g| latest.shared_group_id(g)),
                preferred: v.preferred,
                held,
                queued: v.queued.map(|w| Wait::new(w.entered, w.since)),
                answered: v.answered,
                missed: v.missed,
                version,
            };
            state.restore_visitor(restored, &grouping).map_err(|_| {
                corrupt(CorruptCheck::TooManyVisitors, None, "more visitors than an account holds".into())
            })?;
        }
        state.set_clock(saved.clock);
        if let Some((due, slot)) = state.visitors().next_overflow().filter(|(due, _)| *due <= saved.clock) {
            let id = state.visitors().name(slot).unwrap_or_default();
            return Err(corrupt(
                CorruptCheck::OverflowNotAfterClock,
                Some(id),
                format!("visitor `{id}`: its overflow at {due} is not after the clock, {}", saved.clock),
            ));
        }
        state.set_counter(saved.next.saturating_sub(1));
        restore_deadlines(&mut state, &latest, saved.deadlines)?;
        state.clear_notes();
        let available = refresh::Availability::of(&latest, &state);
        Ok(Account {
            latest: Arc::new(latest),
            loaded,
            state,
            available,
            tail: notices::Kept::default(),
            said: notices::Kept::default(),
        })
    }
}

/// Sets a loaded account's deadlines (R26) in their saved order, checking
/// that each is pending and has its cause: after the clock, in order of
/// time, an answer deadline for a held unanswered chat (one per chat), an
/// offline one for an offline agent (one per agent).
fn restore_deadlines(state: &mut State, snap: &Snapshot, deadlines: Vec<SavedDeadline>) -> Result<(), LoadError> {
    let mut last = state.clock();
    let mut chats: Vec<VisitorId> = Vec::new();
    for d in deadlines {
        let at = d.at();
        if at <= state.clock() {
            return Err(corrupt(
                CorruptCheck::DeadlineNotAfterClock,
                None,
                format!("a deadline at {at} is not after the clock, {}", state.clock()),
            ));
        }
        if at < last {
            return Err(corrupt(
                CorruptCheck::DeadlineOrder,
                None,
                format!("a deadline at {at} comes after one at {last}"),
            ));
        }
        if at > crate::MAX_INSTANT {
            return Err(corrupt(
                CorruptCheck::DeadlinePastEnd,
                None,
                format!("a deadline at {at} is past the end of the clock, 2^53 − 1"),
            ));
        }
        last = at;
        match d {
            SavedDeadline::Answer { visitor, .. } => {
                let v = state.visitors().slot(visitor.as_str()).and_then(|s| Some((s, state.visitors().at(s)?)));
                let Some((slot, v)) = v.filter(|(_, v)| v.chat.is_some_and(|c| c.holder.is_some() && !c.answered))
                else {
                    return Err(corrupt(
                        CorruptCheck::AnswerDeadlineWithoutChat,
                        Some(visitor.as_str()),
                        format!("an answer deadline for `{visitor}`, whose chat is not held unanswered"),
                    ));
                };
                if chats.contains(&visitor) {
                    return Err(corrupt(
                        CorruptCheck::AnswerDeadlineTwice,
                        Some(visitor.as_str()),
                        format!("two answer deadlines for `{visitor}`"),
                    ));
                }
                state.set_deadline(at, crate::state::Deadline::Answer { slot, version: v.version });
                chats.push(visitor);
            }
            SavedDeadline::Offline { agent, .. } => {
                let live = snap.agent_ix(agent.as_str()).and_then(|ix| state.agent_at(ix));
                let Some(live) = live.filter(|a| a.status() == Status::Offline) else {
                    return Err(corrupt(
                        CorruptCheck::OfflineDeadlineNotOffline,
                        Some(agent.as_str()),
                        format!("an offline deadline for `{agent}`, who is not an offline agent"),
                    ));
                };
                if live.waits_offline() {
                    return Err(corrupt(
                        CorruptCheck::OfflineDeadlineTwice,
                        Some(agent.as_str()),
                        format!("two offline deadlines for `{agent}`"),
                    ));
                }
                state.restore_offline_wait(&agent, at);
            }
        }
    }
    Ok(())
}

impl Account {
    /// Checks every index the account keeps in step with events — the
    /// compiled revisions, the candidate trees, the chat limits, the online
    /// set, the revisions shown, the closed groups, each page's
    /// availability — against the same account rebuilt from scratch (saved
    /// and loaded, R32). The fast paths of a change and an event must give
    /// what a full recomputation gives; tests call this after random events.
    /// Cost: O(account): a save and a load.
    ///
    /// # Errors
    ///
    /// What differs, or why the account could not be rebuilt.
    ///
    /// ```
    /// use groupgate::{Account, AgentSpec, Change, ConfigBuilder, GroupSpec, Status};
    /// let mut account = Account::new(ConfigBuilder::new().group(GroupSpec::new("en"))
    ///     .agent(AgentSpec::new("anna").member("en")).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.apply(&Change::SetEnabled { agent: "anna".into(), enabled: false }).unwrap();
    /// assert_eq!(account.check_indexes(), Ok(()));
    /// ```
    #[doc(hidden)]
    pub fn check_indexes(&self) -> Result<(), String> {
        let rebuilt = Account::from_saved(self.save()).map_err(|e| format!("the account does not load back: {e}"))?;
        if !self.latest.same_compiled(&rebuilt.latest) {
            return Err("the latest revision differs from one compiled whole".into());
        }
        for (rev, snap) in &self.loaded {
            if !rebuilt.loaded.get(rev).is_some_and(|r| snap.same_compiled(r)) {
                return Err(format!("revision {rev} differs from one compiled whole"));
            }
        }
        if let Some(what) = self.state.index_differing(&rebuilt.state) {
            return Err(format!("the {what} differ from a rebuild"));
        }
        if self.available != rebuilt.available {
            return Err("the pages' availability differs from a rebuild".into());
        }
        Ok(())
    }
}
