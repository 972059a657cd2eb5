//! R15 (candidates for a new chat, with R17's fallback walk) and R10 (chat-box
//! availability), which is "is there any candidate".

use super::claim::check;
use crate::config::Tier;
use crate::ids::{AgentId, GroupId};
use crate::snapshot::{AgentIx, GroupIx, Snapshot};
use crate::state::{State, Status};

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
/// account.visit("v1".parse().unwrap(), Some("en".parse().unwrap()));
/// let c = account.candidates("v1");
/// assert_eq!(c.agents(), ["bob"]); // `last` only when no `normal` agent is
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
    let (id, _) = snap.agent(agent)?;
    if state.status_of(id.as_str()) != Status::Online || !check(snap, state, agent, group, None).is_allowed() {
        return None;
    }
    Some(tier(snap, agent, group)).filter(|t| *t != Tier::Supervisor)
}

/// Candidates in one group (no fallback). Cost: O(agents).
fn in_group(snap: &Snapshot, state: &State, group: Option<GroupIx>, preferred: Option<&str>) -> Vec<AgentIx> {
    let tiers: Vec<(AgentIx, Tier)> =
        snap.agents().filter_map(|(a, _, _)| Some((a, offerable(snap, state, a, group)?))).collect();
    let best = tiers.iter().map(|(_, t)| *t).min();
    let pref = preferred.and_then(|p| snap.agent_ix(p)).filter(|p| tiers.iter().any(|(a, _)| a == p));
    let rest = tiers.iter().filter(|(a, t)| Some(*t) == best && Some(*a) != pref).map(|(a, _)| *a);
    pref.into_iter().chain(rest).collect()
}

/// R15 with R17: candidates in the first group of the chain that has any.
/// Returns the group tried last (the visitor's own when none has any).
pub(crate) fn candidates(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<&str>,
) -> (Option<GroupIx>, Vec<AgentIx>) {
    let Some(own) = group else {
        return (None, in_group(snap, state, None, preferred));
    };
    snap.chain(own)
        .map(|g| (Some(g), in_group(snap, state, Some(g), preferred)))
        .find(|(_, agents)| !agents.is_empty())
        .unwrap_or((group, Vec::new()))
}

/// R10: whether a new chat in `group` would have a candidate, following the
/// fallback chain. Cost: O(agents · chain length), no allocation.
pub(crate) fn is_online(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> bool {
    let any = |g: Option<GroupIx>| snap.agents().any(|(a, _, _)| offerable(snap, state, a, g).is_some());
    match group {
        None => any(None),
        Some(own) => snap.chain(own).any(|g| any(Some(g))),
    }
}
