//! Decisions: pure functions of (snapshot, state), each with a reason.
//!
//! Each rule is written once here — visibility in [`visibility`], the claim
//! order in [`claim`], candidate eligibility and order in [`eligibility`]
//! (the state's candidate trees are kept by it), candidates and
//! availability in [`candidates`] — and every answer (fast path or
//! explanation) goes through that one place.

pub(crate) mod candidates;
pub(crate) mod claim;
pub(crate) mod dashboard;
pub(crate) mod eligibility;
pub(crate) mod form;
pub(crate) mod group;
mod reason;
pub(crate) mod refresh;
pub(crate) mod visibility;

pub use candidates::Candidates;
pub use claim::ClaimCheck;
pub use group::{EffectiveGroup, GroupSource};
pub use reason::Reason;
pub use refresh::AvailabilityChange;
pub use visibility::Visibility;

use crate::ids::AgentId;
use crate::snapshot::{ChangeImpact, Snapshot};

/// The agents whose dashboards differ between two revisions (R9), in `new`'s
/// configuration order. Agents of only one revision are not listed: a new
/// agent loads `new`, a removed one has no dashboard.
///
/// Cost: when `new` came from `old` by a change that kept the agents (it
/// shares their unchanged rows), O(agents / 64) plus O(groups) for each
/// agent in a row the change copied; otherwise O(agents) when the groups
/// are the same in both revisions, O(agents · groups) when not. Allocates
/// the output.
///
/// ```
/// use groupgate::{visibility_changed, AgentSpec, Change, ConfigBuilder, GroupSpec, Snapshot};
/// let v1 = Snapshot::new(ConfigBuilder::new()
///     .group(GroupSpec::new("en"))
///     .group(GroupSpec::new("de"))
///     .agent(AgentSpec::new("anna").member("en"))
///     .agent(AgentSpec::new("bob").member("en"))
///     .build().unwrap());
/// let v2 = v1.apply(&Change::Unassign { agent: "bob".parse().unwrap(), group: "en".parse().unwrap() }).unwrap();
/// // bob now has no group: under `see_all` he sees "de" visitors too (R5).
/// assert_eq!(visibility_changed(&v1, &v2), ["bob"]);
/// ```
pub fn visibility_changed<'a>(old: &Snapshot, new: &'a Snapshot) -> Vec<&'a AgentId> {
    visibility_changed_by(old, new, &old.impact(new))
}

/// [`visibility_changed`] with the change's impact already computed.
pub(crate) fn visibility_changed_by<'a>(old: &Snapshot, new: &'a Snapshot, impact: &ChangeImpact) -> Vec<&'a AgentId> {
    let diff = refresh::Diff::new(old, new);
    if impact.agents_same {
        // Only agents whose compiled rows the change copied can see differently.
        let maybe = impact.agents_touched.iter().filter_map(|&ix| new.agent_id(ix));
        return maybe.filter(|id| diff.stale(id.as_str())).collect();
    }
    new.agents().filter(|(_, id, _)| diff.stale(id.as_str())).map(|(_, id, _)| id).collect()
}
