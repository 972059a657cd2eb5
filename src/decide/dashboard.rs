//! R9: an agent's dashboard — the visitors on the site it sees under the
//! revision it last loaded, in order of arrival.

use super::group::effective;
use super::visibility::visibility;
use crate::ids::{GroupId, VisitorId};
use crate::snapshot::{CompiledAgent, GroupIx, Snapshot};
use smallvec::SmallVec;

use crate::state::{Entry, Merged, State};

/// Lists merged by runs at most; more are merged with a heap.
const MERGE_AT_MOST: usize = 8;

/// The dashboard under the revision the state is in step with: the groups
/// `visibility` lets the agent see (ungrouped included), their visitor lists
/// merged by arrival — by runs for a few lists, with a heap for an agent who
/// sees many groups. Cost: O(groups + output · min(lists, log lists));
/// allocates the output (and the heap).
pub(crate) fn current<'a>(snap: &Snapshot, state: &'a State, agent: &CompiledAgent) -> Vec<&'a VisitorId> {
    let visible = |g: Option<GroupIx>| visibility(agent, g).is_visible();
    let groups = std::iter::once(None).chain(snap.live_groups().map(|(g, _, _)| Some(g)));
    let lists: SmallVec<[Option<GroupIx>; MERGE_AT_MOST]> = groups.filter(|g| visible(*g)).collect();
    merged_ids(state, &lists)
}

/// The ids in the latest's lists of `groups`, merged by arrival: by runs
/// for a few lists, with a heap for many.
fn merged_ids<'a>(state: &'a State, groups: &[Option<GroupIx>]) -> Vec<&'a VisitorId> {
    let lists = groups.iter().map(|g| state.visitors().group_slots(*g));
    if groups.len() > MERGE_AT_MOST {
        return Merged::new(lists).map(|(_, id)| id).collect();
    }
    merge(lists.collect())
}

/// A list being merged: the rest of its current chunk, then its other
/// chunks.
struct Cursor<'a> {
    run: &'a [Entry],
    chunks: &'a [Vec<Entry>],
}

impl<'a> Cursor<'a> {
    fn new(chunks: &'a [Vec<Entry>]) -> Self {
        let mut c = Cursor { run: &[], chunks };
        c.refill();
        c
    }

    /// Moves on to the next non-empty chunk once the current one is used up.
    fn refill(&mut self) {
        while self.run.is_empty() {
            let Some((first, rest)) = self.chunks.split_first() else { return };
            self.run = first;
            self.chunks = rest;
        }
    }

    fn head(&self) -> Option<u64> {
        self.run.first().map(|e| e.0)
    }
}

/// Merges lists sorted by arrival (each in chunks), taking whole runs at a
/// time: the list with the smallest head gives every entry of its current
/// chunk below the next smallest head.
fn merge(lists: smallvec::SmallVec<[&[Vec<Entry>]; 4]>) -> Vec<&VisitorId> {
    let mut out = Vec::with_capacity(lists.iter().map(|l| l.iter().map(Vec::len).sum::<usize>()).sum());
    let mut heads: smallvec::SmallVec<[Cursor<'_>; 4]> = lists.into_iter().map(Cursor::new).collect();
    heads.retain(|h| h.head().is_some());
    while let Some(first) = heads.iter().enumerate().min_by_key(|(_, h)| h.head()).map(|(i, _)| i) {
        let bound = heads
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != first)
            .filter_map(|(_, h)| h.head())
            .min()
            .unwrap_or(u64::MAX);
        let Some(head) = heads.get_mut(first) else { break };
        let run = head.run.iter().take_while(|e| e.0 < bound).count().max(1);
        let (taken, rest) = head.run.split_at(run.min(head.run.len()));
        out.extend(taken.iter().map(|(_, id)| id));
        head.run = rest;
        head.refill();
        if head.head().is_none() {
            heads.swap_remove(first);
        }
    }
    out
}

/// The dashboard under an older revision `old` whose groups differ from
/// the latest's. A visitor's group can differ between the two only if it is
/// in a group `old` lacks, or carries an id that names a group in `old` but
/// none now (the unresolved index finds those): they are recomputed under
/// `old`. Every other visitor is in the group `old` knows by the same id (or
/// ungrouped in both), so the latest's lists of the groups the agent sees in
/// `old` give them. Cost: O(groups + affected · log + output · log lists);
/// O(visitors) when the plan's groups were switched on or off.
pub(crate) fn pinned<'a>(
    old: &Snapshot,
    latest: &Snapshot,
    state: &'a State,
    agent: &CompiledAgent,
) -> Vec<&'a VisitorId> {
    let sees = |g| visibility(agent, g).is_visible();
    let visitors = state.visitors();
    if old.plan().has_groups() != latest.plan().has_groups() {
        let mut shown = visitors.matching(|v| sees(effective(old, v).map(|(g, _)| g)));
        shown.sort_unstable_by_key(|v| v.arrival);
        return shown.into_iter().map(|v| &v.id).collect();
    }
    // Groups keep their indexes up to the first difference in the lists
    // (adding a group appends it): only the rest are looked up by id.
    let common = old.live_groups().zip(latest.live_groups()).take_while(|(a, b)| a.1 == b.1).count();
    let in_old = |g: GroupIx, id: &GroupId| if g < common { Some(g) } else { old.group_ix(id.as_str()) };
    let in_latest = |g: GroupIx, id: &GroupId| if g < common { Some(g) } else { latest.group_ix(id.as_str()) };
    let mut affected: Vec<(u64, u32)> = Vec::new();
    for (g, _, _) in latest.live_groups().skip(common).filter(|(g, id, _)| in_old(*g, id).is_none()) {
        let entries = visitors.group_slots(Some(g)).iter().flatten();
        affected.extend(entries.filter_map(|(arrival, v)| Some((*arrival, visitors.slot(v.as_str())?))));
    }
    for (_, id, _) in old.live_groups().skip(common).filter(|(g, id, _)| in_latest(*g, id).is_none()) {
        affected.extend(visitors.tagged_unresolved(id.as_str()));
    }
    affected.sort_unstable();
    affected.dedup();
    let mut lists: SmallVec<[Option<GroupIx>; 8]> = SmallVec::new();
    if sees(None) {
        lists.push(None);
    }
    for (g, id, _) in latest.live_groups() {
        if in_old(g, id).is_some_and(|o| sees(Some(o))) {
            lists.push(Some(g));
        }
    }
    if affected.is_empty() {
        return merged_ids(state, &lists);
    }
    let is_affected = |arrival: u64| affected.binary_search_by_key(&arrival, |a| a.0).is_ok();
    let mut kept = Merged::new(lists.iter().map(|g| visitors.group_slots(*g))).filter(|e| !is_affected(e.0)).peekable();
    let mut moved = affected
        .iter()
        .filter_map(|&(arrival, slot)| visitors.at(slot).filter(|v| v.arrival == arrival))
        .filter(|v| sees(effective(old, v).map(|(g, _)| g)))
        .map(|v| (v.arrival, &v.id))
        .peekable();
    let mut out = Vec::new();
    loop {
        let next = match (kept.peek(), moved.peek()) {
            (Some(k), Some(m)) if k.0 < m.0 => kept.next().map(|(_, id)| id),
            (_, Some(_)) => moved.next().map(|(_, id)| id),
            (Some(_), None) => kept.next().map(|(_, id)| id),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_matches_sorting() {
        let id = |n: u64| -> Entry { (n, VisitorId::new(&format!("v{n}")).unwrap()) };
        // Lists in chunks, with an empty list and chunk boundaries that
        // interleave with the other lists.
        let lists: Vec<Vec<Vec<Entry>>> = vec![
            vec![[1, 2, 3].map(id).to_vec(), [40, 41, 90].map(id).to_vec()],
            vec![[0, 5, 42].map(id).to_vec(), [43, 44].map(id).to_vec()],
            vec![],
            vec![[4, 6].map(id).to_vec(), [7, 8, 100].map(id).to_vec(), [101, 102].map(id).to_vec()],
        ];
        let heads = lists.iter().map(Vec::as_slice).collect();
        let merged: Vec<String> = merge(heads).into_iter().map(ToString::to_string).collect();
        let mut all: Vec<u64> = lists.iter().flatten().flatten().map(|e| e.0).collect();
        all.sort_unstable();
        let expected: Vec<String> = all.into_iter().map(|n| format!("v{n}")).collect();
        assert_eq!(merged, expected);
    }
}
