//! A list of visitors ordered by arrival, kept in chunks so that moving one
//! visitor in or out shifts at most one chunk, however many visitors the
//! group has; and the merge of several such lists in arrival order.
//!
//! An entry is 8 bytes: its arrival as an offset from its chunk's base,
//! and its slot with the length of its id when the id fits its slot's
//! cell. Merging lists and reading ids for a dashboard therefore never
//! reads a visitor's record.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::snapshot::GroupIx;

/// Entries per chunk before it splits in two.
const SPLIT_AT: usize = 512;

/// Bits of [`Entry::key`] that hold the slot (as the id index's).
const SLOT_BITS: u32 = 26;
const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;

/// A visitor in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Arrival minus the chunk's base.
    delta: u32,
    /// The slot, and above it the id's length when the id is in the slot's
    /// cell (0 when it is kept apart).
    key: u32,
}

impl Entry {
    /// Arrival minus the base of the entry's chunk.
    #[inline]
    pub(crate) fn delta(self) -> u32 {
        self.delta
    }

    /// The visitor's slot.
    #[inline]
    pub(crate) fn slot(self) -> u32 {
        self.key & SLOT_MASK
    }

    /// The id's length when it is in the slot's cell; 0 otherwise.
    #[inline]
    pub(crate) fn cell_len(self) -> usize {
        (self.key >> SLOT_BITS) as usize
    }

    /// An entry for `slot` with an id of that cell length, as a list holds it.
    #[cfg(test)]
    pub(crate) fn for_test(slot: u32, cell_len: usize) -> Entry {
        Entry { delta: 0, key: key(slot, cell_len) }
    }
}

/// One chunk: entries in arrival order, each arrival within `u32::MAX` of
/// `base`, which is at most the first's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) base: u64,
    /// The arrival of the last entry.
    pub(crate) last: u64,
    pub(crate) entries: Vec<Entry>,
}

impl Run {
    fn new(at: u64, key: u32) -> Self {
        Run { base: at, last: at, entries: vec![Entry { delta: 0, key }] }
    }

    /// The arrival of `e`, an entry of this run.
    #[inline]
    pub(crate) fn arrival(&self, e: Entry) -> u64 {
        self.base + u64::from(e.delta)
    }

    /// Where the entry of `at` is (or would go). O(log SPLIT_AT).
    fn position(&self, at: u64) -> Result<usize, usize> {
        let delta = u32::try_from(at.saturating_sub(self.base)).unwrap_or(u32::MAX);
        self.entries.binary_search_by_key(&delta, |e| e.delta)
    }
}

/// Visitors sorted by arrival, in chunks of at most [`SPLIT_AT`]; no chunk
/// is empty, and chunks' bases increase. Cost of each method stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chunked {
    chunks: Vec<Run>,
}

/// An entry's key: `slot` with the id's cell length (0 for an id kept
/// apart).
pub(crate) fn key(slot: u32, cell_len: usize) -> u32 {
    (slot & SLOT_MASK) | (u32::try_from(cell_len).unwrap_or(0).min(63) << SLOT_BITS)
}

impl Chunked {
    /// The chunks, in arrival order. O(1).
    pub(crate) fn chunks(&self) -> &[Run] {
        &self.chunks
    }

    /// The chunk that holds (or would hold) `arrival`. O(log chunks).
    fn chunk_for(&self, arrival: u64) -> usize {
        self.chunks.partition_point(|c| c.base <= arrival).saturating_sub(1)
    }

    /// Appends a visitor that arrived at `at`, after every visitor in the
    /// list. O(1) amortized.
    pub(crate) fn push(&mut self, at: u64, key: u32) {
        match self.chunks.last_mut() {
            Some(last) if last.entries.len() < SPLIT_AT && at.saturating_sub(last.base) <= u64::from(u32::MAX) => {
                last.entries
                    .push(Entry { delta: u32::try_from(at.saturating_sub(last.base)).unwrap_or(u32::MAX), key });
                last.last = at;
            }
            _ => self.chunks.push(Run::new(at, key)),
        }
    }

    /// Inserts a visitor that arrived at `at` at its place. O(log n +
    /// SPLIT_AT).
    pub(crate) fn insert(&mut self, at: u64, key: u32) {
        let c = self.chunk_for(at);
        let Some(run) = self.chunks.get_mut(c) else {
            self.chunks.push(Run::new(at, key));
            return;
        };
        if at < run.base {
            // Before every entry of the list (c is 0): rebase when the run's
            // span allows it, else a chunk of its own.
            if run.last - at > u64::from(u32::MAX) {
                self.chunks.insert(0, Run::new(at, key));
                return;
            }
            let shift = u32::try_from(run.base - at).unwrap_or(u32::MAX);
            run.entries.iter_mut().for_each(|e| e.delta += shift);
            run.base = at;
        }
        if at - run.base > u64::from(u32::MAX) {
            // After every entry of this run (whose span is below that).
            self.chunks.insert(c + 1, Run::new(at, key));
            return;
        }
        let Err(i) = run.position(at) else { return };
        let delta = u32::try_from(at - run.base).unwrap_or(u32::MAX);
        run.entries.insert(i, Entry { delta, key });
        run.last = run.last.max(at);
        if run.entries.len() > SPLIT_AT {
            let mut upper = run.entries.split_off(run.entries.len() / 2);
            run.entries.shrink_to_fit();
            let base = upper.first().map_or(at, |e| run.arrival(*e));
            let last = run.last;
            run.last = run.entries.last().map_or(run.base, |e| run.arrival(*e));
            let shift = u32::try_from(base - run.base).unwrap_or(0);
            upper.iter_mut().for_each(|e| e.delta -= shift);
            self.chunks.insert(c + 1, Run { base, last, entries: upper });
        }
    }

    /// Removes the visitor that arrived at `at`, if present. O(log n +
    /// SPLIT_AT), plus O(chunks) when its chunk empties.
    pub(crate) fn remove(&mut self, at: u64) {
        let c = self.chunk_for(at);
        let Some(run) = self.chunks.get_mut(c) else { return };
        if let Ok(i) = run.position(at) {
            run.entries.remove(i);
        }
        match run.entries.last() {
            Some(e) => run.last = run.arrival(*e),
            None => {
                self.chunks.remove(c);
            }
        }
    }
}

/// Entries of several lists in arrival order (the lists hold different
/// visitors): a heap of each list's next entry. O(k) to start, then
/// O(log k) per entry, for k lists; allocates O(k).
pub(crate) struct Merged<'a> {
    /// Per list: the rest of its current chunk with that chunk's base, then
    /// its other chunks.
    lists: Vec<(u64, &'a [Entry], &'a [Run])>,
    /// (next arrival, list) of every list not used up.
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

impl<'a> Merged<'a> {
    pub(crate) fn new(lists: impl IntoIterator<Item = &'a [Run]>) -> Self {
        let lists: Vec<(u64, &[Entry], &[Run])> = lists.into_iter().map(|chunks| (0, &[][..], chunks)).collect();
        let mut merged = Merged { heap: BinaryHeap::with_capacity(lists.len()), lists };
        for i in 0..merged.lists.len() {
            merged.refill(i);
        }
        merged
    }

    /// Puts list `i`'s next entry on the heap, moving to its next chunk when
    /// the current one is used up.
    fn refill(&mut self, i: usize) {
        let Some((base, run, chunks)) = self.lists.get_mut(i) else { return };
        while run.is_empty() {
            let Some((first, rest)) = chunks.split_first() else { return };
            *base = first.base;
            *run = &first.entries;
            *chunks = rest;
        }
        if let Some(e) = run.first() {
            self.heap.push(Reverse((*base + u64::from(e.delta), i)));
        }
    }
}

impl Iterator for Merged<'_> {
    /// (arrival, entry).
    type Item = (u64, Entry);

    fn next(&mut self) -> Option<(u64, Entry)> {
        let Reverse((at, i)) = self.heap.pop()?;
        let (_, run, _) = self.lists.get_mut(i)?;
        let (first, rest) = run.split_first()?;
        *run = rest;
        let e = *first;
        self.refill(i);
        Some((at, e))
    }
}

/// One list per group of the synced snapshot and one for ungrouped
/// visitors: every visitor is in exactly one. Cost of each method stated.
#[derive(Debug, Clone, Default)]
pub(super) struct GroupLists {
    by_group: Vec<Chunked>,
    ungrouped: Chunked,
}

impl GroupLists {
    /// Empty lists for `groups` groups. O(groups).
    pub(super) fn new(groups: usize) -> Self {
        GroupLists { by_group: vec![Chunked::default(); groups], ungrouped: Chunked::default() }
    }

    /// The list of `group` (`None`: ungrouped), grown to hold it. O(1)
    /// amortized.
    pub(super) fn get_mut(&mut self, group: Option<GroupIx>) -> &mut Chunked {
        let Some(g) = group else { return &mut self.ungrouped };
        if self.by_group.len() <= g {
            self.by_group.resize_with(g + 1, Chunked::default);
        }
        match self.by_group.get_mut(g) {
            Some(list) => list,
            None => &mut self.ungrouped,
        }
    }

    /// The chunks of `group`'s list. O(1).
    pub(super) fn runs(&self, group: Option<GroupIx>) -> &[Run] {
        match group {
            None => self.ungrouped.chunks(),
            Some(g) => self.by_group.get(g).map_or(&[][..], Chunked::chunks),
        }
    }

    /// Every list, ungrouped first: together they hold each visitor once.
    pub(super) fn all(&self) -> impl Iterator<Item = &[Run]> {
        std::iter::once(self.ungrouped.chunks()).chain(self.by_group.iter().map(Chunked::chunks))
    }

    /// Heap bytes. O(chunks).
    pub(super) fn bytes(&self) -> usize {
        let runs = |l: &Chunked| {
            l.chunks().iter().map(|r| r.entries.capacity() * size_of::<Entry>()).sum::<usize>()
                + std::mem::size_of_val(l.chunks())
        };
        self.by_group.iter().map(runs).sum::<usize>()
            + runs(&self.ungrouped)
            + self.by_group.capacity() * size_of::<Chunked>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrivals(list: &Chunked) -> Vec<u64> {
        list.chunks().iter().flat_map(|c| c.entries.iter().map(|e| c.arrival(*e))).collect()
    }

    fn check(list: &Chunked) {
        for c in list.chunks() {
            assert!(!c.entries.is_empty() && c.entries.len() <= SPLIT_AT);
            assert_eq!(c.last, c.arrival(*c.entries.last().unwrap()));
        }
        assert!(list.chunks().windows(2).all(|w| w[0].last < w[1].base && w[0].base < w[1].base));
        for c in list.chunks() {
            for e in &c.entries {
                assert_eq!(u64::from(e.slot()) * 3, c.arrival(*e) % (1 << 40));
            }
        }
    }

    /// `n`'s arrival, far apart for some so that runs must split on span.
    fn at(n: u32) -> u64 {
        let far = if n % 97 == 0 { u64::from(n) << 40 } else { 0 };
        far + u64::from(n) * 3
    }

    #[test]
    fn matches_a_sorted_vector_through_pushes_inserts_and_removals() {
        let mut list = Chunked::default();
        let mut model: Vec<u64> = Vec::new();
        // Pushes in order, then a deterministic mix of removals and inserts
        // across chunk boundaries and arrivals more than 2^32 apart.
        let order = |n: u32| (at(n), n);
        let mut pushed: Vec<u32> = (0..3_000).step_by(2).collect();
        pushed.sort_by_key(|n| order(*n));
        for n in pushed {
            list.push(at(n), key(n, 5));
            model.push(at(n));
        }
        model.sort_unstable();
        let mut x: u32 = 7;
        for _ in 0..4_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 3_001;
            if model.binary_search(&at(x)).is_ok() {
                list.remove(at(x));
                model.retain(|m| *m != at(x));
            } else {
                list.insert(at(x), key(x, 5));
                let i = model.partition_point(|m| *m < at(x));
                model.insert(i, at(x));
            }
            check(&list);
        }
        assert_eq!(arrivals(&list), model);
    }

    #[test]
    fn merged_lists_come_out_in_arrival_order() {
        let mut lists = vec![Chunked::default(); 4];
        for n in 0..2_000u32 {
            // Uneven spread, list 2 empty.
            let l = [0, 1, 3, 0, 3, 1, 0][n as usize % 7];
            lists[l].insert(at(n), key(n, 3));
        }
        let merged: Vec<u64> = Merged::new(lists.iter().map(Chunked::chunks)).map(|(a, _)| a).collect();
        let mut all: Vec<u64> = lists.iter().flat_map(arrivals).collect();
        all.sort_unstable();
        assert_eq!(merged, all);
        assert!(Merged::new(lists.iter().map(Chunked::chunks)).all(|(a, e)| u64::from(e.slot()) * 3 == a % (1 << 40)));
    }
}
