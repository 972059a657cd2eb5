//! One revision of a configuration, compiled for fast queries and immutable.

mod bits;
mod change;
mod impact;
mod scope;

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::{IndexMap, IndexSet};
use smallvec::SmallVec;

pub use change::{Change, ChangeError};

use crate::config::{Agent, Config, Group, Plan, Policy, Tier};
use crate::hash::IdHasher;
use crate::ids::{AgentId, GroupId};
use crate::rows::Rows;
pub(crate) use bits::BitSet;
pub(crate) use impact::ChangeImpact;
pub(crate) use scope::Scope;

/// Dense index of a group in one snapshot (configuration order).
pub(crate) type GroupIx = usize;
/// Dense index of an agent in one snapshot (configuration order).
pub(crate) type AgentIx = usize;

/// An agent index as the snapshot's lists keep it (4 bytes; an account has
/// fewer than 2³² agents).
pub(crate) type Listed = u32;

/// The list form of an agent index.
fn listed(ix: AgentIx) -> Listed {
    Listed::try_from(ix).unwrap_or(Listed::MAX)
}

/// What decisions read of a group, compiled: the one place a group's
/// settings are projected for the hot path (`CompiledGroup::of`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompiledGroup {
    pub(crate) fallback: Option<GroupIx>,
    pub(crate) chat_limit: Option<u32>,
    pub(crate) in_contact_form: bool,
    /// How long a chat waits here before it moves on to the fallback (R29).
    pub(crate) overflow_after: Option<u64>,
    /// The index of its schedule among the configuration's (R30).
    pub(crate) schedule: Option<usize>,
    /// Members who see the group's visitors — the enabled ones (R4, R8) —
    /// in configuration order; shared between revisions until it changes.
    pub(crate) members: Arc<[Listed]>,
}

impl CompiledGroup {
    /// Group `g` compiled, with its schedule's index and its members; the
    /// fallback's index is set once every group has one.
    fn of(g: &Group, schedule: Option<usize>, members: Arc<[Listed]>) -> Self {
        CompiledGroup {
            fallback: None,
            chat_limit: g.chat_limit(),
            in_contact_form: g.in_contact_form(),
            overflow_after: g.overflow_after(),
            schedule,
            members,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompiledAgent {
    /// What the agent sees (R1, R5–R8).
    pub(crate) scope: Scope,
    /// Own limit, or the account default (R12).
    pub(crate) chat_limit: Option<u32>,
    pub(crate) groups: BitSet,
    /// Its groups with its tier in each, in membership order (group
    /// indexes as `u32` to keep agents small; see [`Self::memberships`]).
    tiers: SmallVec<[(u32, Tier); 2]>,
}

impl CompiledAgent {
    /// The enabled flag (R8).
    pub(crate) fn enabled(&self) -> bool {
        self.scope != Scope::Disabled
    }

    /// The groups whose member lists (the viewer index) hold the agent: its
    /// groups while it is enabled (R4, R8).
    pub(crate) fn listed_in(&self) -> impl Iterator<Item = GroupIx> + '_ {
        self.memberships().filter(|_| self.enabled()).map(|(g, _)| g)
    }

    /// Its groups with its tier in each, in membership order.
    pub(crate) fn memberships(&self) -> impl Iterator<Item = (GroupIx, Tier)> + '_ {
        self.tiers.iter().map(|&(g, t)| (g as GroupIx, t))
    }

    /// Whether the agent sees every visitor (R1, R5, R7).
    pub(crate) fn sees_everyone(&self) -> bool {
        matches!(self.scope, Scope::Everything(_))
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
///
/// A revision shares what it did not change with the one it came from (the
/// agent index, unchanged rows of agents, group member lists), so a change
/// to one agent or group costs about what it touches.
#[derive(Debug, Clone)]
pub struct Snapshot {
    revision: u64,
    config: Config,
    groups: IndexMap<GroupId, CompiledGroup, IdHasher>,
    /// Agent ids by index; shared while the agents stay the same.
    agent_index: Arc<IndexSet<AgentId, IdHasher>>,
    /// Compiled agents by index, in shared chunks.
    agents: Rows<CompiledAgent>,
    /// Agents who see every visitor, in configuration order.
    everyone: Arc<[Listed]>,
    /// Agents who see ungrouped visitors, in configuration order.
    ungrouped_viewers: Arc<[Listed]>,
    /// By group: the groups whose fallback it is (R17), ascending; shared
    /// while the fallbacks stay the same. A group's candidates changing
    /// changes the availability of the pages upstream of it only.
    fallen_from: Arc<[SmallVec<[GroupIx; 1]>]>,
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
        // For lookups only: nothing is iterated out of it (R25).
        let schedules: HashMap<&str, usize> =
            config.schedules.iter().enumerate().map(|(i, s)| (s.id().as_str(), i)).collect();
        let mut groups: IndexMap<GroupId, CompiledGroup, IdHasher> = config
            .groups
            .iter()
            .map(|g| {
                let schedule = g.schedule.as_ref().and_then(|s| schedules.get(s.as_str()).copied());
                (g.id.clone(), CompiledGroup::of(g, schedule, Arc::from([])))
            })
            .collect();
        for (i, g) in config.groups.iter().enumerate() {
            let fallback = g.fallback.as_ref().and_then(|f| groups.get_index_of(f));
            if let Some((_, c)) = groups.get_index_mut(i) {
                c.fallback = fallback;
            }
        }
        let agents: Rows<CompiledAgent> = config.agents.iter().map(|a| compile_agent(&config, &groups, a)).collect();
        let mut members: Vec<Vec<Listed>> = vec![Vec::new(); groups.len()];
        for (ix, a) in agents.iter().enumerate() {
            for g in a.listed_in() {
                if let Some(list) = members.get_mut(g) {
                    list.push(listed(ix));
                }
            }
        }
        for ((_, g), list) in groups.iter_mut().zip(members) {
            g.members = Arc::from(list);
        }
        let everyone: Arc<[Listed]> =
            agents.iter().enumerate().filter(|(_, a)| a.sees_everyone()).map(|(i, _)| listed(i)).collect();
        let ungrouped_viewers: Arc<[Listed]> =
            agents.iter().enumerate().filter(|(_, a)| a.scope.sees_ungrouped()).map(|(i, _)| listed(i)).collect();
        let agent_index = Arc::new(config.agents.iter().map(|a| a.id.clone()).collect());
        let mut fallen_from: Vec<SmallVec<[GroupIx; 1]>> = vec![SmallVec::new(); groups.len()];
        for (g, (_, c)) in groups.iter().enumerate() {
            if let Some(list) = c.fallback.and_then(|f| fallen_from.get_mut(f)) {
                list.push(g);
            }
        }
        let fallen_from = fallen_from.into();
        Snapshot { revision, config, groups, agent_index, agents, everyone, ungrouped_viewers, fallen_from }
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
        self.agent_index.contains(id)
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

    /// Whether both snapshots have the same agents in the same order: O(1)
    /// when the second came from the first by a change that kept them,
    /// O(agents) otherwise.
    pub(crate) fn same_agents(&self, other: &Snapshot) -> bool {
        Arc::ptr_eq(&self.agent_index, &other.agent_index) || self.agent_index.iter().eq(other.agent_index.iter())
    }

    pub(crate) fn group(&self, g: GroupIx) -> Option<(&GroupId, &CompiledGroup)> {
        self.groups.get_index(g)
    }

    /// Each group's overflow wait (R29), by index: its `overflow_after` when
    /// it has a fallback; none for every group under R1, where fallbacks do
    /// nothing. O(groups).
    pub(crate) fn overflow_waits(&self) -> Vec<Option<u64>> {
        self.live_groups().map(|(_, _, g)| g.fallback.and(g.overflow_after)).collect()
    }

    /// The schedule each group that works on this revision follows (R30),
    /// by group index: none for every group under R1, where schedules do
    /// nothing. O(groups).
    pub(crate) fn group_schedules(&self) -> impl Iterator<Item = Option<&crate::config::Schedule>> {
        self.live_groups().map(|(_, _, g)| g.schedule.and_then(|s| self.config.schedules.get(s)))
    }

    /// Groups that work on this revision (none under R1), in config order.
    pub(crate) fn live_groups(&self) -> impl Iterator<Item = (GroupIx, &GroupId, &CompiledGroup)> {
        let n = if self.config.plan.has_groups() { self.groups.len() } else { 0 };
        self.groups.iter().take(n).enumerate().map(|(i, (id, g))| (i, id, g))
    }

    pub(crate) fn agent_ix(&self, id: &str) -> Option<AgentIx> {
        self.agent_index.get_index_of(id)
    }

    /// The compiled agent at `a`, without its id. O(1).
    #[inline]
    pub(crate) fn compiled_agent(&self, a: AgentIx) -> Option<&CompiledAgent> {
        self.agents.get(a)
    }

    #[inline]
    pub(crate) fn agent(&self, a: AgentIx) -> Option<(&AgentId, &CompiledAgent)> {
        Some((self.agent_index.get_index(a)?, self.agents.get(a)?))
    }

    pub(crate) fn agents(&self) -> impl ExactSizeIterator<Item = (AgentIx, &AgentId, &CompiledAgent)> {
        self.agent_index.iter().zip(self.agents.iter()).enumerate().map(|(i, (id, a))| (i, id, a))
    }

    /// The id of the agent at `a`. O(1).
    #[inline]
    pub(crate) fn agent_id(&self, a: AgentIx) -> Option<&AgentId> {
        self.agent_index.get_index(a)
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
    /// The groups whose fallback chain (R17) passes through one of
    /// `groups` (those included), ascending: the pages whose availability
    /// (R10) a change of those groups' candidates can alter. O(those groups
    /// · log), plus a set of the groups' size.
    pub(crate) fn upstream_of(&self, groups: impl IntoIterator<Item = GroupIx>) -> Vec<GroupIx> {
        let mut seen = BitSet::default();
        let mut stack: Vec<GroupIx> = groups.into_iter().filter(|&g| g < self.groups.len()).collect();
        let mut out = Vec::new();
        while let Some(g) = stack.pop() {
            if seen.contains(g) {
                continue;
            }
            seen.insert(g);
            out.push(g);
            if let Some(from) = self.fallen_from.get(g) {
                stack.extend(from.iter().copied());
            }
        }
        out.sort_unstable();
        out
    }

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

/// Adds `ix` to, or takes it from, an ascending list shared between
/// revisions: a new list when it changes. O(list).
fn set_listed(list: &mut Arc<[Listed]>, ix: AgentIx, now: bool) {
    let ix = listed(ix);
    match (list.binary_search(&ix), now) {
        (Err(at), true) => {
            let (before, after) = list.split_at(at.min(list.len()));
            *list = before.iter().copied().chain(std::iter::once(ix)).chain(after.iter().copied()).collect();
        }
        (Ok(_), false) => *list = list.iter().copied().filter(|a| *a != ix).collect(),
        _ => {}
    }
}

impl Snapshot {
    /// The next revision after a change to agent `ix` alone, made in
    /// `config`: this revision with that agent recompiled and the lists that
    /// hold it patched; everything else shared. O(its groups' member lists,
    /// plus the lists of agents who see everything or ungrouped visitors
    /// when its scope moved it between those, plus a chunk of agents).
    fn with_agent(&self, config: Config, revision: u64, ix: AgentIx) -> Snapshot {
        let mut next = Snapshot { revision, config, ..self.clone() };
        let (Some(row), Some(old)) = (next.config.agents.get(ix), self.agents.get(ix)) else {
            return Snapshot::with_revision(next.config, revision);
        };
        let new = compile_agent(&next.config, &next.groups, row);
        let was: SmallVec<[GroupIx; 4]> = old.listed_in().collect();
        let now: SmallVec<[GroupIx; 4]> = new.listed_in().collect();
        for g in was.iter().chain(&now) {
            if let Some((_, group)) = next.groups.get_index_mut(*g) {
                set_listed(&mut group.members, ix, now.contains(g));
            }
        }
        set_listed(&mut next.everyone, ix, new.sees_everyone());
        set_listed(&mut next.ungrouped_viewers, ix, new.scope.sees_ungrouped());
        if let Some(r) = next.agents.get_mut(ix) {
            *r = new;
        }
        next
    }

    /// The next revision after a change to group `g`'s own settings (those
    /// that name no other id) made in `config`: its compiled row again, its
    /// fallback and members kept. O(groups).
    fn with_group(&self, config: Config, revision: u64, g: GroupIx) -> Snapshot {
        let mut next = Snapshot { revision, config, ..self.clone() };
        if let (Some(group), Some((_, compiled))) = (next.config.groups.get(g), next.groups.get_index_mut(g)) {
            let schedule = group.schedule.as_ref().and_then(|id| next.config.schedule_index(id.as_str()));
            let fallback = compiled.fallback;
            *compiled = CompiledGroup { fallback, ..CompiledGroup::of(group, schedule, compiled.members.clone()) };
        }
        next
    }
}

/// Compiles one agent of `config` against its compiled groups: the one
/// place an agent's scope, limit and memberships are decided for a
/// revision, whether built whole or patched by a change.
fn compile_agent(config: &Config, groups: &IndexMap<GroupId, CompiledGroup, IdHasher>, a: &Agent) -> CompiledAgent {
    let scope = Scope::of(config.plan, &config.policy, a.enabled, a.role, !a.memberships.is_empty());
    let chat_limit = a.chat_limit.or(config.policy.default_chat_limit);
    let mut compiled = CompiledAgent { scope, chat_limit, groups: BitSet::default(), tiers: SmallVec::new() };
    for m in &a.memberships {
        if let Some(g) = groups.get_index_of(&m.group) {
            compiled.groups.insert(g);
            if let Ok(g) = u32::try_from(g) {
                compiled.tiers.push((g, m.tier));
            }
        }
    }
    compiled
}

/// The merge of a group's members with the agents who see everything: both
/// ascending; an agent in both comes out once.
pub(crate) struct Viewers<'a> {
    members: &'a [Listed],
    everyone: &'a [Listed],
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
        Some(next as AgentIx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (m, e) = (self.members.len(), self.everyone.len());
        (m.max(e), Some(m + e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AgentPatch, AgentSpec, ConfigBuilder, GroupPatch, GroupSpec, Role};

    /// Everything a decision reads from a snapshot, in comparable form.
    fn compiled(s: &Snapshot) -> impl PartialEq + std::fmt::Debug {
        let groups: Vec<_> = s
            .groups
            .iter()
            .map(|(id, g)| (id.clone(), g.fallback, g.chat_limit, g.in_contact_form, g.members.to_vec()))
            .collect();
        let agents: Vec<_> = s.agents().map(|(i, id, a)| (i, id.clone(), a.clone())).collect();
        (groups, agents, s.everyone.to_vec(), s.ungrouped_viewers.to_vec())
    }

    #[test]
    fn a_patched_revision_equals_a_full_compile() {
        // Admins see everything and unassigned agents see everything, so
        // changes move agents in and out of every list.
        let policy = Policy {
            admins_see_all: true,
            unassigned_agents: crate::config::UnassignedAgents::SeeAll,
            ..Policy::default()
        };
        let mut b = ConfigBuilder::new().policy(policy);
        for g in 0..4 {
            b = b.group(GroupSpec::new(format!("g{g}")));
        }
        for a in 0..150 {
            let spec = AgentSpec::new(format!("a{a}"));
            b = b.agent(if a % 5 == 0 { spec } else { spec.member(format!("g{}", a % 4)) });
        }
        let mut snap = Snapshot::new(b.build().unwrap());
        let mut x: u64 = 5;
        let mut next = |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        for _ in 0..400 {
            let agent = format!("a{}", next(150));
            let group = format!("g{}", next(4));
            let change = match next(7) {
                0 => {
                    let tier = match next(3) {
                        0 => Tier::First,
                        1 => Tier::Normal,
                        _ => Tier::Supervisor,
                    };
                    Change::Assign { agent, group, tier }
                }
                1 => Change::Unassign { agent, group },
                2 => Change::SetEnabled { agent, enabled: next(3) != 0 },
                3 => {
                    let mut patch = AgentPatch::new(agent);
                    patch.role = Some(if next(2) == 0 { Role::Admin } else { Role::Agent });
                    Change::UpdateAgent(patch)
                }
                4 => {
                    let mut patch = AgentPatch::new(agent);
                    patch.chat_limit = Some(Some(u32::try_from(next(5)).unwrap()));
                    Change::UpdateAgent(patch)
                }
                5 => {
                    let mut patch = GroupPatch::new(group);
                    patch.chat_limit = Some(Some(2));
                    Change::UpdateGroup(patch)
                }
                _ => {
                    let mut patch = GroupPatch::new(group);
                    patch.in_contact_form = Some(next(2) == 0);
                    Change::UpdateGroup(patch)
                }
            };
            let Ok(patched) = snap.apply(&change) else { continue };
            let whole = Snapshot::with_revision(patched.config().clone(), patched.revision());
            assert_eq!(compiled(&patched), compiled(&whole), "after {change:?}");
            snap = patched;
        }
    }
}
