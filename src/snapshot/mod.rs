//! One revision of a configuration, compiled for fast queries and immutable.

mod bits;
mod change;
mod scope;

use indexmap::IndexMap;
use smallvec::SmallVec;

pub use change::{Change, ChangeError};

use crate::config::{Config, Plan, Policy, Tier};
use crate::ids::{AgentId, GroupId};
pub(crate) use bits::BitSet;
pub(crate) use scope::Scope;

/// Dense index of a group in one snapshot (configuration order).
pub(crate) type GroupIx = usize;
/// Dense index of an agent in one snapshot (configuration order).
pub(crate) type AgentIx = usize;

#[derive(Debug, Clone)]
pub(crate) struct CompiledGroup {
    pub(crate) fallback: Option<GroupIx>,
    pub(crate) chat_limit: Option<u32>,
    pub(crate) in_contact_form: bool,
    /// Members who see the group's visitors — the enabled ones (R4, R8) —
    /// in configuration order.
    pub(crate) members: Vec<AgentIx>,
}

#[derive(Debug, Clone)]
pub(crate) struct CompiledAgent {
    /// What the agent sees (R1, R5–R8).
    pub(crate) scope: Scope,
    /// Own limit, or the account default (R12).
    pub(crate) chat_limit: Option<u32>,
    pub(crate) groups: BitSet,
    pub(crate) tiers: SmallVec<[(GroupIx, Tier); 2]>,
}

impl CompiledAgent {
    /// The enabled flag (R8).
    pub(crate) fn enabled(&self) -> bool {
        self.scope != Scope::Disabled
    }

    /// The membership tier in `group`, `None` when not a member. O(memberships).
    pub(crate) fn tier_in(&self, group: GroupIx) -> Option<Tier> {
        self.tiers.iter().find(|(g, _)| *g == group).map(|(_, t)| *t)
    }
}

/// An immutable, compiled revision of an account's configuration.
///
/// Cheap to query: group and agent lookups are O(1) hash lookups, membership
/// tests O(1) bit tests. Every change gives a new snapshot with the next
/// revision number and leaves this one untouched (R9, R24).
///
/// ```
/// use groupgate::{Change, ConfigBuilder, GroupSpec, Snapshot};
/// let v1 = Snapshot::new(ConfigBuilder::new().group(GroupSpec::new("en")).build().unwrap());
/// let v2 = v1.apply(&Change::AddGroup(GroupSpec::new("de"))).unwrap();
/// assert_eq!((v1.revision(), v2.revision()), (1, 2));
/// assert_eq!(v1.config().groups().len(), 1); // unchanged
/// assert!(v1.apply(&Change::AddGroup(GroupSpec::new("en"))).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Snapshot {
    revision: u64,
    config: Config,
    groups: IndexMap<GroupId, CompiledGroup>,
    agents: IndexMap<AgentId, CompiledAgent>,
    /// Agents who see every visitor, in configuration order.
    everyone: Vec<AgentIx>,
    /// Agents who see ungrouped visitors, in configuration order.
    ungrouped_viewers: Vec<AgentIx>,
    /// The agents' ids by index, apart from the rest so that listing agents
    /// reads a small array.
    agent_ids: Vec<AgentId>,
}

impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && self.config == other.config
    }
}

impl Snapshot {
    /// Compiles `config` as revision 1. Cost: O(size of the configuration).
    ///
    /// ```
    /// # use groupgate::*;
    /// let snap = Snapshot::new(ConfigBuilder::new().plan(Plan::Pro).agent(AgentSpec::new("anna")).build().unwrap());
    /// assert_eq!(snap.revision(), 1);
    /// ```
    pub fn new(config: Config) -> Self {
        Self::with_revision(config, 1)
    }

    /// Compiles `config` as the given revision, for a host that restores a
    /// stored account. Cost: O(size of the configuration).
    ///
    /// ```
    /// let config = groupgate::ConfigBuilder::new().build().unwrap();
    /// assert_eq!(groupgate::Snapshot::with_revision(config, 42).revision(), 42);
    /// ```
    pub fn with_revision(config: Config, revision: u64) -> Self {
        let mut groups: IndexMap<GroupId, CompiledGroup> = config
            .groups
            .iter()
            .map(|g| {
                let compiled = CompiledGroup {
                    fallback: None,
                    chat_limit: g.chat_limit,
                    in_contact_form: g.in_contact_form,
                    members: Vec::new(),
                };
                (g.id.clone(), compiled)
            })
            .collect();
        for (i, g) in config.groups.iter().enumerate() {
            let fallback = g.fallback.as_ref().and_then(|f| groups.get_index_of(f));
            if let Some((_, c)) = groups.get_index_mut(i) {
                c.fallback = fallback;
            }
        }
        let mut agents: IndexMap<AgentId, CompiledAgent> = IndexMap::with_capacity(config.agents.len());
        for (ix, a) in config.agents.iter().enumerate() {
            let scope = Scope::of(config.plan, &config.policy, a.enabled, a.role, !a.memberships.is_empty());
            let chat_limit = a.chat_limit.or(config.policy.default_chat_limit);
            let mut compiled = CompiledAgent { scope, chat_limit, groups: BitSet::default(), tiers: SmallVec::new() };
            for m in &a.memberships {
                if let Some((g, _, group)) = groups.get_full_mut(&m.group) {
                    compiled.groups.insert(g);
                    compiled.tiers.push((g, m.tier));
                    if compiled.enabled() {
                        group.members.push(ix);
                    }
                }
            }
            agents.insert(a.id.clone(), compiled);
        }
        let everyone = agents.values().enumerate().filter(|(_, a)| matches!(a.scope, Scope::Everything(_)));
        let everyone = everyone.map(|(i, _)| i).collect();
        let ungrouped_viewers =
            agents.values().enumerate().filter(|(_, a)| a.scope.sees_ungrouped()).map(|(i, _)| i).collect();
        let agent_ids = agents.keys().cloned().collect();
        Snapshot { revision, config, groups, agents, everyone, ungrouped_viewers, agent_ids }
    }

    /// The revision number: 1 for a new account, one more for every change.
    #[inline]
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The configuration of this revision.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The policies. Same as `config().policy()`.
    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }

    /// The plan. Same as `config().plan()`.
    pub fn plan(&self) -> Plan {
        self.config.plan
    }

    /// Whether `id` names a group that works on this revision: `false` for
    /// every id when the plan has no groups (R1). Cost: O(1).
    ///
    /// ```
    /// use groupgate::{Change, ConfigBuilder, GroupSpec, Plan, Snapshot};
    /// let pro = Snapshot::new(ConfigBuilder::new().group(GroupSpec::new("en")).build().unwrap());
    /// assert!(pro.resolves("en") && !pro.resolves("fr"));
    /// let free = pro.apply(&Change::SetPlan(Plan::Free)).unwrap();
    /// assert!(!free.resolves("en"));
    /// ```
    pub fn resolves(&self, id: &str) -> bool {
        self.group_ix(id).is_some()
    }

    /// The configuration's own copy of a group id, when it defines one equal
    /// to `id`, so that visitors' tags share it instead of holding copies.
    pub(crate) fn shared_group_id(&self, id: GroupId) -> GroupId {
        self.groups.get_key_value(id.as_str()).map_or(id, |(own, _)| own.clone())
    }

    /// Whether the configuration has an agent with this id. Cost: O(1).
    pub fn has_agent(&self, id: &str) -> bool {
        self.agents.contains_key(id)
    }

    /// The group an id resolves to, `None` under a plan without groups (R1).
    pub(crate) fn group_ix(&self, id: &str) -> Option<GroupIx> {
        if !self.config.plan.has_groups() {
            return None;
        }
        self.groups.get_index_of(id)
    }

    /// Whether the configuration defines `id`, whatever the plan. O(1).
    pub(crate) fn defines(&self, id: &str) -> bool {
        self.groups.contains_key(id)
    }

    /// Whether ids resolve to the same groups at the same indices in both
    /// snapshots, so that cached effective groups stay valid. O(groups).
    pub(crate) fn same_groups(&self, other: &Snapshot) -> bool {
        self.plan().has_groups() == other.plan().has_groups() && self.groups.keys().eq(other.groups.keys())
    }

    /// The groups this snapshot adds at the end of `previous`'s list, when
    /// that is its only difference in groups (same plan, the same groups
    /// first): visitors' cached groups then hold except for tags naming the
    /// added ids. `None` otherwise. O(groups).
    pub(crate) fn groups_added_to<'a>(&'a self, previous: &Snapshot) -> Option<impl Iterator<Item = &'a GroupId>> {
        let n = previous.groups.len();
        let same_start = self.plan().has_groups() == previous.plan().has_groups()
            && self.groups.len() >= n
            && self.groups.keys().take(n).eq(previous.groups.keys());
        same_start.then(|| self.groups.keys().skip(n))
    }

    /// Whether both snapshots have the same agents in the same order. O(agents).
    pub(crate) fn same_agents(&self, other: &Snapshot) -> bool {
        self.agents.keys().eq(other.agents.keys())
    }

    pub(crate) fn group(&self, g: GroupIx) -> Option<(&GroupId, &CompiledGroup)> {
        self.groups.get_index(g)
    }

    /// Groups that work on this revision (none under R1), in config order.
    pub(crate) fn live_groups(&self) -> impl Iterator<Item = (GroupIx, &GroupId, &CompiledGroup)> {
        let n = if self.config.plan.has_groups() { self.groups.len() } else { 0 };
        self.groups.iter().take(n).enumerate().map(|(i, (id, g))| (i, id, g))
    }

    pub(crate) fn agent_ix(&self, id: &str) -> Option<AgentIx> {
        self.agents.get_index_of(id)
    }

    #[inline]
    pub(crate) fn agent(&self, a: AgentIx) -> Option<(&AgentId, &CompiledAgent)> {
        self.agents.get_index(a)
    }

    pub(crate) fn agents(&self) -> impl ExactSizeIterator<Item = (AgentIx, &AgentId, &CompiledAgent)> {
        self.agents.iter().enumerate().map(|(i, (id, a))| (i, id, a))
    }

    /// The id of the agent at `a`. O(1).
    #[inline]
    pub(crate) fn agent_id(&self, a: AgentIx) -> Option<&AgentId> {
        self.agent_ids.get(a)
    }

    /// An index of the agents who see a visitor whose effective group is
    /// `group`, in configuration order: the group's enabled members merged
    /// with the agents whose scope is everything (for ungrouped visitors:
    /// those whose scope includes them). Built from the compiled scopes, so
    /// it lists exactly the agents `decide::visibility` lets see the
    /// visitor (the property tests compare it with the model). O(output),
    /// no allocation.
    pub(crate) fn viewer_index(&self, group: Option<GroupIx>) -> Viewers<'_> {
        match group.and_then(|g| self.group(g)) {
            None => Viewers { members: &[], everyone: &self.ungrouped_viewers },
            Some((_, g)) => Viewers { members: &g.members, everyone: &self.everyone },
        }
    }

    /// Groups on `g`'s fallback chain, `g` first (R17); just `g` under R1.
    /// The chain is finite: cycles are rejected when building.
    pub(crate) fn chain(&self, g: GroupIx) -> impl Iterator<Item = GroupIx> + '_ {
        let mut next = Some(g);
        let mut steps = 0usize;
        std::iter::from_fn(move || {
            let here = next?;
            steps += 1;
            // A guard only: validation makes chains acyclic.
            next = self.group(here).and_then(|(_, c)| c.fallback).filter(|_| steps <= self.groups.len());
            Some(here)
        })
    }
}

/// The merge of a group's members with the agents who see everything: both
/// ascending; an agent in both comes out once.
pub(crate) struct Viewers<'a> {
    members: &'a [AgentIx],
    everyone: &'a [AgentIx],
}

impl Iterator for Viewers<'_> {
    type Item = AgentIx;

    fn next(&mut self) -> Option<AgentIx> {
        let next = match (self.members.first(), self.everyone.first()) {
            (Some(m), Some(e)) => *m.min(e),
            (Some(x), None) | (None, Some(x)) => *x,
            (None, None) => return None,
        };
        // An agent in both lists (an admin member under R7) comes out once.
        for list in [&mut self.members, &mut self.everyone] {
            if list.first() == Some(&next) {
                *list = list.get(1..).unwrap_or(&[]);
            }
        }
        Some(next)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (m, e) = (self.members.len(), self.everyone.len());
        (m.max(e), Some(m + e))
    }
}
