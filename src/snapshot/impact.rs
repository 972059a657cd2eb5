//! What a configuration change did to the compiled revision, computed once
//! by comparing the two snapshots. Every fast path of a change reads it —
//! the availability it may have touched (`decide::refresh`), the agents
//! whose candidate trees change and whose chats go back to the queue
//! (`state`), the visitors' cached groups (`account`) — instead of each
//! comparing fields of its own. Comparisons are derived (`PartialEq` of the
//! compiled rows), never field lists, so a new setting is compared the day
//! it is added.

use super::{AgentIx, GroupIx, Snapshot};

/// What changed between two revisions (see the module's docs). Cost to
/// compute: O(groups + agents / 64 + the agents in the chunks the change
/// copied), O(agents) when the agents themselves changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangeImpact {
    /// Same plan, policy and schedules.
    pub(crate) settings_same: bool,
    /// Same routing strategy (R16): the candidate trees' keys hold.
    pub(crate) routing_same: bool,
    /// Same group ids at the same indexes, under a plan that has (or has
    /// not) groups in both: cached effective groups hold.
    pub(crate) groups_same: bool,
    /// Same agent ids at the same indexes.
    pub(crate) agents_same: bool,
    /// With the same groups: those whose compiled row (settings, members)
    /// differs, ascending. Empty otherwise.
    pub(crate) groups_changed: Vec<GroupIx>,
    /// With the same agents: those in the chunks of rows the change copied,
    /// ascending — the agents whose answers may differ even with an equal
    /// row (a row names groups by index, and the groups may have changed).
    /// Empty otherwise.
    pub(crate) agents_touched: Vec<AgentIx>,
    /// Of those, the ones whose compiled row differs.
    pub(crate) agents_changed: Vec<AgentIx>,
}

impl Snapshot {
    /// What changes from `self` to `next` (see [`ChangeImpact`]).
    pub(crate) fn impact(&self, next: &Snapshot) -> ChangeImpact {
        let groups_same = self.same_groups(next);
        let agents_same = self.same_agents(next);
        let groups_changed = if groups_same {
            (0..next.groups.len()).filter(|&g| self.groups.get_index(g) != next.groups.get_index(g)).collect()
        } else {
            Vec::new()
        };
        let agents_touched: Vec<AgentIx> =
            if agents_same { self.agents.unshared(&next.agents).collect() } else { Vec::new() };
        let agents_changed = agents_touched.iter().copied().filter(|&ix| self.agent(ix) != next.agent(ix)).collect();
        ChangeImpact {
            settings_same: self.plan() == next.plan()
                && self.policy() == next.policy()
                && self.config().schedules() == next.config().schedules(),
            routing_same: self.policy().routing == next.policy().routing,
            groups_same,
            agents_same,
            groups_changed,
            agents_touched,
            agents_changed,
        }
    }
}

impl Snapshot {
    /// Whether two snapshots compiled the same: every row a decision reads,
    /// not only the configuration they came from. For checking a patched
    /// revision against one compiled whole. O(groups + agents).
    pub(crate) fn same_compiled(&self, other: &Snapshot) -> bool {
        self == other
            && self.groups == other.groups
            && self.agent_index == other.agent_index
            && self.agents == other.agents
            && self.everyone == other.everyone
            && self.ungrouped_viewers == other.ungrouped_viewers
            && self.fallen_from == other.fallen_from
    }
}
