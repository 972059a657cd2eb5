//! R15 (candidates for a new chat, with R17's fallback walk) and R10 (chat-box
//! availability), which is "is there any candidate".

use smallvec::SmallVec;

use super::claim::group_limit;
use super::eligibility::tier_of;
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
///     .build().unwrap(), 0);
/// account.set_status("anna", Status::Online).unwrap();
/// account.set_status("bob", Status::Online).unwrap();
/// account.visit("v1", Some("en")).unwrap();
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

/// R15: the visitor's preferred agent, when the snapshot has one by that id
/// (an unknown one is never a candidate). O(1) expected.
pub(crate) fn preferred(snap: &Snapshot, v: crate::state::Visitor<'_>) -> Option<AgentIx> {
    v.preferred.and_then(|p| snap.agent_ix(p.as_str()))
}

/// Where the candidates of a chat in `group` are indexed (R15): the group's
/// own members with their tiers, and the viewers who are not members — for
/// a group, the agents who see every visitor; for an ungrouped chat, the
/// agents who see ungrouped visitors — who all count as `normal`. Members
/// are left out of the second index, where their own tier counts; the
/// group's chat limit (R12) bounds the load in both. A group closed by its
/// business hours has none (R30): every question about candidates —
/// routing, fallbacks, availability, the form, the queue — comes here.
struct Sources<'a> {
    /// The group is closed now (R30).
    closed: bool,
    snap: &'a Snapshot,
    /// Agents left out: the chat's missed list (R27).
    skip: &'a [AgentIx],
    members: Option<&'a Tree>,
    wide: &'a Tree,
    group: Option<GroupIx>,
    below: Option<u32>,
}

impl<'a> Sources<'a> {
    fn of(snap: &'a Snapshot, state: &'a State, group: Option<GroupIx>, skip: &'a [AgentIx]) -> Self {
        let below = group_limit(snap, group);
        match group.filter(|g| snap.group(*g).is_some()) {
            Some(g) => Sources {
                closed: state.is_closed(g),
                snap,
                skip,
                members: state.pool_group(g),
                wide: state.pool_everyone(),
                group: Some(g),
                below,
            },
            None => {
                Sources { closed: false, snap, skip, members: None, wide: state.pool_ungrouped(), group: None, below }
            }
        }
    }

    /// Whether `a` is left out of this chat's candidates.
    fn skipped(&self, a: AgentIx) -> bool {
        self.skip.contains(&a)
    }

    /// Whether `a` is a member of the group (so not counted as a wide viewer).
    fn member(&self, a: AgentIx) -> bool {
        self.group.is_some_and(|g| self.snap.agent(a).is_some_and(|(_, c)| c.groups.contains(g)))
    }

    /// The candidate with the least key: best tier, then R16's order.
    /// O(log agents), plus the members among the wide viewers skipped.
    fn best(&self) -> Option<(Key, AgentIx)> {
        if self.closed {
            return None;
        }
        let mine = self.members.and_then(|t| t.best(self.below, |a| self.skipped(a)));
        let wide = self.wide.best(self.below, |a| self.member(a) || self.skipped(a));
        match (mine, wide) {
            (Some(m), Some(w)) => Some(m.min(w)),
            (m, w) => m.or(w),
        }
    }
}

impl Sources<'_> {
    /// The preferred agent when it could be offered the chat at all (R15):
    /// its leaf in the index that holds it for this chat. O(log agents).
    fn offers(&self, preferred: Option<AgentIx>) -> Option<AgentIx> {
        preferred.filter(|&p| !self.skipped(p)).filter(|&p| match self.members.filter(|_| self.member(p)) {
            Some(tree) => tree.offers(p, self.below),
            None => !self.member(p) && self.wide.offers(p, self.below),
        })
    }
}

/// R15 in one group: calls `emit` with each candidate in offer order — the
/// preferred agent first when it is offerable, then the agents of the best
/// tier in configuration order (the group's members merged with the wide
/// viewers). O((1 + output) · log agents).
pub(crate) fn each_in_group(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<AgentIx>,
    skip: &[AgentIx],
    mut emit: impl FnMut(AgentIx),
) {
    let sources = Sources::of(snap, state, group, skip);
    let Some((key, _)) = sources.best() else { return };
    let best = tier_of(key);
    let pref = sources.offers(preferred);
    if let Some(p) = pref {
        emit(p);
    }
    let (mut mine, mut others): (SmallVec<[AgentIx; 32]>, SmallVec<[AgentIx; 32]>) = Default::default();
    if let Some(tree) = sources.members {
        tree.each(|k| tier_of(k).cmp(&best), sources.below, |a| sources.skipped(a), |a| mine.push(a));
    }
    if best == Tier::Normal {
        sources.wide.each(
            |k| tier_of(k).cmp(&best),
            sources.below,
            |a| sources.member(a) || sources.skipped(a),
            |a| others.push(a),
        );
    }
    let mut mine = mine.into_iter().peekable();
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

/// R16 in one group: the candidate a single-agent strategy gives a chat in
/// `group` to — the preferred agent when it is a candidate, else the
/// candidate with the least key (best tier, then the strategy's order; the
/// indexes are kept in the order of the account's strategy); `None` when
/// the group has no candidate. O(log agents).
fn first_by_key(sources: &Sources<'_>, preferred: Option<AgentIx>) -> Option<AgentIx> {
    let (_, best) = sources.best()?;
    Some(sources.offers(preferred).unwrap_or(best))
}

/// R17 with R16: the group a chat in `group` is served in — the first of
/// its fallback chain with a candidate not in `skip` — and the agent a
/// single-agent strategy would give it to there; `None` when nobody could
/// take it. One look at each group's candidates, the same as
/// [`serving_group`]'s. Cost: O(log agents) per group of the chain up to
/// the first with a candidate.
pub(crate) fn serving_pick(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<AgentIx>,
    skip: &[AgentIx],
) -> Option<(Option<GroupIx>, AgentIx)> {
    along_chain(snap, group, |g| first_by_key(&Sources::of(snap, state, g, skip), preferred).map(|a| (g, a)))
}

/// R17's walk, written once: the first answer `tried` gives along the
/// fallback chain of `group` (the group itself first; an ungrouped chat has
/// no chain). O(chain) calls of `tried` at most.
fn along_chain<T>(
    snap: &Snapshot,
    group: Option<GroupIx>,
    mut tried: impl FnMut(Option<GroupIx>) -> Option<T>,
) -> Option<T> {
    match group {
        None => tried(None),
        Some(own) => snap.chain(own).find_map(|g| tried(Some(g))),
    }
}

/// Whether a new chat in `group` itself (no fallback) has a candidate (R15).
/// O(log agents), no allocation.
fn has_candidate(snap: &Snapshot, state: &State, group: Option<GroupIx>, skip: &[AgentIx]) -> bool {
    Sources::of(snap, state, group, skip).best().is_some()
}

/// R17: the group a chat in `group` is served in — the first of the
/// fallback chain with a candidate not in `skip` (`Some(None)` for an
/// ungrouped chat with one) — or `None` when nobody could take it. Cost:
/// O(log agents) per group of the chain up to the first with a candidate.
pub(crate) fn serving_group(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    skip: &[AgentIx],
) -> Option<Option<GroupIx>> {
    along_chain(snap, group, |g| has_candidate(snap, state, g, skip).then_some(g))
}

/// R10: whether a new chat in `group` would have a candidate, following the
/// fallback chain: the same computation as R15's. Cost: that of
/// [`serving_group`], no allocation.
pub(crate) fn is_online(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> bool {
    serving_group(snap, state, group, &[]).is_some()
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
            if has_candidate(snap, state, Some(g), &[]) {
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
