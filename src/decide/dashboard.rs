//! R9: an agent's dashboard — the visitors on the site it sees under the
//! revision it last loaded, in order of arrival.

use super::group::effective;
use super::visibility::visibility;
use crate::ids::VisitorId;
use crate::snapshot::{CompiledAgent, GroupIx, Scope, Snapshot};
use crate::state::State;

/// The dashboard under the revision the state is in step with: the union of
/// the agent's visible groups' visitor lists, merged by arrival.
/// Cost: O(output · lists), allocating only the output.
pub(crate) fn current<'a>(state: &'a State, agent: &CompiledAgent) -> Vec<&'a VisitorId> {
    let visitors = &state.visitors;
    let lists: smallvec::SmallVec<[Option<GroupIx>; 4]> = match agent.scope {
        Scope::Disabled | Scope::Nothing => return Vec::new(),
        Scope::Everything(_) => return visitors.iter().map(|v| &v.id).collect(),
        Scope::UngroupedOnly => smallvec::smallvec![None],
        Scope::Groups { ungrouped } => {
            let mine = agent.tiers.iter().map(|(g, _)| Some(*g));
            mine.chain(ungrouped.then_some(None)).collect()
        }
    };
    let mut heads: smallvec::SmallVec<[&[u32]; 4]> = lists.iter().map(|g| visitors.group_slots(*g)).collect();
    let mut out = Vec::with_capacity(heads.iter().map(|h| h.len()).sum());
    loop {
        let next = heads.iter_mut().filter(|h| !h.is_empty()).min_by_key(|h| h.first().copied());
        let Some(head) = next else { break };
        let Some((&slot, rest)) = head.split_first() else { break };
        *head = rest;
        out.extend(visitors.at(slot).map(|v| &v.id));
    }
    out
}

/// The dashboard under an older revision: every visitor's effective group
/// in `snap` recomputed. Cost: O(visitors).
pub(crate) fn pinned<'a>(snap: &Snapshot, state: &'a State, agent: &CompiledAgent) -> Vec<&'a VisitorId> {
    let sees = |g| visibility(agent, g).is_visible();
    state.visitors.iter().filter(|v| sees(effective(snap, v).map(|(g, _)| g))).map(|v| &v.id).collect()
}
