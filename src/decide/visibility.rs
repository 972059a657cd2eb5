//! R1, R4–R8: whether an agent sees a visitor of a given effective group.

use super::Reason;
use crate::config::{UnassignedAgents, UngroupedVisitors};
use crate::snapshot::{CompiledAgent, GroupIx, Snapshot};

/// Whether an agent sees a visitor, and the rule that decided.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Reason};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
///     .agent(AgentSpec::new("anna").member("en"))
///     .build().unwrap());
/// account.visit("v1".parse().unwrap(), Some("de".parse().unwrap()));
/// let v = account.sees("anna", "v1");
/// assert!(!v.is_visible());
/// assert_eq!((v.reason(), v.rule()), (Some(Reason::NotInGroup), "R4"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// The agent sees the visitor.
    Visible {
        /// The rule that grants it.
        rule: &'static str,
    },
    /// The agent does not see the visitor.
    Hidden {
        /// Why.
        reason: Reason,
        /// The rule that decided.
        rule: &'static str,
    },
}

impl Visibility {
    /// Whether visible.
    pub fn is_visible(self) -> bool {
        matches!(self, Visibility::Visible { .. })
    }
    /// The reason when hidden.
    pub fn reason(self) -> Option<Reason> {
        match self {
            Visibility::Visible { .. } => None,
            Visibility::Hidden { reason, .. } => Some(reason),
        }
    }
    /// The rule id that decided.
    pub fn rule(self) -> &'static str {
        match self {
            Visibility::Visible { rule } | Visibility::Hidden { rule, .. } => rule,
        }
    }
}

const fn hidden(reason: Reason, rule: &'static str) -> Visibility {
    Visibility::Hidden { reason, rule }
}

/// The one place visibility is decided. `group` is the visitor's effective
/// group in `snap` (`None`: ungrouped). Cost: O(1), no allocation.
pub(crate) fn visibility(snap: &Snapshot, agent: &CompiledAgent, group: Option<GroupIx>) -> Visibility {
    let hidden_here = match group {
        None => Reason::UngroupedHidden,
        Some(_) => Reason::NotInGroup,
    };
    if !agent.enabled {
        return hidden(Reason::AgentDisabled, "R8");
    }
    if !snap.plan().has_groups() {
        return Visibility::Visible { rule: "R1" };
    }
    let policy = snap.policy();
    if policy.admins_see_all && agent.role.is_admin() {
        return Visibility::Visible { rule: "R7" };
    }
    if agent.is_unassigned() {
        return match (policy.unassigned_agents, group) {
            (UnassignedAgents::SeeAll, _) | (UnassignedAgents::SeeUngrouped, None) => {
                Visibility::Visible { rule: "R5" }
            }
            _ => hidden(hidden_here, "R5"),
        };
    }
    match group {
        None if policy.ungrouped_visitors == UngroupedVisitors::VisibleToAll => Visibility::Visible { rule: "R6" },
        None => hidden(Reason::UngroupedHidden, "R6"),
        Some(g) if agent.groups.contains(g) => Visibility::Visible { rule: "R4" },
        Some(_) => hidden(Reason::NotInGroup, "R4"),
    }
}
