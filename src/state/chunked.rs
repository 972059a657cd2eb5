//! A list of visitors ordered by arrival, kept in chunks so that moving one
//! visitor in or out shifts at most one chunk, however many visitors the
//! group has; and the merge of several such lists in arrival order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::Entry;

/// Entries per chunk before it splits in two.
const SPLIT_AT: usize = 512;

/// `(arrival, id)` entries sorted by arrival, in chunks of at most [`SPLIT_AT`];
/// no chunk is empty. Cost of each method stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chunked {
    chunks: Vec<Vec<Entry>>,
}

impl Chunked {
    /// The chunks, in arrival order: each sorted, and every arrival of one
    /// below every arrival of the next. O(1).
    pub(crate) fn chunks(&self) -> &[Vec<Entry>] {
        &self.chunks
    }

    /// The chunk that holds (or would hold) `arrival`. O(log chunks).
    fn chunk_for(&self, arrival: u64) -> usize {
        // The last chunk whose first arrival is at most `arrival` (the first
        // chunk when `arrival` comes before all).
        self.chunks.partition_point(|c| c.first().is_some_and(|e| e.0 <= arrival)).saturating_sub(1)
    }

    /// Appends an entry that arrived after every entry in the list. O(1)
    /// amortized.
    pub(crate) fn push(&mut self, entry: Entry) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < SPLIT_AT => last.push(entry),
            _ => self.chunks.push(vec![entry]),
        }
    }

    /// Inserts an entry at its arrival's place; nothing when that arrival is
    /// there already. O(log n + SPLIT_AT).
    pub(crate) fn insert(&mut self, entry: Entry) {
        let c = self.chunk_for(entry.0);
        let Some(chunk) = self.chunks.get_mut(c) else {
            self.chunks.push(vec![entry]);
            return;
        };
        if let Err(i) = chunk.binary_search_by_key(&entry.0, |e| e.0) {
            chunk.insert(i, entry);
        }
        if chunk.len() > SPLIT_AT {
            let upper = chunk.split_off(chunk.len() / 2);
            self.chunks.insert(c + 1, upper);
        }
    }

    /// Removes the entry of `arrival`, if present. O(log n + SPLIT_AT), plus
    /// O(chunks) when its chunk empties.
    pub(crate) fn remove(&mut self, arrival: u64) {
        let c = self.chunk_for(arrival);
        let Some(chunk) = self.chunks.get_mut(c) else { return };
        if let Ok(i) = chunk.binary_search_by_key(&arrival, |e| e.0) {
            chunk.remove(i);
        }
        if chunk.is_empty() {
            self.chunks.remove(c);
        }
    }
}

/// Entries of several lists in arrival order (the lists hold different
/// visitors): a heap of each list's next entry. O(k) to start, then
/// O(log k) per entry, for k lists; allocates O(k).
pub(crate) struct Merged<'a> {
    /// Per list: the rest of its current chunk, then its other chunks.
    lists: Vec<(&'a [Entry], &'a [Vec<Entry>])>,
    /// (next arrival, list) of every list not used up.
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

impl<'a> Merged<'a> {
    pub(crate) fn new(lists: impl IntoIterator<Item = &'a [Vec<Entry>]>) -> Self {
        let lists: Vec<(&[Entry], &[Vec<Entry>])> = lists.into_iter().map(|chunks| (&[][..], chunks)).collect();
        let mut merged = Merged { heap: BinaryHeap::with_capacity(lists.len()), lists };
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
            *run = first;
            *chunks = rest;
        }
        if let Some(e) = run.first() {
            self.heap.push(Reverse((e.0, i)));
        }
    }
}

impl<'a> Iterator for Merged<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        let Reverse((_, i)) = self.heap.pop()?;
        let (run, _) = self.lists.get_mut(i)?;
        let (first, rest) = run.split_first()?;
        *run = rest;
        self.refill(i);
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VisitorId;

    fn entry(n: u64) -> Entry {
        (n, VisitorId::new(&format!("v{n}")).unwrap())
    }

    fn slots(list: &Chunked) -> Vec<u64> {
        list.chunks().iter().flatten().map(|e| e.0).collect()
    }

    #[test]
    fn matches_a_sorted_vector_through_pushes_inserts_and_removals() {
        let mut list = Chunked::default();
        let mut model: Vec<u64> = Vec::new();
        // Pushes in order, then a deterministic mix of removals and inserts
        // across chunk boundaries.
        for n in (0..3_000).step_by(2) {
            list.push(entry(n));
            model.push(n);
        }
        let mut x: u64 = 7;
        for _ in 0..4_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 3_001;
            if model.binary_search(&x).is_ok() {
                list.remove(x);
                model.retain(|m| *m != x);
            } else {
                list.insert(entry(x));
                let at = model.partition_point(|m| *m < x);
                model.insert(at, x);
            }
            assert!(list.chunks().iter().all(|c| !c.is_empty() && c.len() <= SPLIT_AT));
        }
        assert_eq!(slots(&list), model);
    }

    #[test]
    fn merged_lists_come_out_in_arrival_order() {
        let lists: Vec<Vec<Vec<Entry>>> = vec![
            vec![[1, 2, 3].map(entry).to_vec(), [40, 41, 90].map(entry).to_vec()],
            vec![[0, 5, 42].map(entry).to_vec(), vec![], [43, 44].map(entry).to_vec()],
            vec![],
            vec![[4, 6].map(entry).to_vec(), [7, 8, 100].map(entry).to_vec()],
        ];
        let merged: Vec<u64> = Merged::new(lists.iter().map(Vec::as_slice)).map(|e| e.0).collect();
        let mut all: Vec<u64> = lists.iter().flatten().flatten().map(|e| e.0).collect();
        all.sort_unstable();
        assert_eq!(merged, all);
    }
}
