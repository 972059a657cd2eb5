//! A list of visitors ordered by slot (arrival), kept in chunks so that
//! moving one visitor in or out shifts at most one chunk, however many
//! visitors the group has.

use super::Entry;

/// Entries per chunk before it splits in two.
const SPLIT_AT: usize = 512;

/// `(slot, id)` entries sorted by slot, in chunks of at most [`SPLIT_AT`];
/// no chunk is empty. Cost of each method stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Chunked {
    chunks: Vec<Vec<Entry>>,
}

impl Chunked {
    /// The chunks, in slot order: each sorted, and every slot of one below
    /// every slot of the next. O(1).
    pub(crate) fn chunks(&self) -> &[Vec<Entry>] {
        &self.chunks
    }

    /// The chunk that holds (or would hold) `slot`. O(log chunks).
    fn chunk_for(&self, slot: u32) -> usize {
        // The last chunk whose first slot is at most `slot` (the first chunk
        // when `slot` comes before all).
        self.chunks.partition_point(|c| c.first().is_some_and(|e| e.0 <= slot)).saturating_sub(1)
    }

    /// Appends an entry whose slot is above every slot in the list (a new
    /// arrival). O(1) amortized.
    pub(crate) fn push(&mut self, entry: Entry) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < SPLIT_AT => last.push(entry),
            _ => self.chunks.push(vec![entry]),
        }
    }

    /// Inserts an entry at its slot's place; nothing when the slot is there
    /// already. O(log n + SPLIT_AT).
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

    /// Removes the entry of `slot`, if present. O(log n + SPLIT_AT), plus
    /// O(chunks) when its chunk empties.
    pub(crate) fn remove(&mut self, slot: u32) {
        let c = self.chunk_for(slot);
        let Some(chunk) = self.chunks.get_mut(c) else { return };
        if let Ok(i) = chunk.binary_search_by_key(&slot, |e| e.0) {
            chunk.remove(i);
        }
        if chunk.is_empty() {
            self.chunks.remove(c);
        }
    }

    /// Every entry's slot, for renumbering: the map must keep the order.
    /// O(n).
    pub(crate) fn renumber(&mut self, new: impl Fn(u32) -> u32) {
        for e in self.chunks.iter_mut().flatten() {
            e.0 = new(e.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VisitorId;

    fn entry(n: u32) -> Entry {
        (n, VisitorId::new(&format!("v{n}")).unwrap())
    }

    fn slots(list: &Chunked) -> Vec<u32> {
        list.chunks().iter().flatten().map(|e| e.0).collect()
    }

    #[test]
    fn matches_a_sorted_vector_through_pushes_inserts_and_removals() {
        let mut list = Chunked::default();
        let mut model: Vec<u32> = Vec::new();
        // Pushes in order, then a deterministic mix of removals and inserts
        // across chunk boundaries.
        for n in (0..3_000).step_by(2) {
            list.push(entry(n));
            model.push(n);
        }
        let mut x: u32 = 7;
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
        list.renumber(|s| s * 2);
        assert_eq!(slots(&list), model.iter().map(|s| s * 2).collect::<Vec<_>>());
    }
}
