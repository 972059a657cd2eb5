//! R9: an agent's dashboard — the visitors on the site it sees under the
//! revision it last loaded, in order of arrival.

use super::group::effective;
use super::visibility::visibility;
use crate::ids::VisitorId;
use crate::snapshot::{CompiledAgent, GroupIx, Scope, Snapshot};
use crate::state::{Entry, State};

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
    let heads: smallvec::SmallVec<[&[Entry]; 4]> = lists.iter().map(|g| visitors.group_slots(*g)).collect();
    merge(heads)
}

/// Merges lists sorted by slot, taking whole runs at a time: the list with
/// the smallest head gives every entry below the next smallest head.
fn merge(mut heads: smallvec::SmallVec<[&[Entry]; 4]>) -> Vec<&VisitorId> {
    let mut out = Vec::with_capacity(heads.iter().map(|h| h.len()).sum());
    heads.retain(|h| !h.is_empty());
    while let Some(first) = heads.iter().enumerate().min_by_key(|(_, h)| h.first().map(|e| e.0)).map(|(i, _)| i) {
        let bound = heads
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != first)
            .filter_map(|(_, h)| h.first().map(|e| e.0))
            .min()
            .unwrap_or(u32::MAX);
        let Some(head) = heads.get_mut(first) else { break };
        let run = head.iter().take_while(|e| e.0 < bound).count().max(1);
        let (taken, rest) = head.split_at(run.min(head.len()));
        out.extend(taken.iter().map(|(_, id)| id));
        *head = rest;
        if head.is_empty() {
            heads.swap_remove(first);
        }
    }
    out
}

/// The dashboard under an older revision: every visitor's effective group
/// in `snap` recomputed. Cost: O(visitors).
pub(crate) fn pinned<'a>(snap: &Snapshot, state: &'a State, agent: &CompiledAgent) -> Vec<&'a VisitorId> {
    let sees = |g| visibility(agent, g).is_visible();
    state.visitors.iter().filter(|v| sees(effective(snap, v).map(|(g, _)| g))).map(|v| &v.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_matches_sorting() {
        let id = |n: u32| -> Entry { (n, VisitorId::new(&format!("v{n}")).unwrap()) };
        let lists: Vec<Vec<Entry>> = vec![
            [1, 2, 3, 40, 41, 90].map(id).to_vec(),
            [0, 5, 42, 43, 44].map(id).to_vec(),
            vec![],
            [4, 6, 7, 8, 100, 101, 102].map(id).to_vec(),
        ];
        let heads = lists.iter().map(Vec::as_slice).collect();
        let merged: Vec<String> = merge(heads).into_iter().map(ToString::to_string).collect();
        let mut all: Vec<u32> = lists.iter().flatten().map(|e| e.0).collect();
        all.sort_unstable();
        let expected: Vec<String> = all.into_iter().map(|n| format!("v{n}")).collect();
        assert_eq!(merged, expected);
    }
}
