//! R15 (candidates for a new chat, with R17's fallback walk) and R10 (chat-box
//! availability), which is "is there any candidate".

use super::claim::check;
use super::visibility::viewers;
use smallvec::SmallVec;

use crate::config::Tier;
use crate::ids::{AgentId, GroupId};
use crate::snapshot::{AgentIx, GroupIx, Snapshot};
use crate::state::State;

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
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap()));
    /// assert_eq!(account.candidates("v1").agents(), ["bob"]);
    /// ```
    pub fn agents(&self) -> &[&'a AgentId] {
        &self.agents
    }
    /// The group the candidates were found in (the visitor's own, or one on
    /// its fallback chain); `None` for an ungrouped visitor.
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap()));
    /// assert_eq!(account.candidates("v1").group().unwrap(), "de"); // R17
    /// ```
    pub fn group(&self) -> Option<&'a GroupId> {
        self.group
    }
    /// Whether the group is a fallback, not the visitor's own (R17).
    ///
    /// ```
    /// # use groupgate::*;
    /// # let mut account = Account::new(ConfigBuilder::new()
    /// #     .group(GroupSpec::new("en").fallback("de")).group(GroupSpec::new("de"))
    /// #     .agent(AgentSpec::new("anna").member("en")).agent(AgentSpec::new("bob").member("de"))
    /// #     .build().unwrap());
    /// # account.set_status("bob", Status::Online).unwrap();
    /// # account.visit("v1".parse().unwrap(), Some("en".parse().unwrap()));
    /// assert!(account.candidates("v1").moved());
    /// ```
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

/// R15 in one group: calls `emit` with each candidate in offer order — the
/// preferred agent first when it is offerable, then the agents of the best
/// tier in configuration order. One pass over the group's viewers; the
/// offerable ones wait in a stack buffer (heap only past 32 of them).
pub(crate) fn each_in_group(
    snap: &Snapshot,
    state: &State,
    group: Option<GroupIx>,
    preferred: Option<AgentIx>,
    mut emit: impl FnMut(AgentIx),
) {
    let offered: SmallVec<[(AgentIx, Tier); 32]> =
        viewers(snap, group).filter_map(|a| Some((a, offerable(snap, state, a, group)?))).collect();
    let Some(best) = offered.iter().map(|(_, t)| *t).min() else { return };
    let pref = preferred.filter(|p| offered.iter().any(|(a, _)| a == p));
    if let Some(p) = pref {
        emit(p);
    }
    for &(a, t) in &offered {
        if t == best && Some(a) != pref {
            emit(a);
        }
    }
}

/// R17: the group a new chat in `group` is served in — the first of the
/// fallback chain with a candidate (`Some(None)` for an ungrouped chat with
/// one) — or `None` when nobody could take it. Cost: O(agents · chain).
pub(crate) fn serving_group(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> Option<Option<GroupIx>> {
    let any = |g: Option<GroupIx>| viewers(snap, g).any(|a| offerable(snap, state, a, g).is_some());
    match group {
        None => any(None).then_some(None),
        Some(own) => snap.chain(own).find(|&g| any(Some(g))).map(Some),
    }
}

/// R10: whether a new chat in `group` would have a candidate, following the
/// fallback chain: the same computation as R15's. Cost: O(agents · chain
/// length), no allocation.
pub(crate) fn is_online(snap: &Snapshot, state: &State, group: Option<GroupIx>) -> bool {
    serving_group(snap, state, group).is_some()
}
