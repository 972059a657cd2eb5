//! R1, R4–R8: whether an agent sees a visitor of a given effective group.

use super::Reason;
use crate::rule::Rule;
use crate::snapshot::{AgentIx, CompiledAgent, GroupIx, Scope, Snapshot};

/// Whether an agent sees a visitor, and the rule that decided.
///
/// ```
/// use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Reason, Rule};
/// let mut account = Account::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en")).group(GroupSpec::new("de"))
///     .agent(AgentSpec::new("anna").member("en"))
///     .build().unwrap(), 0);
/// account.visit("v1", Some("de")).unwrap();
/// let v = account.sees("anna", "v1");
/// assert!(!v.is_visible());
/// assert_eq!((v.reason(), v.rule()), (Some(Reason::NotInGroup), Rule::R4));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// The agent sees the visitor.
    Visible {
        /// The rule that grants it.
        rule: Rule,
    },
    /// The agent does not see the visitor.
    Hidden {
        /// Why.
        reason: Reason,
        /// The rule that decided.
        rule: Rule,
    },
}

impl Visibility {
    /// Whether visible.
    #[inline]
    pub fn is_visible(self) -> bool {
        matches!(self, Visibility::Visible { .. })
    }
    /// The reason when hidden.
    #[inline]
    pub fn reason(self) -> Option<Reason> {
        match self {
            Visibility::Visible { .. } => None,
            Visibility::Hidden { reason, .. } => Some(reason),
        }
    }
    /// The rule id that decided.
    #[inline]
    pub fn rule(self) -> Rule {
        match self {
            Visibility::Visible { rule } | Visibility::Hidden { rule, .. } => rule,
        }
    }
}

const fn hidden(reason: Reason, rule: Rule) -> Visibility {
    Visibility::Hidden { reason, rule }
}

/// The agents who see a visitor whose effective group in `snap` is `group`,
/// in configuration order: the snapshot's viewer index, built from the
/// compiled scopes [`visibility`] reads (enabled members, agents who see
/// everything or ungrouped visitors), so it agrees with it for every agent —
/// which the tests check against the model. O(output), no allocation.
pub(crate) fn viewers(snap: &Snapshot, group: Option<GroupIx>) -> impl Iterator<Item = AgentIx> + '_ {
    snap.viewer_index(group)
}

/// Visibility of a visitor whose effective group in `snap` is `group`
/// (`None`: ungrouped), for an agent of `snap`: its compiled scope (R1,
/// R5–R8, see `Scope::of`) applied to the group (R4, R6). Cost: O(1), no
/// allocation.
#[inline]
pub(crate) fn visibility(agent: &CompiledAgent, group: Option<GroupIx>) -> Visibility {
    let visible = |rule| Visibility::Visible { rule };
    match (agent.scope, group) {
        (Scope::Disabled, _) => hidden(Reason::AgentDisabled, Rule::R8),
        (Scope::Everything(grant), _) => visible(grant.rule()),
        (Scope::Groups { ungrouped: true }, None) => visible(Rule::R6),
        (Scope::Groups { ungrouped: false }, None) => hidden(Reason::UngroupedHidden, Rule::R6),
        (Scope::Groups { .. }, Some(g)) if agent.groups.contains(g) => visible(Rule::R4),
        (Scope::Groups { .. }, Some(_)) => hidden(Reason::NotInGroup, Rule::R4),
        (Scope::UngroupedOnly, None) => visible(Rule::R5),
        (Scope::UngroupedOnly, Some(_)) => hidden(Reason::NotInGroup, Rule::R5),
        (Scope::Nothing, None) => hidden(Reason::UngroupedHidden, Rule::R5),
        (Scope::Nothing, Some(_)) => hidden(Reason::NotInGroup, Rule::R5),
    }
}
