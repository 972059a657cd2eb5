//! One account: the latest snapshot, the snapshots agents' dashboards still
//! show, and the live state. The account looks ids up, checks the errors an
//! event can have, and delegates: chats and the clock to [`State`], routing
//! and the queue to `route/`, decisions to `decide/`. Every query is `&self`
//! and pure; every event and change is `&mut self` and either succeeds or
//! changes nothing.
//!
//! Where each family of methods is:
//! - this file: building an account, the clock, configuration changes
//!   ([`Account::apply`]), the report types;
//! - `error.rs`: why an event was refused (`ActionError`);
//! - `events.rs`: visitor and agent events (`visit`, `select_group`,
//!   `prefer_agent`, `leave`, `set_status`, `refresh`, `claim`,
//!   `claim_at_version`, `release`, `restore_chat`, `chat_limit`);
//! - `routing.rs`: `route`, `transfer`, `next_agent` and the strategy state
//!   (`assignments`, `set_assignments`);
//! - `queries.rs`: decisions and reads (`sees`, `visible_agents`,
//!   `dashboard`, `can_claim`, `candidates`, `is_online`, `is_online_for`,
//!   `form_choices`, `queue`, `visitor`, `chats_of`, `holder`, `load`,
//!   `group_hours`, …);
//! - `keys.rs`: agents and visitors resolved once (`agent_key`,
//!   `visitor_key`, `sees_key`) and `GroupHours`;
//! - `event.rs`: events as values (`Event`, `apply_event`, R33);
//! - `notices.rs`: what each event did (`Notice`, `notices`, R31);
//! - `saved.rs`: saving and loading (`Saved`, `save`, `from_saved`, R32).

mod corruption;
mod error;
pub(crate) mod event;
mod events;
mod keys;
mod notices;
mod queries;
mod routing;
mod saved;
mod time;

pub use crate::route::{Assignments, Routed, TransferTarget};
pub use corruption::{CorruptCheck, Corruption};
pub use error::ActionError;
pub use event::{Applied, Event, EventError, Outcome, Timed};
pub use events::Visited;
pub use keys::{AgentKey, GroupHours, VisitorKey};
pub use notices::{Notice, TimedNotice};
pub use queries::{AgentView, GroupHoursOf, PageAvailability, VisitorView};
pub use saved::{LoadError, SAVED_FORMAT, Saved, SavedAgent, SavedDeadline, SavedRevision, SavedVisitor, SavedWait};

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Config;
use crate::decide::AvailabilityChange;
use crate::decide::{self, group, refresh};
use crate::ids::{AgentId, GroupId, UnknownId, VisitorId};
use crate::route::{self, Freed};
use crate::snapshot::{BitSet, Change, ChangeError, ChangeImpact, Snapshot};
use crate::state::{Flipped, State, Visitor, VisitorMemory};

/// An account's configuration history and live state: the object a chat
/// backend keeps per account.
///
/// Its methods by purpose (every method states its cost):
///
/// | purpose | methods |
/// |---|---|
/// | construction | [`new`](Self::new), [`from_snapshot`](Self::from_snapshot) |
/// | configuration changes (R9, R24) | [`apply`](Self::apply), [`snapshot`](Self::snapshot) |
/// | visitor and chat events | [`visit`](Self::visit), [`select_group`](Self::select_group), [`prefer_agent`](Self::prefer_agent), [`route`](Self::route), [`claim`](Self::claim), [`claim_at_version`](Self::claim_at_version), [`release`](Self::release), [`transfer`](Self::transfer), [`answer`](Self::answer), [`decline`](Self::decline), [`leave`](Self::leave), [`restore_chat`](Self::restore_chat) |
/// | agent events | [`set_status`](Self::set_status), [`refresh`](Self::refresh), [`assignments`](Self::assignments), [`set_assignments`](Self::set_assignments) |
/// | events as values (R33) and what they did (R31) | [`apply_event`](Self::apply_event), [`apply_event_at`](Self::apply_event_at), [`notices`](Self::notices) |
/// | decisions (pure, never failing) | [`sees`](Self::sees), [`visible_agents`](Self::visible_agents), [`dashboard`](Self::dashboard), [`needs_refresh`](Self::needs_refresh), [`can_claim`](Self::can_claim), [`candidates`](Self::candidates), [`next_agent`](Self::next_agent), [`chat_limit`](Self::chat_limit), [`is_online`](Self::is_online), [`is_online_for`](Self::is_online_for), [`form_choices`](Self::form_choices), [`effective_group`](Self::effective_group) |
/// | reads | [`visitor`](Self::visitor), [`visitors`](Self::visitors), [`has_visitor`](Self::has_visitor), [`holder`](Self::holder), [`chat_version`](Self::chat_version), [`chats_of`](Self::chats_of), [`queue`](Self::queue), [`queue_position`](Self::queue_position), [`load`](Self::load), [`status`](Self::status), [`loaded_revision`](Self::loaded_revision), [`agent`](Self::agent), [`agents`](Self::agents), [`availability`](Self::availability), [`hours`](Self::hours), [`visitor_memory`](Self::visitor_memory) |
/// | keys (names resolved once) | [`agent_key`](Self::agent_key), [`visitor_key`](Self::visitor_key), [`sees_key`](Self::sees_key) |
/// | time (R26–R30) | [`clock`](Self::clock), [`advance_to`](Self::advance_to), [`advance_by`](Self::advance_by), [`next_deadline`](Self::next_deadline), [`group_hours`](Self::group_hours), [`next_change`](Self::next_change) |
/// | saving and loading (R32) | [`save`](Self::save), [`from_saved`](Self::from_saved) |
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, ErrorCode, GroupSpec, Status};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("support-en"))
///     .group(GroupSpec::new("support-de"))
///     .agent(AgentSpec::new("anna").member("support-en"))
///     .agent(AgentSpec::new("bob").member("support-de"))
///     .build().unwrap(), 0);
/// account.set_status("anna", Status::Online).unwrap();
/// account.visit("v1", Some("support-en")).unwrap();
/// assert_eq!(account.visible_agents("v1"), ["anna"]);
/// assert!(account.claim("anna", "v1").is_ok());
/// assert_eq!(account.claim("bob", "v1").unwrap_err().code(), "not_in_group");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    latest: Arc<Snapshot>,
    /// Revisions some agent's dashboard shows, other than `latest`.
    loaded: BTreeMap<u64, Arc<Snapshot>>,
    state: State,
    /// Every page's chat-box availability (R10) after the last event, to
    /// tell which pages an event changed.
    available: refresh::Availability,
    /// The notices of the unit under way after its own (R31): availability,
    /// the refresh list.
    tail: notices::Kept<Notice>,
    /// The notices of the call's earlier units: the event before the
    /// deadlines it made due, each deadline before the next (R26, R31).
    said: notices::Kept<TimedNotice>,
}

/// A successful claim.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, Status};
/// let mut account = Account::new(ConfigBuilder::new().agent(AgentSpec::new("anna")).build().unwrap(), 0);
/// account.set_status("anna", Status::Online).unwrap();
/// account.visit("v1", None).unwrap();
/// let first = account.claim("anna", "v1").unwrap();
/// let again = account.claim("anna", "v1").unwrap();
/// assert!(first.changed() && !again.changed());
/// assert_eq!(first.version(), again.version());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claimed {
    version: u64,
    changed: bool,
}

impl Claimed {
    /// The chat's version after the claim (R13).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// False for a repeat claim by the holder, which changes nothing.
    pub fn changed(&self) -> bool {
        self.changed
    }
}

/// What a successful configuration change did (R9).
///
/// ```
/// use groupgate::{Account, AgentSpec, Change, ConfigBuilder, GroupSpec};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .group(GroupSpec::new("de"))
///     .agent(AgentSpec::new("anna"))
///     .build().unwrap(), 0);
/// let report = account.apply(&Change::Assign {
///     agent: "anna".parse().unwrap(), group: "en".parse().unwrap(), tier: Default::default(),
/// }).unwrap();
/// assert_eq!(report.revision(), 2);
/// assert_eq!(report.visibility_changed(), ["anna"]); // she no longer sees "de" visitors
/// assert!(report.availability().is_empty() && report.requeued().is_empty()); // she is offline, holds nothing
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeReport {
    revision: u64,
    visibility_changed: Vec<AgentId>,
    availability: Vec<AvailabilityChange>,
    requeued: Vec<VisitorId>,
    hours: Vec<(GroupId, bool)>,
}

impl ChangeReport {
    /// The new revision.
    pub fn revision(&self) -> u64 {
        self.revision
    }
    /// Agents whose visibility differs between the previous revision and this
    /// one, in configuration order: tell them to refresh.
    pub fn visibility_changed(&self) -> &[AgentId] {
        &self.visibility_changed
    }
    /// Pages whose chat box went online or offline.
    pub fn availability(&self) -> &[AvailabilityChange] {
        &self.availability
    }
    /// Chats put back in the queue because their agent was removed or
    /// disabled (R14), in order of visitor arrival.
    pub fn requeued(&self) -> &[VisitorId] {
        &self.requeued
    }
    /// Groups the change opened (`true`) or closed (`false`) by their
    /// business hours (R30) — a schedule set, rewritten, or given or taken
    /// from a group — among the groups that work on the new revision (none
    /// under a plan without groups, R1), in configuration order; a group
    /// the change added counts as open before.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new().group(GroupSpec::new("cz")).build().unwrap(), 0);
    /// account.apply(&Change::SetSchedule(ScheduleSpec::new("never", "UTC"))).unwrap();
    /// let patch = GroupPatch::new("cz").schedule(Some("never"));
    /// let report = account.apply(&Change::UpdateGroup(patch)).unwrap();
    /// assert_eq!(report.hours_changed(), [("cz".parse().unwrap(), false)]);
    /// ```
    pub fn hours_changed(&self) -> &[(GroupId, bool)] {
        &self.hours
    }
}

/// The account's counter of chat versions and arrival numbers reached its end during an event (R13).
pub(crate) struct Exhausted;

impl From<Exhausted> for ActionError {
    fn from(_: Exhausted) -> Self {
        ActionError::VersionExhausted
    }
}

impl From<Exhausted> for ChangeError {
    fn from(_: Exhausted) -> Self {
        ChangeError::VersionExhausted
    }
}

impl Account {
    /// Runs one event so that the counter never passes its end (R13): when
    /// fewer values are left than an event may use, the event runs with a
    /// copy of the account kept aside, and if the counter ran out the account
    /// goes back to the copy and the event fails with `version_exhausted`.
    /// Far from the end — always, short of a restored version near 2^64 — it
    /// costs one comparison.
    ///
    /// A successful event is then followed by the deadlines it made due at
    /// the current clock (R26), each with its own notices.
    pub(super) fn guarded<T, E: From<Exhausted>>(
        &mut self,
        event: impl FnOnce(&mut Self) -> Result<T, E>,
    ) -> Result<T, E> {
        self.state.clear_notes();
        self.tail.0.clear();
        self.said.0.clear();
        let whole = |account: &mut Self| {
            let out = event(account)?;
            account.end_unit();
            // Also leaves the deadlines pruned: its last look found none due
            // after dropping stale ones from the front.
            account.run_due(account.state.clock());
            Ok(out)
        };
        let out = if self.state.near_counter_end() {
            let before = self.clone();
            let out = whole(self);
            if self.state.exhausted() {
                *self = before;
                Err(Exhausted.into())
            } else {
                out
            }
        } else {
            whole(self)
        };
        if out.is_err() {
            // Nothing changed (R24), so nothing is noticed.
            self.state.clear_notes();
            self.tail.0.clear();
            self.said.0.clear();
        }
        out
    }

    /// Ends one unit of notices (an event, or one deadline): when some group
    /// gained its first candidate or lost its last, the pages whose
    /// availability that changed (R10, R31).
    pub(super) fn end_unit(&mut self) {
        let snap = &*self.latest;
        // Only the pages whose fallback chains reach a group of a flipped
        // agent, when that is not every page: O(those pages · chain · log
        // agents).
        let pages = match self.state.candidates_flipped() {
            Flipped::Nothing => return,
            Flipped::Agents(agents) => refresh::pages_of_agents(snap, &self.state, agents),
            Flipped::All => None,
        };
        let changes = self.available.refresh((snap, snap), &self.state, pages.as_ref());
        self.tail.0.extend(changes.iter().map(Notice::from));
        self.state.clear_flipped();
    }

    /// Moves the notices of the unit under way to those of the call, for
    /// the next unit (a deadline) to start. O(the unit's notices).
    pub(super) fn flush(&mut self) {
        if self.state.notes().is_empty() && self.tail.0.is_empty() {
            return;
        }
        let mut done = std::mem::take(&mut self.said.0);
        self.unit_notices(&mut done);
        self.said.0 = done;
        self.state.clear_notes();
        self.tail.0.clear();
    }

    /// An account at revision 1 of `config` whose clock starts at `start`
    /// (R26), in milliseconds since 1970-01-01T00:00:00Z. Every agent is
    /// offline and has loaded revision 1; there are no visitors; each group
    /// is open or closed as its business hours are at `start` (R30), and a
    /// boundary at `start` is no deadline.
    ///
    /// The start is asked for here because an account's first timed event
    /// processes every deadline between it and the start: an account
    /// started at 0 and then fed an event timed today would first cross
    /// every business-hours boundary since 1970. Tests and examples whose
    /// rules need no calendar start at 0.
    ///
    /// Cost: O(size of the configuration), plus evaluating each schedule a
    /// group follows once.
    ///
    /// ```
    /// use groupgate::*;
    /// let config = ConfigBuilder::new()
    ///     .schedule(ScheduleSpec::new("office", "Europe/Prague").day("mon", &[("08:00", "17:00")]))
    ///     .group(GroupSpec::new("cz").schedule("office"))
    ///     .build().unwrap();
    /// let monday_8_prague = 1_795_417_200_000; // 2026-11-23T07:00:00Z, when it opens
    /// let account = Account::new(config, monday_8_prague);
    /// assert_eq!(account.snapshot().revision(), 1);
    /// assert_eq!(account.clock(), monday_8_prague);
    /// assert!(account.group_hours("cz").unwrap().open());
    /// assert_eq!(account.next_deadline(), Some(monday_8_prague + 9 * 3_600_000)); // it closes at 17:00
    /// ```
    pub fn new(config: Config, start: u64) -> Self {
        Self::from_snapshot(Snapshot::new(config), start)
    }

    /// An account at the given snapshot (for a host restoring a revision)
    /// whose clock starts at `start`, as [`new`](Self::new).
    ///
    /// Cost: O(agents + groups), plus evaluating each schedule a group
    /// follows once.
    ///
    /// ```
    /// use groupgate::*;
    /// let snapshot = Snapshot::with_revision(ConfigBuilder::new().build().unwrap(), 7);
    /// assert_eq!(Account::from_snapshot(snapshot, 0).snapshot().revision(), 7);
    /// ```
    pub fn from_snapshot(snapshot: Snapshot, start: u64) -> Self {
        let state = State::new(&snapshot, start, decide::eligibility::CANDIDACY);
        let available = refresh::Availability::of(&snapshot, &state);
        Account {
            latest: Arc::new(snapshot),
            loaded: BTreeMap::new(),
            state,
            available,
            tail: notices::Kept::default(),
            said: notices::Kept::default(),
        }
    }

    /// The latest revision's snapshot.
    ///
    /// Cost: O(1).
    pub fn snapshot(&self) -> &Snapshot {
        &self.latest
    }

    /// Heap bytes the visitors on the site take, by part (records, ids,
    /// the id index, group lists, the side table).
    ///
    /// Cost: O(visitors / 1,024 + groups).
    pub fn visitor_memory(&self) -> VisitorMemory {
        self.state.visitor_memory()
    }

    /// The account's clock (R26): milliseconds since
    /// 1970-01-01T00:00:00Z; it stamps assignments (R16). Move it with
    /// [`advance_to`](Self::advance_to).
    ///
    /// Cost: O(1).
    pub fn clock(&self) -> u64 {
        self.state.clock()
    }

    pub(super) fn agent_ix(&self, agent: &str) -> Result<usize, ActionError> {
        self.latest.agent_ix(agent).ok_or_else(|| UnknownId::Agent(agent.to_owned()).into())
    }

    /// R38: the agent a chat event names as acting, checked right after
    /// the visitor: `unknown_agent` when there is no such agent. O(1)
    /// expected.
    pub(super) fn acting<'a>(&self, agent: Option<&'a str>) -> Result<Option<&'a str>, ActionError> {
        if let Some(a) = agent {
            self.agent_ix(a)?;
        }
        Ok(agent)
    }

    /// R38: `not_holder` unless the acting agent, when the event names one,
    /// holds the visitor's chat (a queued chat has no holder). O(1).
    pub(super) fn holds(v: &Visitor<'_>, acting: Option<&str>) -> Result<(), ActionError> {
        let holder = v.chat.and_then(|c| c.holder.as_ref());
        match acting {
            Some(a) if holder.is_none_or(|h| h.as_str() != a) => {
                Err(ActionError::NotHolder { agent: AgentId::stored(a), visitor: VisitorId::stored(v.id) })
            }
            _ => Ok(()),
        }
    }

    pub(super) fn known_visitor(&self, visitor: &str) -> Result<Visitor<'_>, ActionError> {
        self.known_slot(visitor).map(|(_, v)| v)
    }

    /// The visitor's slot, resolved once for everything below the account,
    /// with the visitor. O(1) expected.
    pub(super) fn known_slot(&self, visitor: &str) -> Result<(u32, Visitor<'_>), ActionError> {
        let visitors = self.state.visitors();
        visitors
            .slot(visitor)
            .and_then(|slot| Some((slot, visitors.at(slot)?)))
            .ok_or_else(|| UnknownId::Visitor(visitor.to_owned()).into())
    }

    /// Queue serving (R18) after the agent with this id freed a slot: its
    /// index is looked up only when serving can do anything. O(1)
    /// expected, plus serving.
    pub(super) fn serve_agent(&mut self, agent: &crate::ids::AgentId) {
        if !crate::route::may_serve(&self.latest, &self.state) {
            return;
        }
        if let Some(ax) = self.latest.agent_ix(agent.as_str()) {
            self.serve(Freed::Agent(ax));
        }
    }

    pub(super) fn snapshot_at(&self, revision: u64) -> &Snapshot {
        self.loaded.get(&revision).map_or(&self.latest, |s| s)
    }

    // ----- configuration -------------------------------------------------

    /// Applies a configuration change (R9, R24): a new revision, the agents
    /// whose dashboards it made stale, the pages whose availability changed.
    /// On error nothing changes.
    ///
    /// Cost: a change to one agent (`Assign`, `Unassign`, `SetEnabled`,
    /// `SetRole`, `SetAgentChatLimit`) or to one group's settings
    /// (`SetGroupChatLimit`, `SetInContactForm`) patches the revision and
    /// costs about what it touches: O(groups + agents / 64 + the agent's
    /// groups' members · log), the pages whose candidates it changed for the
    /// availability report (every page while chats wait in the queue), plus
    /// serving the queue. Other changes recompile the revision, O(size of
    /// the configuration), with O(agents) for the refresh list
    /// (O(agents · groups) when the groups change) and O(groups · log
    /// agents) for availability; adding a group moves O(visitors carrying
    /// its id); removing one, or changing the plan, regroups every visitor.
    ///
    /// # Errors
    ///
    /// The change's [`ChangeError`]: an unknown id, a configuration that breaks
    /// R23 or R20 (the first problem in the documented order), or a counter at
    /// its end. The account is unchanged.
    ///
    /// ```
    /// use groupgate::*;
    /// let mut account = Account::new(ConfigBuilder::new()
    ///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
    ///     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    ///     .group_selection(true).build().unwrap(), 0);
    /// account.set_status("anna", Status::Online).unwrap();
    /// account.visit("v1", Some("en")).unwrap();
    /// let report = account.apply(&Change::AddGroup(GroupSpec::new("sales"))).unwrap();
    /// assert_eq!(report.revision(), 2);
    /// assert!(account.apply(&Change::AddGroup(GroupSpec::new("sales"))).is_err());
    /// assert_eq!(account.snapshot().revision(), 2); // the failed change lost nothing
    /// ```
    pub fn apply(&mut self, change: &Change) -> Result<ChangeReport, ChangeError> {
        self.guarded(|account| account.apply_change(change))
    }

    fn apply_change(&mut self, change: &Change) -> Result<ChangeReport, ChangeError> {
        let next = Arc::new(self.latest.apply(change)?);
        // What the change did, computed once; every fast path below reads it.
        let impact = self.latest.impact(&next);
        let pages = refresh::pages_of_change(&self.latest, &next, &impact, &self.state);
        let visibility_changed: Vec<AgentId> =
            decide::visibility_changed_by(&self.latest, &next, &impact).into_iter().cloned().collect();
        let was_closed = self.state.closed_groups().clone();
        let previous = std::mem::replace(&mut self.latest, next);
        if self.state.shows_revision(previous.revision()) {
            self.loaded.insert(previous.revision(), previous.clone());
        }
        self.regroup(&previous, &impact);
        let snap = &*self.latest;
        let requeued =
            self.state.sync_agents(&previous, snap, &impact, |state, slot| route::requeue_offers(snap, state, slot));
        self.gc_loaded();
        self.serve(Freed::All);
        // The change's own list says what changed; the pages it could not
        // touch kept their availability. The check after the event has
        // nothing to add.
        let availability = self.available.refresh((&previous, &self.latest), &self.state, pages.as_ref());
        self.state.clear_flipped();
        self.tail.0.extend(availability.iter().map(Notice::from));
        let stale = self.newly_stale(&previous, &visibility_changed);
        if !stale.is_empty() {
            self.tail.0.push(Notice::RefreshNeeded { agents: stale });
        }
        let hours = self.hours_changed(&previous, &impact, &was_closed);
        Ok(ChangeReport { revision: self.latest.revision(), visibility_changed, availability, requeued, hours })
    }

    /// The groups of the latest revision whose open state (R30) differs
    /// from `was_closed`, the closed groups under `previous`. O(groups),
    /// nothing when no flag changed and the groups are the same.
    fn hours_changed(&self, previous: &Snapshot, impact: &ChangeImpact, was_closed: &BitSet) -> Vec<(GroupId, bool)> {
        let same = impact.groups_same;
        if same && was_closed == self.state.closed_groups() {
            return Vec::new();
        }
        let snap = &*self.latest;
        snap.live_groups()
            .filter_map(|(g, id, _)| {
                let before = if same { Some(g) } else { previous.group_ix(id.as_str()) };
                let was = before.is_some_and(|b| was_closed.contains(b));
                let now = self.state.is_closed(g);
                (was != now).then(|| (id.clone(), !now))
            })
            .collect()
    }

    /// Recomputes visitors' effective groups (R2) when the group list
    /// changed: only the visitors carrying the ids of groups added at the
    /// end (the others keep their groups and indexes), or everyone for any
    /// other change of the list.
    fn regroup(&mut self, previous: &Snapshot, impact: &ChangeImpact) {
        if impact.groups_same {
            return;
        }
        let snap = &*self.latest;
        let grouping = group::Grouper(snap);
        match snap.groups_added_to(previous) {
            Some(added) => {
                for id in added {
                    self.state.group_added(id, &grouping);
                }
            }
            None => self.state.regroup(snap.config().groups().len(), &grouping),
        }
    }

    /// Of the agents whose visibility differs between `previous` and the
    /// latest revision, those whose dashboards were not stale under
    /// `previous` and are now (R9, R31), in configuration order. An agent
    /// whose dashboard showed `previous` is such an agent; one showing an
    /// older revision is when that revision agreed with `previous` for it.
    /// O(those agents + groups · revisions shown).
    fn newly_stale(&self, previous: &Snapshot, changed: &[AgentId]) -> Vec<AgentId> {
        let shown =
            |rev: u64| if rev == previous.revision() { Some(previous) } else { self.loaded.get(&rev).map(|s| &**s) };
        // One correspondence per revision shown, against the latest and
        // (for older ones) against `previous`.
        let mut diffs: Vec<(u64, refresh::Diff<'_>, Option<refresh::Diff<'_>>)> = Vec::new();
        let mut out = Vec::new();
        for id in changed {
            let Some(loaded) = self.state.agent(id.as_str()).map(|a| a.loaded()) else { continue };
            if loaded == self.latest.revision() {
                continue;
            }
            let Some(old) = shown(loaded) else { continue };
            if !diffs.iter().any(|(rev, ..)| *rev == loaded) {
                let before = (loaded != previous.revision()).then(|| refresh::Diff::new(old, previous));
                diffs.push((loaded, refresh::Diff::new(old, &self.latest), before));
            }
            let Some((_, after, before)) = diffs.iter().find(|(rev, ..)| *rev == loaded) else { continue };
            if after.stale(id.as_str()) && !before.as_ref().is_some_and(|b| b.stale(id.as_str())) {
                out.push(id.clone());
            }
        }
        out
    }

    fn gc_loaded(&mut self) {
        let state = &self.state;
        self.loaded.retain(|rev, _| state.shows_revision(*rev));
    }
}
