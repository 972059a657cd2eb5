//! R15 (candidates for a new chat, with R17's fallback walk) and R10 (chat-box
//! availability), which is "is there any candidate".

use super::claim::check;
use smallvec::SmallVec;

use crate::config::Tier;
use crate::ids::{AgentId, GroupId};
use crate::snapshot::{AgentIx, GroupIx, Snapshot};
use crate::state::{Key, State, Tree};

/// The agents a new chat would be offered to (R15), after following the
/// fallback chain (R17).
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Status, Tier};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .agent(AgentSpec::new("anna").member_as("en", Tier::Last))
///     .agent(AgentSpec::new("bob").member("en"))
///     .build().unwrap());
/// account.set_status("anna", Status::Online).unwrap();
/// account.set_status("bob", Status::Online).unwrap();
/// account.visit("v1".parse().unwrap(), Some("en".parse().unwrap())).unwrap();
/// let c = account.candidates("v1");
/// assert_eq!(c.agents(), ["bob"]); // `last` only when no `normal` agent is
/// assert_eq!((c.group().map(|g| g.as_str()), c.moved()), (Some("en"), false)); // its own group
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Candidates<'a> {
    pub(crate) group: Option<&'a GroupId>,
    pub(crate) moved: bool,
    pub(crate) agents: Vec<&'a AgentId>,
}

impl<'a> Candidates<'a> {
    /// The candidates: the preferred agent first, then configuration order.
    /// Empty: the chat would be queued.
    pub fn agents(&self) -> &[&'a AgentId] {
        &self.agents
    }
    /// The group the candidates were found in (the visitor's own, or one on
    /// its fallback chain); `None` for an ungrouped visitor.
    pub fn group(&self) -> Option<&'a GroupId> {
        self.group
    }
    /// Whether the group is a fallback, not the visitor's own (R17).
    pub fn moved(&self) -> bool {
        self.moved
    }
}

/// The tier an agent counts as when serving `group` (R15): its membership's,
/// or `normal` when it sees the visitor without being a member.
fn tier(snap: &Snapshot, agent: AgentIx, group: Option<GroupIx>) -> Tier {
    let member = group.and_then(|g| snap.agent(agent)?.1.tier_in(g));
    member.unwrap_or(Tier::Normal)
}

/// The one place R15's eligibility is written: the tier under which `agent`
/// could be offered a new chat in `group`, or `None`.
pub(crate) fn offerable(snap: &Snapshot, state: &State, agent: AgentIx, group: Option<GroupIx>) -> Option<Tier> {
    if !state.is_online(agent) || !check(snap, state, agent, group, None).is_allowed() {
        return None;
    }
    Some(tier(snap, agent, group)).filter(|t| *t != Tier::Supervisor)
}

/// R15: the visitor's preferred agent, when the snapshot has one by that id
/// (an unknown one is never a candidate). O(1) expected.
pub(crate) fn preferred(snap: &Snapshot, v: &crate::state::VisitorLive) -> Option<AgentIx> {
    v.preferred.as_ref().and_then(|p| snap.agent_ix(p.as_str()))
}

/// The viewers of a chat in `group` who are not on the group's member list
/// — for a group, the agents who see every visitor; for an ungrouped chat,
/// the agents who see ungrouped visitors — as the live state indexes them
/// (online, below their own limit, by routing key). All count as `normal`
/// (R15). Members of the group are left to the member scan, where their own
/// tier counts; the group's chat limit (R12) bounds the load.
struct Wide<'a> {
    snap: &'a Snapshot,
    tree: &'a Tree,
    group: Option<GroupIx>,
    below: Option<u32>,
}

impl<'a> Wide<'a> {
    fn of(snap: &'a Snapshot, state: &'a State, group: Option<GroupIx>) -> Self {
        match group.and_then(|g| Some((g, snap.group(g)?.1))) {
            Some((g, compiled)) => {
                Wide { snap, tree: state.pool_everyone(), group: Some(g), below: compiled.chat_limit }
            }
            None => Wide { snap, tree: state.pool_ungrouped(), group: None, below: None },
        }
    }

    /// Whether `a` is a member of the group (so not counted here).
    fn member(&self, a: AgentIx) -> bool {
        self.group.is_some_and(|g| self.snap.agent(a).is_some_and(|(_, c)| c.groups.contains(g)))
    }

    /// The one that comes first in R16's order. O(log agents) plus the
    /// members skipped.
    fn best(&self) -> Option<AgentIx> {
        self.tree.best(self.below, |a| self.member(a))
    }

    /// Each of them, in configuration order. O(output · log agents).
    fn each(&self, emit: impl FnMut(AgentIx)) {
        self.tree.each(self.below, |a| self.member(a), emit);
    }
}

/// The group's own members who could be offered the chat, with their tiers,
/// in configuration order. O(members), in a stack buffer up to 32.
fn offered_members(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> SmallVec<[(AgentIx, Tier); 32]> {
    let members = group.and_then(|g| snap.group(g)).map_or(&[][..], |(_, c)| c.members.as_slice());
    members.iter().filter_map(|&a| Some((a, offerable(snap, state, a, group)?))).collect()
}

/// The best tier among the candidates of a chat in `group` (R15), given its
/// offerable members and whether a wide viewer is offerable (always `normal`).
fn best_tier(members: &[(AgentIx, Tier)], wide: bool) -> Option<Tier> {
    let of_members = members.iter().map(|(_, t)| *t).min();
    match (of_members, wide) {
        (Some(t), true) => Some(t.min(Tier::Normal)),
        (Some(t), false) => Some(t),
        (None, true) => Some(Tier::Normal),
        (None, false) => None,
    }
}

/// The preferred agent when it could be offered the chat at all (R15).
fn offerable_preferred(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<AgentIx>,
) -> Option<AgentIx> {
    preferred.filter(|&p| offerable(snap, state, p, group).is_some())
}

/// R15 in one group: calls `emit` with each candidate in offer order — the
/// preferred agent first when it is offerable, then the agents of the best
/// tier in configuration order: the group's members merged with the wide
/// viewers. O(members + output · log agents).
pub(crate) fn each_in_group(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<AgentIx>,
    mut emit: impl FnMut(AgentIx),
) {
    let members = offered_members(snap, state, group);
    let wide = Wide::of(snap, state, group);
    let Some(best) = best_tier(&members, wide.best().is_some()) else { return };
    let pref = offerable_preferred(snap, state, group, preferred);
    if let Some(p) = pref {
        emit(p);
    }
    let mut others: SmallVec<[AgentIx; 32]> = SmallVec::new();
    if best == Tier::Normal {
        wide.each(|a| others.push(a));
    }
    let mut mine = members.iter().filter(|(_, t)| *t == best).map(|(a, _)| *a).peekable();
    let mut others = others.into_iter().peekable();
    loop {
        let next = match (mine.peek(), others.peek()) {
            (Some(m), Some(o)) if m <= o => mine.next(),
            (_, Some(_)) => others.next(),
            (Some(_), None) => mine.next(),
            (None, None) => break,
        };
        if let Some(a) = next.filter(|a| Some(*a) != pref) {
            emit(a);
        }
    }
}

/// R16: the candidate a single-agent strategy gives a chat in `group` to —
/// the preferred agent when it is a candidate, else the best-tier candidate
/// first in `key`'s order — without listing the wide viewers.
/// O(members + log agents).
pub(crate) fn first_by_key(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<AgentIx>,
    key: impl Fn(AgentIx) -> Key,
) -> Option<AgentIx> {
    let members = offered_members(snap, state, group);
    let wide = Wide::of(snap, state, group).best();
    let best = best_tier(&members, wide.is_some())?;
    if let Some(p) = offerable_preferred(snap, state, group, preferred) {
        return Some(p);
    }
    let mine = members.iter().filter(|(_, t)| *t == best).map(|(a, _)| *a);
    let others = wide.filter(|_| best == Tier::Normal);
    mine.chain(others).min_by_key(|a| key(*a))
}

/// Whether a new chat in `group` itself (no fallback) has a candidate (R15).
/// O(members + log agents), no allocation.
fn has_candidate(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> bool {
    let members = group.and_then(|g| snap.group(g)).map_or(&[][..], |(_, c)| c.members.as_slice());
    members.iter().any(|&a| offerable(snap, state, a, group).is_some()) || Wide::of(snap, state, group).best().is_some()
}

/// R17: the group a new chat in `group` is served in — the first of the
/// fallback chain with a candidate (`Some(None)` for an ungrouped chat with
/// one) — or `None` when nobody could take it. Cost: O(viewers of each group
/// of the chain up to the first with a candidate).
pub(crate) fn serving_group(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> Option<Option<GroupIx>> {
    match group {
        None => has_candidate(snap, state, None).then_some(None),
        Some(own) => snap.chain(own).find(|&g| has_candidate(snap, state, Some(g))).map(Some),
    }
}

/// R10: whether a new chat in `group` would have a candidate, following the
/// fallback chain: the same computation as R15's. Cost: that of
/// [`serving_group`], no allocation.
pub(crate) fn is_online(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> bool {
    serving_group(snap, state, group).is_some()
}

/// [`is_online`] for every group of `snap` at once, by group index (empty
/// under R1). Each group's own candidates are looked for at most once and
/// each chain link is followed once: a walk stops at the first group already
/// answered, and every group it passed gets that answer. Cost: O(groups +
/// viewers of the groups looked at), however long the chains.
pub(crate) fn online_groups(snap: &Snapshot, state: &State) -> Vec<bool> {
    let n = snap.live_groups().count();
    let mut known: Vec<Option<bool>> = vec![None; n];
    let mut path: Vec<GroupIx> = Vec::new();
    for start in 0..n {
        let mut online = false;
        for g in snap.chain(start) {
            if let Some(answer) = known.get(g).copied().flatten() {
                online = answer;
                break;
            }
            path.push(g);
            if has_candidate(snap, state, Some(g)) {
                online = true;
                break;
            }
        }
        for g in path.drain(..) {
            if let Some(slot) = known.get_mut(g) {
                *slot = Some(online);
            }
        }
    }
    known.into_iter().map(|k| k.unwrap_or(false)).collect()
}
