//! The queue of waiting chats (R18) and their overflow instants (R29).
//!
//! A waiting chat is `(place, slot)`: its place is when it last entered the
//! queue, then its visitor's arrival — unique, since arrivals are. The
//! queue keeps every waiting chat three ways, and its invariant is that
//! they agree: in queue order (with each place's rank, for queue positions
//! in O(log)), in its effective group's queue (so serving looks only where
//! an agent can serve), and, when that group has an overflow wait, by its
//! overflow instant. The visitors' store says which group a chat waits in
//! and when its wait started; the queue computes the overflow instant from
//! the group's setting and returns it, for the chat to remember.

use std::collections::BTreeSet;
use std::ops::Bound::{Excluded, Unbounded};

use super::ranked::Ranked;
use crate::snapshot::GroupIx;

/// A waiting chat's place in the queue (R18): when it last entered the
/// queue, then the visitor's arrival. Unique, since arrivals are.
pub(crate) type Place = (u64, u64);

/// The waiting chats. Cost of each method stated.
#[derive(Debug, Clone, Default)]
pub(super) struct Queue {
    /// Every waiting chat, in queue order (R18).
    all: BTreeSet<(Place, u32)>,
    /// The places of `all` with their ranks; `None` while a load restores
    /// the queue out of order, until [`Self::rerank`].
    ranked: Option<Ranked<Place>>,
    /// The same chats by effective group (index: group; the last entry:
    /// ungrouped).
    by_group: Vec<BTreeSet<(Place, u32)>>,
    /// Per group, its `overflow_after` when it has a fallback (R29); none
    /// for the others and under a plan without groups.
    overflow_after: Vec<Option<u64>>,
    /// The chats whose group has an overflow wait: (overflow instant,
    /// place, slot), earliest first, ties in queue order (R26, R29).
    overflow: BTreeSet<(u64, Place, u32)>,
}

impl Queue {
    /// Whether no chat waits. O(1).
    pub(super) fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Waiting chats, in queue order, as (place, slot). O(1) to start.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Place, u32)> + '_ {
        self.all.iter().copied()
    }

    /// Adds the chat waiting in `slot` at `place` in `group`'s queue, its
    /// wait there started at `since`. Returns its overflow instant, for the
    /// chat to remember. O(log queue).
    pub(super) fn insert(&mut self, slot: u32, place: Place, group: Option<GroupIx>, since: u64) -> Option<u64> {
        self.all.insert((place, slot));
        if self.ranked.is_none() && self.all.len() == 1 {
            self.ranked = Some(Ranked::default());
        }
        if let Some(r) = &mut self.ranked {
            if !r.insert(place) {
                self.ranked = None;
            }
        }
        self.add_to_group(slot, place, group, since)
    }

    /// Takes out the chat in `slot`, waiting at `place` in `group` with
    /// overflow instant `due` (what [`Self::insert`] returned). O(log queue).
    pub(super) fn remove(&mut self, slot: u32, place: Place, group: Option<GroupIx>, due: Option<u64>) {
        self.all.remove(&(place, slot));
        if let Some(r) = &mut self.ranked {
            r.remove(place);
        }
        self.remove_from_group(slot, place, group, due);
    }

    /// Puts a chat in its group's queue and the overflow index. O(log queue).
    fn add_to_group(&mut self, slot: u32, place: Place, group: Option<GroupIx>, since: u64) -> Option<u64> {
        if let Some(q) = self.group_mut(group) {
            q.insert((place, slot));
        }
        let due = self.due(group, since);
        if let Some(due) = due {
            self.overflow.insert((due, place, slot));
        }
        due
    }

    fn remove_from_group(&mut self, slot: u32, place: Place, group: Option<GroupIx>, due: Option<u64>) {
        if let Some(q) = self.group_mut(group) {
            q.remove(&(place, slot));
        }
        if let Some(due) = due {
            self.overflow.remove(&(due, place, slot));
        }
    }

    /// The chat moves from `from`'s queue to `to`'s, keeping its place and
    /// its wait's start. Returns its new overflow instant. O(log queue).
    pub(super) fn regroup(
        &mut self,
        (slot, place): (u32, Place),
        (from, due): (Option<GroupIx>, Option<u64>),
        to: Option<GroupIx>,
        since: u64,
    ) -> Option<u64> {
        self.remove_from_group(slot, place, from, due);
        self.add_to_group(slot, place, to, since)
    }

    /// The overflow instant of a chat waiting in `group` since `since`
    /// (R29); none past the clock's end (settled R26).
    fn due(&self, group: Option<GroupIx>, since: u64) -> Option<u64> {
        let after = self.overflow_after.get(group?).copied().flatten()?;
        crate::state::deadline_at(since, after)
    }

    /// Sets each group's overflow wait (R29). Returns the groups whose wait
    /// changed: their chats' instants are to be computed again (with
    /// [`Self::regroup`] to the same group). O(groups).
    pub(super) fn set_overflow(&mut self, after: Vec<Option<u64>>) -> Vec<GroupIx> {
        let groups = self.overflow_after.len().max(after.len());
        let old = std::mem::replace(&mut self.overflow_after, after);
        let differs = |g: &GroupIx| old.get(*g).copied().flatten() != self.overflow_after.get(*g).copied().flatten();
        (0..groups).filter(differs).collect()
    }

    /// Forgets the groups' queues and overflow instants, for `groups`
    /// groups of another revision; the queue order stays. Each chat is then
    /// given its group again with [`Self::place`]. O(queue).
    pub(super) fn clear_groups(&mut self, groups: usize) {
        self.by_group = vec![BTreeSet::new(); groups + 1];
        self.overflow = BTreeSet::new();
    }

    /// After [`Self::clear_groups`]: the chat in `slot`, in the queue at
    /// `place`, waits in `group` since `since`. Returns its overflow
    /// instant. O(log queue).
    pub(super) fn place(&mut self, slot: u32, place: Place, group: Option<GroupIx>, since: u64) -> Option<u64> {
        self.add_to_group(slot, place, group, since)
    }

    /// The earliest overflow instant (R29), with the chat's slot: ties in
    /// queue order. O(log queue).
    pub(super) fn next_overflow(&self) -> Option<(u64, u32)> {
        self.overflow.first().map(|(due, _, slot)| (*due, *slot))
    }

    /// Stops keeping places' ranks, for a load that restores the queue out
    /// of order; [`Self::rerank`] starts again. O(1).
    pub(super) fn unrank(&mut self) {
        self.ranked = None;
    }

    /// Rebuilds the places' ranks from the queue. O(queue).
    pub(super) fn rerank(&mut self) {
        self.ranked = Some(Ranked::from_sorted(self.all.iter().map(|(k, _)| *k)));
    }

    /// How many waiting chats are ahead of the one at `place` in `slot`.
    /// O(log queue); O(chats ahead) between [`Self::unrank`] and
    /// [`Self::rerank`].
    pub(super) fn position(&self, place: Place, slot: u32) -> Option<usize> {
        match &self.ranked {
            Some(r) => r.rank(place),
            None => Some(self.all.range(..(place, slot)).count()),
        }
    }

    /// How many chats wait ahead of `slot`'s (at `place`) in `group`'s
    /// queue; `None` when it does not wait there. O(log queue + chats
    /// ahead of it there).
    pub(super) fn position_in_group(&self, group: Option<GroupIx>, place: Place, slot: u32) -> Option<usize> {
        let q = self.group(group)?;
        q.contains(&(place, slot)).then(|| q.range(..(place, slot)).count())
    }

    /// The first chat of `group`'s queue after `after` (from the start
    /// when `None`): (place, slot). O(log queue).
    pub(super) fn next_in(&self, group: Option<GroupIx>, after: Option<(Place, u32)>) -> Option<(Place, u32)> {
        let q = self.group(group)?;
        match after {
            None => q.first().copied(),
            Some(a) => q.range((Excluded(a), Unbounded)).next().copied(),
        }
    }

    /// The chats waiting in `group`, in queue order. O(1) to start.
    pub(super) fn in_group(&self, group: Option<GroupIx>) -> impl Iterator<Item = (Place, u32)> + '_ {
        self.group(group).into_iter().flatten().copied()
    }

    /// The groups (and `None`, ungrouped) that have waiting chats. O(groups).
    pub(super) fn groups(&self) -> impl Iterator<Item = Option<GroupIx>> + '_ {
        let n = self.by_group.len();
        self.by_group.iter().enumerate().filter(|(_, q)| !q.is_empty()).map(move |(i, _)| (i + 1 < n).then_some(i))
    }

    fn group(&self, group: Option<GroupIx>) -> Option<&BTreeSet<(Place, u32)>> {
        match group {
            None => self.by_group.last(),
            Some(g) => self.by_group.get(g).filter(|_| g + 1 < self.by_group.len()),
        }
    }

    /// The queue of `group`, grown to hold it (the ungrouped queue stays
    /// last).
    fn group_mut(&mut self, group: Option<GroupIx>) -> Option<&mut BTreeSet<(Place, u32)>> {
        if self.by_group.is_empty() {
            self.by_group.push(BTreeSet::new());
        }
        match group {
            None => self.by_group.last_mut(),
            Some(g) => {
                if self.by_group.len() <= g + 1 {
                    let ungrouped = self.by_group.pop().unwrap_or_default();
                    self.by_group.resize_with(g + 1, BTreeSet::new);
                    self.by_group.push(ungrouped);
                }
                self.by_group.get_mut(g)
            }
        }
    }

    /// The invariant: the three ways agree. O(queue · log queue).
    #[cfg(test)]
    fn check(&self) {
        let grouped: usize = self.by_group.iter().map(BTreeSet::len).sum();
        assert_eq!(grouped, self.all.len(), "each chat in exactly one group's queue");
        for q in &self.by_group {
            assert!(q.iter().all(|e| self.all.contains(e)));
        }
        assert!(self.overflow.iter().all(|(_, p, s)| self.all.contains(&(*p, *s))));
        if let Some(r) = &self.ranked {
            for (i, (place, _)) in self.all.iter().enumerate() {
                assert_eq!(r.rank(*place), Some(i));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random entries, removals, moves between groups and changes of the
    /// groups' overflow waits, against a plain list sorted on demand: the
    /// order, positions, each group's queue and the next overflow agree
    /// after every step, and so do the queue's three ways.
    #[test]
    fn the_queue_agrees_with_a_sorted_list() {
        // (slot, place, group, since, due)
        type Waiting = (u32, Place, Option<GroupIx>, u64, Option<u64>);
        let mut queue = Queue::default();
        let mut model: Vec<Waiting> = Vec::new();
        let mut waits: Vec<Option<u64>> = vec![Some(5), None, Some(1), None];
        let _ = queue.set_overflow(waits.clone());
        let mut x: u64 = 11;
        let mut next = |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        for step in 0..4_000u64 {
            let slot = next(40) as u32;
            let group = [None, Some(0), Some(1), Some(2), Some(3)][next(5) as usize];
            match model.iter().position(|w| w.0 == slot) {
                None => {
                    let place = (step / 3, u64::from(slot));
                    let since = step;
                    let due = queue.insert(slot, place, group, since);
                    let want = group.and_then(|g| waits[g]).map(|w| since + w);
                    assert_eq!(due, want, "step {step}");
                    model.push((slot, place, group, since, due));
                }
                Some(i) if next(2) == 0 => {
                    let (slot, place, group, _, due) = model.remove(i);
                    queue.remove(slot, place, group, due);
                }
                Some(i) => {
                    let w = &mut model[i];
                    w.4 = queue.regroup((w.0, w.1), (w.2, w.4), group, w.3);
                    w.2 = group;
                }
            }
            if next(50) == 0 {
                waits = (0..4).map(|_| (next(2) == 0).then(|| next(4))).collect();
                for g in queue.set_overflow(waits.clone()) {
                    for w in model.iter_mut().filter(|w| w.2 == Some(g)) {
                        w.4 = queue.regroup((w.0, w.1), (w.2, w.4), w.2, w.3);
                    }
                }
            }
            if next(300) == 0 {
                queue.unrank();
                assert!(model.iter().all(|w| queue.position(w.1, w.0).is_some()));
                queue.rerank();
            }
            queue.check();
            model.sort_by_key(|w| (w.1, w.0));
            let order: Vec<(Place, u32)> = model.iter().map(|w| (w.1, w.0)).collect();
            assert_eq!(queue.iter().collect::<Vec<_>>(), order, "step {step}");
            for (i, w) in model.iter().enumerate() {
                assert_eq!(queue.position(w.1, w.0), Some(i));
            }
            for g in [None, Some(0), Some(1), Some(2), Some(3)] {
                let want: Vec<(Place, u32)> = model.iter().filter(|w| w.2 == g).map(|w| (w.1, w.0)).collect();
                assert_eq!(queue.in_group(g).collect::<Vec<_>>(), want);
                assert_eq!(queue.next_in(g, None), want.first().copied());
                if let Some(first) = want.first() {
                    assert_eq!(queue.next_in(g, Some(*first)), want.get(1).copied());
                }
            }
            let earliest = model.iter().filter_map(|w| Some((w.2.and_then(|g| waits[g])? + w.3, w.1, w.0))).min();
            assert_eq!(queue.next_overflow(), earliest.map(|(due, _, slot)| (due, slot)), "step {step}");
            let groups: Vec<Option<GroupIx>> = queue.groups().collect();
            for g in [None, Some(0), Some(1), Some(2), Some(3)] {
                assert_eq!(groups.contains(&g), model.iter().any(|w| w.2 == g));
            }
        }
    }
}
