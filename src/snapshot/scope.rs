//! What an agent may see, decided once per revision: R1, R5, R6, R7, R8.
//!
//! The scope is compiled into the snapshot so that visibility of one visitor
//! is a match and a bit test, and so that the per-group viewer lists used by
//! `visible_agents`, candidates and availability come from the same rules.

use crate::config::{Plan, Policy, Role, UnassignedAgents, UngroupedVisitors};
use crate::rule::Rule;

/// Which visitors an agent sees, by their effective group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Disabled (R8): nothing.
    Disabled,
    /// Every visitor: R1 (plan without groups), R7 (admin), or R5 `see_all`.
    Everything(Grant),
    /// An agent with groups (R4): visitors of its groups, and ungrouped ones
    /// when R6 says so.
    Groups {
        /// R6: whether it sees ungrouped visitors.
        ungrouped: bool,
    },
    /// R5 `see_ungrouped`: only ungrouped visitors.
    UngroupedOnly,
    /// R5 `see_nothing`.
    Nothing,
}

impl Scope {
    /// The one place R1, R5–R8 are decided for an agent.
    pub(crate) fn of(plan: Plan, policy: &Policy, enabled: bool, role: Role, has_groups: bool) -> Scope {
        if !enabled {
            return Scope::Disabled;
        }
        if !plan.has_groups() {
            return Scope::Everything(Grant::R1);
        }
        if policy.admins_see_all && role.is_admin() {
            return Scope::Everything(Grant::R7);
        }
        if !has_groups {
            return match policy.unassigned_agents {
                UnassignedAgents::SeeAll => Scope::Everything(Grant::R5),
                UnassignedAgents::SeeUngrouped => Scope::UngroupedOnly,
                UnassignedAgents::SeeNothing => Scope::Nothing,
            };
        }
        Scope::Groups { ungrouped: policy.ungrouped_visitors == UngroupedVisitors::VisibleToAll }
    }

    /// Whether an ungrouped visitor is visible.
    pub(crate) fn sees_ungrouped(self) -> bool {
        matches!(self, Scope::Everything(_) | Scope::UngroupedOnly | Scope::Groups { ungrouped: true })
    }
}

/// The rule that lets an agent see everything (one byte, to keep scopes small).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grant {
    /// A plan without groups.
    R1,
    /// An unassigned agent under `see_all`.
    R5,
    /// An admin under `admins_see_all`.
    R7,
}

impl Grant {
    pub(crate) fn rule(self) -> Rule {
        match self {
            Grant::R1 => Rule::R1,
            Grant::R5 => Rule::R5,
            Grant::R7 => Rule::R7,
        }
    }
}
