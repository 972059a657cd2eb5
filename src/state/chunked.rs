//! A list of visitor slots ordered by arrival, kept in chunks so that moving
//! one visitor in or out shifts at most one chunk, however many visitors the
//! group has; and the merge of several such lists in arrival order.
//!
//! Entries are 4-byte slots; arrival numbers are read from the visitor
//! records through an `arrival` function, except at chunk boundaries, which
//! each chunk keeps.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Entries per chunk before it splits in two.
const SPLIT_AT: usize = 512;

/// One chunk: its slots in arrival order, with the arrival numbers of the
/// first and last.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) first: u64,
    pub(crate) last: u64,
    pub(crate) slots: Vec<u32>,
}

/// Slots sorted by arrival, in chunks of at most [`SPLIT_AT`]; no chunk is
/// empty. Cost of each method stated, counting reads of `arrival` as O(1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chunked {
    chunks: Vec<Run>,
}

impl Chunked {
    /// The chunks, in arrival order. O(1).
    pub(crate) fn chunks(&self) -> &[Run] {
        &self.chunks
    }

    /// The chunk that holds (or would hold) `arrival`. O(log chunks).
    fn chunk_for(&self, arrival: u64) -> usize {
        self.chunks.partition_point(|c| c.first <= arrival).saturating_sub(1)
    }

    /// Appends a slot that arrived after every slot in the list. O(1)
    /// amortized.
    pub(crate) fn push(&mut self, arrival: u64, slot: u32) {
        match self.chunks.last_mut() {
            Some(last) if last.slots.len() < SPLIT_AT => {
                last.slots.push(slot);
                last.last = arrival;
            }
            _ => self.chunks.push(Run { first: arrival, last: arrival, slots: vec![slot] }),
        }
    }

    /// Inserts a slot at its arrival's place. O(log n + SPLIT_AT).
    pub(crate) fn insert(&mut self, at: u64, slot: u32, arrival: impl Fn(u32) -> u64) {
        let c = self.chunk_for(at);
        let Some(chunk) = self.chunks.get_mut(c) else {
            self.chunks.push(Run { first: at, last: at, slots: vec![slot] });
            return;
        };
        let i = chunk.slots.partition_point(|s| arrival(*s) < at);
        chunk.slots.insert(i, slot);
        chunk.first = chunk.first.min(at);
        chunk.last = chunk.last.max(at);
        if chunk.slots.len() > SPLIT_AT {
            let upper = chunk.slots.split_off(chunk.slots.len() / 2);
            chunk.slots.shrink_to_fit();
            chunk.last = chunk.slots.last().map_or(chunk.first, |s| arrival(*s));
            let first = upper.first().map_or(at, |s| arrival(*s));
            let last = upper.last().map_or(at, |s| arrival(*s));
            self.chunks.insert(c + 1, Run { first, last, slots: upper });
        }
    }

    /// Removes `slot`, which arrived at `at`, if present. O(log chunks +
    /// SPLIT_AT), plus O(chunks) when its chunk empties.
    pub(crate) fn remove(&mut self, at: u64, slot: u32, arrival: impl Fn(u32) -> u64) {
        let c = self.chunk_for(at);
        let Some(chunk) = self.chunks.get_mut(c) else { return };
        // A scan of one chunk's 4-byte slots: contiguous, no record read.
        if let Some(i) = chunk.slots.iter().position(|s| *s == slot) {
            chunk.slots.remove(i);
        }
        match (chunk.slots.first(), chunk.slots.last()) {
            (Some(f), Some(l)) => {
                chunk.first = arrival(*f);
                chunk.last = arrival(*l);
            }
            _ => {
                self.chunks.remove(c);
            }
        }
    }
}

/// Slots of several lists in arrival order (the lists hold different
/// visitors): a heap of each list's next entry. O(k) to start, then
/// O(log k) per entry, for k lists; allocates O(k).
pub(crate) struct Merged<'a, F> {
    /// Per list: the rest of its current chunk, then its other chunks.
    lists: Vec<(&'a [u32], &'a [Run])>,
    /// (next arrival, list) of every list not used up.
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    arrival: F,
}

impl<'a, F: Fn(u32) -> u64> Merged<'a, F> {
    pub(crate) fn new(lists: impl IntoIterator<Item = &'a [Run]>, arrival: F) -> Self {
        let lists: Vec<(&[u32], &[Run])> = lists.into_iter().map(|chunks| (&[][..], chunks)).collect();
        let mut merged = Merged { heap: BinaryHeap::with_capacity(lists.len()), lists, arrival };
        for i in 0..merged.lists.len() {
            merged.refill(i);
        }
        merged
    }

    /// Puts list `i`'s next entry on the heap, moving to its next chunk when
    /// the current one is used up.
    fn refill(&mut self, i: usize) {
        let Some((run, chunks)) = self.lists.get_mut(i) else { return };
        while run.is_empty() {
            let Some((first, rest)) = chunks.split_first() else { return };
            *run = &first.slots;
            *chunks = rest;
        }
        if let Some(s) = run.first() {
            self.heap.push(Reverse(((self.arrival)(*s), i)));
        }
    }
}

impl<F: Fn(u32) -> u64> Iterator for Merged<'_, F> {
    /// (arrival, slot).
    type Item = (u64, u32);

    fn next(&mut self) -> Option<(u64, u32)> {
        let Reverse((at, i)) = self.heap.pop()?;
        let (run, _) = self.lists.get_mut(i)?;
        let (first, rest) = run.split_first()?;
        *run = rest;
        let slot = *first;
        self.refill(i);
        Some((at, slot))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slot `n` arrived at `n * 3`: a simple monotone map.
    fn arrival(s: u32) -> u64 {
        u64::from(s) * 3
    }

    fn slots(list: &Chunked) -> Vec<u32> {
        list.chunks().iter().flat_map(|c| c.slots.iter().copied()).collect()
    }

    #[test]
    fn matches_a_sorted_vector_through_pushes_inserts_and_removals() {
        let mut list = Chunked::default();
        let mut model: Vec<u32> = Vec::new();
        // Pushes in order, then a deterministic mix of removals and inserts
        // across chunk boundaries.
        for n in (0..3_000).step_by(2) {
            list.push(arrival(n), n);
            model.push(n);
        }
        let mut x: u32 = 7;
        for _ in 0..4_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 3_001;
            if model.binary_search(&x).is_ok() {
                list.remove(arrival(x), x, arrival);
                model.retain(|m| *m != x);
            } else {
                list.insert(arrival(x), x, arrival);
                let at = model.partition_point(|m| *m < x);
                model.insert(at, x);
            }
            assert!(list.chunks().iter().all(|c| !c.slots.is_empty() && c.slots.len() <= SPLIT_AT));
            assert!(
                list.chunks()
                    .iter()
                    .all(|c| c.first == arrival(c.slots[0]) && c.last == arrival(*c.slots.last().unwrap()))
            );
        }
        assert_eq!(slots(&list), model);
    }

    #[test]
    fn merged_lists_come_out_in_arrival_order() {
        let run = |s: &[u32]| Run { first: arrival(s[0]), last: arrival(s[s.len() - 1]), slots: s.to_vec() };
        let lists: Vec<Vec<Run>> = vec![
            vec![run(&[1, 2, 3]), run(&[40, 41, 90])],
            vec![run(&[0, 5, 42]), run(&[43, 44])],
            vec![],
            vec![run(&[4, 6]), run(&[7, 8, 100])],
        ];
        let merged: Vec<u32> = Merged::new(lists.iter().map(Vec::as_slice), arrival).map(|e| e.1).collect();
        let mut all: Vec<u32> = lists.iter().flatten().flat_map(|r| r.slots.iter().copied()).collect();
        all.sort_unstable();
        assert_eq!(merged, all);
    }
}
