//! Live state that is not configuration: the clock, agent status and
//! dashboards, visitors with their tags, selections and chats.
//!
//! It lives apart from the [`Snapshot`](crate::Snapshot) so that every decision
//! is a pure function of (snapshot, state). Its fields are private: every
//! change goes through a method here, which keeps the invariants — a chat's
//! holder is recorded on the visitor, and the agent's list of held chats (its
//! load, R12) follows in the same method (see `chats.rs`); the queue index
//! follows every chat change; versions come from one counter that never
//! repeats (R13).

mod agents;
mod chats;
mod deadlines;
mod notes;
mod opening;
mod pool;
mod visitors;

use indexmap::IndexMap;
use smallvec::SmallVec;

pub(crate) use agents::AgentLive;
pub(crate) use deadlines::Deadline;
pub use notes::Unheld;
pub(crate) use notes::{Flipped, Gone, Note, Who};
pub(crate) use pool::{Candidacy, Key, Placement, Tree};
pub use visitors::VisitorMemory;
pub(crate) use visitors::{Entry, Full, Merged, Place, Run, Tagged, Visitor, Visitors};

use crate::hash::IdHasher;
use crate::ids::{AgentId, GroupId};
use crate::snapshot::{AgentIx, BitSet, GroupIx, Snapshot};

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

/// A visitor's open chat.
#[derive(Debug, Clone, Default)]
pub(crate) struct Chat {
    pub(crate) holder: Option<AgentId>,
    /// Its wait while routed and unheld (R18, R29).
    pub(crate) queued: Option<Wait>,
    /// Whether its holder answered it (R27); false while nobody holds it.
    pub(crate) answered: bool,
    /// The agents that missed or declined it since it was last answered,
    /// in the order they did (R27).
    pub(crate) missed: Vec<AgentId>,
    /// Where it is in its holder's list of held chats, so that letting it
    /// go is O(1); that list's order means nothing.
    held_at: u32,
    /// The holder's index among the state's agents when it came to hold
    /// the chat: a hint, checked against the holder's id before use, since
    /// a configuration change may renumber agents. Saves a lookup by id.
    held_by: u32,
    /// When its holder must answer it (R27): the answer deadline set when
    /// it came to be held; it stands while the same holder has not
    /// answered (a new holding starts without one).
    pub(crate) answer_by: Option<u64>,
}

/// Chats are equal when they say the same; where a chat sits in its
/// holder's list (which differs after a load) is not compared.
impl PartialEq for Chat {
    fn eq(&self, other: &Self) -> bool {
        (&self.holder, self.queued, self.answered, &self.missed)
            == (&other.holder, other.queued, other.answered, &other.missed)
    }
}

impl Eq for Chat {}

/// A waiting chat's times (R18, R29).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wait {
    /// When it last entered the queue: its place, with the visitor's
    /// arrival (R18).
    pub(crate) entered: u64,
    /// When its wait in its group started: entering the queue, or its last
    /// overflow move (R29).
    pub(crate) since: u64,
    /// Its overflow instant (R29), kept by the visitors' store whenever the
    /// chat, its group or the group's setting changes.
    due: Option<u64>,
}

impl Wait {
    /// A wait that entered the queue at `entered` and started in its group
    /// at `since`.
    pub(crate) fn new(entered: u64, since: u64) -> Self {
        Wait { entered, since, due: None }
    }
}

/// A visitor as a saved account holds it (R32), for
/// [`State::restore_visitor`].
pub(crate) struct Restored<'a> {
    pub(crate) id: &'a str,
    pub(crate) arrival: u64,
    pub(crate) page_tag: Option<GroupId>,
    pub(crate) selection: Option<GroupId>,
    pub(crate) moved_to: Option<GroupId>,
    pub(crate) preferred: Option<AgentId>,
    /// The agent holding its chat.
    pub(crate) held: Option<AgentIx>,
    /// Its chat's wait, when it waits.
    pub(crate) queued: Option<Wait>,
    /// Whether the holder answered it (R27).
    pub(crate) answered: bool,
    /// Its missed list (R27), in order.
    pub(crate) missed: Vec<AgentId>,
    pub(crate) version: u64,
}

/// What the state needs to know of the snapshot it is in step with to keep
/// visitors' groups: the account passes it with every change that can move
/// a visitor (R2 is decided in `decide::group`).
pub(crate) trait Grouping {
    /// The effective group (R2) of a visitor with these tags.
    fn effective(&self, tags: Tagged<'_>) -> Option<GroupIx>;
    /// Whether visitors tagged `tag` belong in the index of tags that name
    /// no group (so that adding the group finds them).
    fn unresolved(&self, tag: &GroupId) -> bool;
}

/// The tags a visitor's effective group (R2) is computed from, as a change
/// to make: used by [`State::retag`].
pub(crate) enum Tag {
    /// A page's `smartsupp('group', …)` code.
    Page(GroupId),
    /// A contact-form selection.
    Selection(GroupId),
    /// Where a route, transfer or fallback moved the chat.
    MovedTo(GroupId),
}

/// Live state of one account, kept by the [`Account`](crate::Account) and
/// read through its methods.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    /// The clock (R26), in milliseconds since the epoch: stamps
    /// assignments (R16); never goes back.
    clock: u64,
    /// Pending deadlines (R26), see `deadlines.rs`.
    deadlines: deadlines::Deadlines,
    /// Business hours (R30): which groups are closed, and when that next
    /// changes; see `opening.rs`.
    opening: opening::Opening,
    /// In the order of the latest snapshot's agents.
    agents: IndexMap<AgentId, AgentLive, IdHasher>,
    /// In order of arrival, indexed.
    visitors: Visitors,
    counter: u64,
    /// Set when [`State::tick`] found the counter at its end: the event
    /// under way must be undone (see `Account::guarded`). Always false
    /// between events.
    exhausted: bool,
    /// Agents whose status is `online`, by index (an index of `agents`).
    online: BitSet,
    /// How many agents' dashboards show each revision (R9): an index of
    /// `agents`, so that whether a revision is still shown is O(log).
    shown: std::collections::BTreeMap<u64, u32>,
    /// The agents who could be offered a chat among those who see every
    /// visitor or every ungrouped visitor (R15, R16): an index of `agents`,
    /// updated with every change of status, load or last assignment.
    pools: pool::Pools,
    /// What the event under way changed, for its notices (R31).
    log: notes::Log,
    /// The group chat limits (R12) candidates are judged under.
    limits: Limits,
    /// R15's eligibility and R16's order, which the candidate trees are kept
    /// by: given by the account (`decide::eligibility`).
    rule: Candidacy,
}

/// The latest instant the clock reaches (R26): 2^53 − 1 ms.
pub const MAX_INSTANT: u64 = (1 << 53) - 1;

/// The instant of a deadline set at `now` for `wait` milliseconds later
/// (R26); `None` when it would fall after [`MAX_INSTANT`]: such a deadline
/// is never reached — not pending, never fired (settled R26).
pub(crate) fn deadline_at(now: u64, wait: u64) -> Option<u64> {
    now.checked_add(wait).filter(|at| *at <= MAX_INSTANT)
}

/// The chat limits candidates are judged under (R12): each group's, once,
/// and none — an agent's candidacy changes only when it crosses one of them
/// or its status changes — and the groups that have one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Limits {
    distinct: SmallVec<[Option<u32>; 4]>,
    groups: Vec<GroupIx>,
}

/// The group chat limits of `snap`. O(groups).
fn limits_of(snap: &Snapshot) -> Limits {
    let mut limits = Limits { distinct: SmallVec::new(), groups: Vec::new() };
    limits.distinct.push(None);
    for (ix, _, g) in snap.live_groups() {
        if !limits.distinct.contains(&g.chat_limit) {
            limits.distinct.push(g.chat_limit);
        }
        if g.chat_limit.is_some() {
            limits.groups.push(ix);
        }
    }
    limits
}

/// Two states are equal when every answer they give is: the same clock and
/// counter, the same agents with the same status, dashboard revision, load
/// and last assignment, and the same visitors in the same order with the
/// same tags, preferred agents, chats, versions and queue places. Where
/// each visitor sits in the store, which differs between an account and the
/// same account saved and loaded (R32), is not compared.
impl PartialEq for State {
    fn eq(&self, other: &Self) -> bool {
        let agents = self.agents.len() == other.agents.len()
            && self.agents.iter().zip(&other.agents).all(|((i, a), (j, b))| {
                i == j
                    && (a.status, a.loaded, a.load(), a.last_assigned, a.offline_wait.is_some())
                        == (b.status, b.loaded, b.load(), b.last_assigned, b.offline_wait.is_some())
            });
        agents
            && self.clock == other.clock
            && self
                .pending_deadlines()
                .map(|(at, d)| (at, self.deadline_named(d)))
                .eq(other.pending_deadlines().map(|(at, d)| (at, other.deadline_named(d))))
            && self.counter == other.counter
            && self.exhausted == other.exhausted
            && self.visitors.same_visitors(&other.visitors)
    }
}

impl Eq for State {}

impl State {
    /// The first index kept in step with events that differs from
    /// `rebuilt`'s, a state of the same account built from scratch: the
    /// candidate trees (R15, R16), the chat limits judged under, the online
    /// set, the revisions shown, the closed groups (R30). O(agents + groups).
    pub(crate) fn index_differing(&self, rebuilt: &State) -> Option<&'static str> {
        [
            (self.pools == rebuilt.pools, "candidate trees"),
            (self.limits == rebuilt.limits, "chat limits"),
            (self.online == rebuilt.online, "online agents"),
            (self.shown == rebuilt.shown, "revisions shown"),
            (self.closed_groups() == rebuilt.closed_groups(), "closed groups"),
        ]
        .into_iter()
        .find_map(|(same, what)| (!same).then_some(what))
    }
}

impl State {
    /// The state of a new account at `snap`: its agents, in order, offline,
    /// with its revision on their dashboards; no visitors; the clock at
    /// `clock`, and each group open or closed there (R30: a boundary at the
    /// start is no deadline). O(agents + groups), plus evaluating each
    /// schedule once.
    pub(crate) fn new(snap: &Snapshot, clock: u64, rule: Candidacy) -> Self {
        let agents = snap.agents().map(|(_, id, _)| (id.clone(), AgentLive::new(snap.revision()))).collect();
        let clock = clock.min(MAX_INSTANT);
        let mut state = State { agents, limits: limits_of(snap), clock, rule, ..State::default() };
        state.sync_hours(snap);
        state.visitors.set_overflow(snap.overflow_waits());
        state.recount_shown();
        state.reindex_pools(snap);
        state
    }

    /// Rebuilds the routing indexes for `snap`. O(agents).
    fn reindex_pools(&mut self, snap: &Snapshot) {
        self.pools = pool::Pools::new(self.rule, snap, self.agents.values());
    }

    /// Brings agent `ix`'s place in the routing indexes in step. O(log agents).
    fn repool(&mut self, ix: AgentIx) {
        if let Some((_, a)) = self.agents.get_index(ix) {
            if self.pools.update(ix, a, &self.limits.distinct) {
                self.log.flipped.agent(ix);
            }
        }
    }

    /// The index of online agents who see every visitor and are below their
    /// own chat limit, by routing key (R15, R16).
    /// The groups that have a chat limit of their own (R12), ascending.
    /// O(1).
    pub(crate) fn limited_groups(&self) -> &[GroupIx] {
        &self.limits.groups
    }

    pub(crate) fn pool_everyone(&self) -> &Tree {
        &self.pools.everyone
    }

    /// The same for agents who see ungrouped visitors.
    pub(crate) fn pool_ungrouped(&self) -> &Tree {
        &self.pools.ungrouped
    }

    /// The same for the members of group `g` (supervisors left out), keyed
    /// by their tier first.
    pub(crate) fn pool_group(&self, g: GroupIx) -> Option<&Tree> {
        self.pools.groups.get(g)
    }

    /// Rebuilds the count of dashboards per revision. O(agents).
    fn recount_shown(&mut self) {
        self.shown.clear();
        for a in self.agents.values() {
            *self.shown.entry(a.loaded).or_insert(0) += 1;
        }
    }

    /// The next value of the account's one counter: arrival numbers, chat
    /// versions both come from it, so none ever repeats (R13).
    /// At the counter's end it returns the last value again and marks the
    /// state exhausted, for the event to be undone.
    fn tick(&mut self) -> u64 {
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

    /// Whether the counter ran out during the event under way.
    pub(crate) fn exhausted(&self) -> bool {
        self.exhausted
    }

    // ----- the clock ------------------------------------------------------

    /// The clock that stamps assignments (R16).
    pub(crate) fn clock(&self) -> u64 {
        self.clock
    }

    /// Moves the clock forward to `now` (R26); a time at or before the
    /// clock leaves it.
    pub(crate) fn set_clock(&mut self, now: u64) {
        self.clock = self.clock.max(now.min(MAX_INSTANT));
    }

    /// The last value the counter gave (arrivals, versions).
    pub(crate) fn counter(&self) -> u64 {
        self.counter
    }

    /// Sets the counter of a loaded account (R32); its values must all be
    /// at most `counter`. Also rebuilds the queue places' index, which the
    /// load filled out of key order.
    pub(crate) fn set_counter(&mut self, counter: u64) {
        self.counter = counter;
        self.visitors.rerank();
    }

    // ----- visitors -------------------------------------------------------

    pub(crate) fn visitor(&self, id: &str) -> Option<Visitor<'_>> {
        self.visitors.get(id)
    }

    /// Heap bytes the visitors on the site take, by part. Cost:
    /// O(visitors / 1,024 + groups).
    pub(crate) fn visitor_memory(&self) -> VisitorMemory {
        self.visitors.memory()
    }

    /// The visitors, with their indexes (read only).
    #[inline]
    pub(crate) fn visitors(&self) -> &Visitors {
        &self.visitors
    }

    /// Adds a new visitor with a page tag; `grouping` gives its group (R2).
    /// O(1) amortized.
    ///
    /// # Errors
    ///
    /// [`Full`] when the store holds as many visitors as it can.
    pub(crate) fn add_visitor(
        &mut self,
        id: &str,
        page_tag: Option<GroupId>,
        grouping: &impl Grouping,
    ) -> Result<u32, Full> {
        if self.visitors.len() >= self.visitors.capacity() {
            return Err(Full);
        }
        let arrival = self.tick();
        let slot = self.visitors.insert(id, page_tag, arrival, grouping)?;
        let group = self.visitors.at(slot).and_then(|v| v.group);
        self.log.notes.push(Note::Entered { slot, group });
        Ok(slot)
    }

    /// Sets one of the visitor's tags and keeps its effective group (R2),
    /// which `grouping` computes, in step; a moved-to group that changes it
    /// is noted as a move (R31). O(log size of its group).
    pub(crate) fn retag(&mut self, slot: u32, tag: Tag, grouping: &impl Grouping) {
        let moving = matches!(tag, Tag::MovedTo(_));
        let (from, to) = self.visitors.retag(slot, tag, grouping);
        if from != to {
            // A chat moved by routing (R31 `chat_moved`), or the visitor by
            // its own event, a page tag or a selection (`visitor_moved`).
            self.log.notes.push(if moving {
                Note::Moved { slot, from, to }
            } else {
                Note::VisitorMoved { slot, from, to }
            });
        }
    }

    /// Records a returning visitor's last agent (R15). O(1).
    pub(crate) fn set_preferred(&mut self, slot: u32, agent: AgentId) {
        self.visitors.set_preferred(slot, agent);
    }

    /// Recomputes every visitor's effective group for a snapshot with
    /// another group list. O(visitors · log visitors).
    pub(crate) fn regroup(&mut self, groups: usize, grouping: &impl Grouping) {
        self.visitors.regroup(groups, grouping);
    }

    /// Moves the visitors tagged `id` after a group of that id was added
    /// at the end of the group list (the other groups keep their indexes).
    /// O(those visitors · log).
    pub(crate) fn group_added(&mut self, id: &GroupId, grouping: &impl Grouping) {
        self.visitors.group_added(id, grouping);
    }

    /// The visitor leaves (R14): its chat closes and it is forgotten.
    /// Returns the agent that held its chat. O(chats that agent holds +
    /// log size of its group + log queue).
    pub(crate) fn remove_visitor(&mut self, slot: u32) -> Option<AgentId> {
        let name = self.log.keep_gone(self.visitors.name(slot).unwrap_or_default());
        // A visitor without a chat has nothing to close: no version is
        // spent and no side-table row is made for it on its way out.
        let holder = if self.visitors.chat(slot).is_none() {
            None
        } else {
            let holder = self.close(slot);
            // The slot is about to go: its closing note names the id kept.
            if let Some(last) = self.log.notes.last_mut()
                && let Note::Closed { slot: s, agent } = last
                && *s == slot
            {
                *last = Note::ClosedLeaving { name, agent: agent.take() };
            }
            holder
        };
        self.log.notes.push(Note::Left { name });
        self.visitors.remove(slot);
        holder
    }

    // ----- notes (R31) ---------------------------------------------------

    /// What the event under way changed so far, in order.
    pub(crate) fn notes(&self) -> &[Note] {
        &self.log.notes
    }

    /// The id of a visitor who left during the event under way. O(1).
    pub(crate) fn gone(&self, name: Gone) -> &str {
        self.log.gone(name)
    }

    /// Starts the notes of a new event, and forgets whether candidates
    /// appeared or vanished. O(notes).
    pub(crate) fn clear_notes(&mut self) {
        self.log.notes.clear();
        self.log.gone.clear();
        self.log.flipped = Flipped::Nothing;
    }

    /// Whether some group, or the agents who see everyone or ungrouped
    /// visitors, gained their first candidate or lost their last since
    /// [`Self::clear_notes`]: only then can a chat box's availability (R10)
    /// have changed. O(1).
    pub(crate) fn candidates_flipped(&self) -> &Flipped {
        &self.log.flipped
    }

    /// Forgets that candidates appeared or vanished (the caller accounted
    /// for it). O(1).
    pub(crate) fn clear_flipped(&mut self) {
        self.log.flipped = Flipped::Nothing;
    }
}
