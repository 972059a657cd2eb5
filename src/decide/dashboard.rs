//! R9: an agent's dashboard — the visitors on the site it sees under the
//! revision it last loaded, in order of arrival.

use super::group::effective;
use super::visibility::visibility;
use crate::ids::GroupId;
use crate::snapshot::{CompiledAgent, GroupIx, Snapshot};
use smallvec::SmallVec;

use crate::state::{Entry, Merged, Run, State};

/// Lists merged by runs at most; more are merged with a heap.
const MERGE_AT_MOST: usize = 8;

/// The dashboard under the revision the state is in step with: the groups
/// `visibility` lets the agent see (ungrouped included), their visitor lists
/// merged by arrival — by runs for a few lists, with a heap for an agent who
/// sees many groups. Cost: O(groups + output · min(lists, log lists));
/// allocates the output (and the heap).
pub(crate) fn current<'a>(snap: &Snapshot, state: &'a State, agent: &CompiledAgent) -> Vec<&'a str> {
    let visible = |g: Option<GroupIx>| visibility(agent, g).is_visible();
    let groups = std::iter::once(None).chain(snap.live_groups().map(|(g, _, _)| Some(g)));
    let lists: SmallVec<[Option<GroupIx>; MERGE_AT_MOST]> = groups.filter(|g| visible(*g)).collect();
    merged_ids(state, &lists)
}

/// The ids in the latest's lists of `groups`, merged by arrival: by runs
/// for a few lists, with a heap for many.
fn merged_ids<'a>(state: &'a State, groups: &[Option<GroupIx>]) -> Vec<&'a str> {
    let visitors = state.visitors();
    let lists = groups.iter().map(|g| visitors.group_runs(*g));
    if groups.len() > MERGE_AT_MOST {
        return Merged::new(lists).filter_map(|(_, e)| visitors.entry_name(e)).collect();
    }
    let lists: SmallVec<[&[Run]; 4]> = lists.collect();
    let mut out = Vec::with_capacity(lists.iter().flat_map(|l| l.iter()).map(|r| r.entries.len()).sum());
    merge(lists, |e| out.extend(visitors.entry_name(e)));
    out
}

/// A list being merged: the rest of its current chunk, then its other
/// chunks.
struct Cursor<'a> {
    run: &'a [Entry],
    /// The current chunk's base and last arrival.
    base: u64,
    last: u64,
    chunks: &'a [Run],
}

impl<'a> Cursor<'a> {
    fn new(chunks: &'a [Run]) -> Self {
        let mut c = Cursor { run: &[], base: 0, last: 0, chunks };
        c.refill();
        c
    }

    /// Moves on to the next non-empty chunk once the current one is used up.
    fn refill(&mut self) {
        while self.run.is_empty() {
            let Some((first, rest)) = self.chunks.split_first() else { return };
            self.run = &first.entries;
            (self.base, self.last) = (first.base, first.last);
            self.chunks = rest;
        }
    }

    fn head(&self) -> Option<u64> {
        self.run.first().map(|e| self.base + u64::from(e.delta()))
    }
}

/// Merges lists sorted by arrival (each in chunks), taking whole runs at a
/// time: the list with the smallest head gives every entry of its current
/// chunk below the next smallest head — the whole rest of the chunk when
/// its last entry is below it. Calls `out` with each entry in order.
fn merge(lists: SmallVec<[&[Run]; 4]>, mut out: impl FnMut(Entry)) {
    let mut heads: SmallVec<[(Cursor<'_>, u64); 4]> =
        lists.into_iter().map(Cursor::new).filter_map(|c| Some((c.head()?, c))).map(|(h, c)| (c, h)).collect();
    while let Some(first) = heads.iter().enumerate().min_by_key(|(_, h)| h.1).map(|(i, _)| i) {
        let bound = heads.iter().enumerate().filter(|(i, _)| *i != first).map(|(_, h)| h.1).min().unwrap_or(u64::MAX);
        let Some((cursor, at)) = heads.get_mut(first) else { break };
        let run = if cursor.last < bound {
            cursor.run.len()
        } else {
            let below = bound.saturating_sub(cursor.base);
            cursor.run.iter().take_while(|e| u64::from(e.delta()) < below).count().max(1)
        };
        let (taken, rest) = cursor.run.split_at(run.min(cursor.run.len()));
        taken.iter().for_each(|e| out(*e));
        cursor.run = rest;
        cursor.refill();
        match cursor.head() {
            Some(h) => *at = h,
            None => {
                heads.swap_remove(first);
            }
        }
    }
}

/// The dashboard under an older revision `old` whose groups differ from
/// the latest's. A visitor's group can differ between the two only if it is
/// in a group `old` lacks, or carries an id that names a group in `old` but
/// none now (the unresolved index finds those): they are recomputed under
/// `old`. Every other visitor is in the group `old` knows by the same id (or
/// ungrouped in both), so the latest's lists of the groups the agent sees in
/// `old` give them. Cost: O(groups + affected · log + output · log lists);
/// O(visitors) when the plan's groups were switched on or off.
pub(crate) fn pinned<'a>(old: &Snapshot, latest: &Snapshot, state: &'a State, agent: &CompiledAgent) -> Vec<&'a str> {
    let sees = |g| visibility(agent, g).is_visible();
    let visitors = state.visitors();
    if old.plan().has_groups() != latest.plan().has_groups() {
        let mut shown = visitors.matching(|v| sees(effective(old, v.tags).map(|(g, _)| g)));
        shown.sort_unstable_by_key(|v| v.arrival);
        return shown.into_iter().map(|v| v.id).collect();
    }
    // Groups keep their indexes up to the first difference in the lists
    // (adding a group appends it): only the rest are looked up by id.
    let common = old.live_groups().zip(latest.live_groups()).take_while(|(a, b)| a.1 == b.1).count();
    let in_old = |g: GroupIx, id: &GroupId| if g < common { Some(g) } else { old.group_ix(id.as_str()) };
    let in_latest = |g: GroupIx, id: &GroupId| if g < common { Some(g) } else { latest.group_ix(id.as_str()) };
    let mut affected: Vec<(u64, u32)> = Vec::new();
    for (g, _, _) in latest.live_groups().skip(common).filter(|(g, id, _)| in_old(*g, id).is_none()) {
        let runs = visitors.group_runs(Some(g)).iter();
        affected.extend(runs.flat_map(|r| r.entries.iter().map(|e| (r.arrival(*e), e.slot()))));
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
    let mut kept = Merged::new(lists.iter().map(|g| visitors.group_runs(*g)))
        .filter(|e| !is_affected(e.0))
        .filter_map(|(at, e)| Some((at, visitors.entry_name(e)?)))
        .peekable();
    let mut moved = affected
        .iter()
        .filter_map(|&(arrival, slot)| visitors.at(slot).filter(|v| v.arrival == arrival))
        .filter(|v| sees(effective(old, v.tags).map(|(g, _)| g)))
        .map(|v| (v.arrival, v.id))
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
    use crate::decide::group::Grouper;
    use crate::{ConfigBuilder, GroupSpec};

    #[test]
    fn merge_matches_sorting() {
        // Visitors spread over three groups and the ungrouped list, with
        // enough of them for several chunks per list; some leave.
        let mut builder = ConfigBuilder::new();
        for g in ["a", "b", "c"] {
            builder = builder.group(GroupSpec::new(g));
        }
        let snap = Snapshot::new(builder.build().unwrap());
        let mut state = State::new(&snap, 0, crate::decide::eligibility::CANDIDACY);
        let tags = [Some("a"), None, Some("b"), Some("a"), Some("c"), Some("zz")];
        for n in 0..3_000usize {
            let tag = tags[(n * 7 + n / 5) % tags.len()].map(|t| t.parse().unwrap());
            state.add_visitor(&format!("v{n}"), tag, &Grouper(&snap)).unwrap();
        }
        for n in (0..3_000usize).step_by(7) {
            let slot = state.visitors().slot(&format!("v{n}")).unwrap();
            state.remove_visitor(slot);
        }
        let lists: SmallVec<[Option<GroupIx>; 4]> = [None, Some(0), Some(2)].into_iter().collect();
        let visitors = state.visitors();
        let mut merged = Vec::new();
        merge(lists.iter().map(|g| visitors.group_runs(*g)).collect(), |e| merged.push(e.slot()));
        let mut expected: Vec<u32> = lists
            .iter()
            .flat_map(|g| visitors.group_runs(*g))
            .flat_map(|r| r.entries.iter().map(|e| e.slot()))
            .collect();
        expected.sort_by_key(|s| visitors.arrival(*s));
        assert_eq!(merged, expected);
        let in_b: usize = visitors.group_runs(Some(1)).iter().map(|r| r.entries.len()).sum();
        assert_eq!(merged.len(), 3_000 - 3_000 / 7 - 1 - in_b);
    }
}
