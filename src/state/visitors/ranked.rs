//! Queue places in O(log n): the queued chats' keys in chunks by key, with
//! a Fenwick tree of the chunks' sizes. A chat entering the queue nearly
//! always has the largest key (its entry time is the clock), so chunks are
//! appended and a chat's chunk index never changes; a key below the largest
//! (a chat entering at the same instant as others that arrived after it)
//! goes into the chunk holding its place, which may grow past [`CHUNK`].
//! Chunks a dequeue emptied stay until they are half of all chunks; then
//! the chunks are packed, in O(chunks) — a few hundred for a 100,000-chat
//! queue.

/// Keys per chunk.
const CHUNK: usize = 256;

/// Queue keys with their ranks. Cost of each method stated.
#[derive(Debug, Clone)]
pub(crate) struct Ranked<K> {
    /// Keys by chunk, each sorted; every key of a chunk below every key of
    /// the next.
    chunks: Vec<Vec<K>>,
    /// The first key each chunk had (its lower bound), for finding a key's
    /// chunk even once the chunk emptied.
    bounds: Vec<K>,
    /// Fenwick tree over the chunks' sizes (1-based).
    tree: Vec<usize>,
    /// Chunks with no key.
    empty: usize,
    /// The largest key ever added.
    max: Option<K>,
}

impl<K> Default for Ranked<K> {
    fn default() -> Self {
        Ranked { chunks: Vec::new(), bounds: Vec::new(), tree: Vec::new(), empty: 0, max: None }
    }
}

impl<K: Copy + Ord> Ranked<K> {
    /// Builds from keys in increasing order. O(n).
    pub(crate) fn from_sorted(keys: impl IntoIterator<Item = K>) -> Self {
        let mut r = Ranked::default();
        for k in keys {
            let _ = r.insert(k);
        }
        r
    }

    fn add(&mut self, chunk: usize, delta: isize) {
        let mut i = chunk + 1;
        while let Some(node) = self.tree.get_mut(i - 1) {
            *node = node.saturating_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Keys in chunks before `chunk`. O(log chunks).
    fn before(&self, chunk: usize) -> usize {
        let (mut i, mut sum) = (chunk, 0);
        while i > 0 {
            sum += self.tree.get(i - 1).copied().unwrap_or(0);
            i &= i - 1;
        }
        sum
    }

    /// The chunk that holds (or held) `key`. O(log chunks).
    fn chunk_of(&self, key: K) -> usize {
        self.bounds.partition_point(|b| *b <= key).saturating_sub(1)
    }

    /// Adds `key`; false (and nothing added) when it is present. O(log
    /// chunks) amortized for a key above every key added before; O(log
    /// chunks + its chunk's size) for another.
    #[must_use]
    pub(crate) fn insert(&mut self, key: K) -> bool {
        if self.max.is_some_and(|max| key <= max) {
            return self.insert_within(key);
        }
        self.max = Some(key);
        let fits = self.chunks.last().is_some_and(|c| c.len() < CHUNK);
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK));
            self.bounds.push(key);
            self.empty += 1;
            self.rebuild_tree();
        }
        let c = self.chunks.len() - 1;
        if let Some(chunk) = self.chunks.get_mut(c) {
            if chunk.is_empty() {
                self.empty -= 1;
            }
            chunk.push(key);
        }
        self.add(c, 1);
        true
    }

    /// Adds a key not above the largest one, in the chunk holding its
    /// place (the first chunk, its bound lowered, for a key below them all).
    fn insert_within(&mut self, key: K) -> bool {
        let c = self.chunk_of(key);
        let Some(chunk) = self.chunks.get_mut(c) else { return false };
        let Err(i) = chunk.binary_search(&key) else { return false };
        if chunk.is_empty() {
            self.empty -= 1;
        }
        chunk.insert(i, key);
        let full = chunk.len() > 2 * CHUNK;
        if let Some(bound) = self.bounds.get_mut(c).filter(|b| **b > key) {
            *bound = key;
        }
        if full {
            self.split(c);
        } else {
            self.add(c, 1);
        }
        true
    }

    /// Splits chunk `c` in two halves. O(CHUNK + chunks).
    fn split(&mut self, c: usize) {
        let Some(chunk) = self.chunks.get_mut(c) else { return };
        let upper = chunk.split_off(chunk.len() / 2);
        let Some(&bound) = upper.first() else { return };
        self.chunks.insert(c + 1, upper);
        self.bounds.insert(c + 1, bound);
        self.rebuild_tree();
    }

    /// Removes `key`, if present. O(log chunks + its chunk's size).
    pub(crate) fn remove(&mut self, key: K) {
        let c = self.chunk_of(key);
        let Some(chunk) = self.chunks.get_mut(c) else { return };
        let Ok(i) = chunk.binary_search(&key) else { return };
        chunk.remove(i);
        if chunk.is_empty() {
            self.empty += 1;
        }
        self.add(c, -1);
        if self.empty * 2 > self.chunks.len() && self.chunks.len() > 8 {
            self.pack();
        }
    }

    /// How many keys are below `key`, when `key` is present. O(log chunks
    /// + log CHUNK).
    pub(crate) fn rank(&self, key: K) -> Option<usize> {
        let c = self.chunk_of(key);
        let i = self.chunks.get(c)?.binary_search(&key).ok()?;
        Some(self.before(c) + i)
    }

    /// Drops the empty chunks. O(chunks).
    fn pack(&mut self) {
        let (chunks, bounds): (Vec<Vec<K>>, Vec<K>) = std::mem::take(&mut self.chunks)
            .into_iter()
            .zip(std::mem::take(&mut self.bounds))
            .filter(|(c, _)| !c.is_empty())
            .unzip();
        self.chunks = chunks;
        self.bounds = bounds;
        self.empty = 0;
        self.rebuild_tree();
    }

    /// The Fenwick tree from the chunks' sizes, grown to their number.
    /// O(chunks).
    fn rebuild_tree(&mut self) {
        let n = self.chunks.len();
        let mut tree: Vec<usize> = self.chunks.iter().map(Vec::len).collect();
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                let v = tree.get(i - 1).copied().unwrap_or(0);
                if let Some(p) = tree.get_mut(parent - 1) {
                    *p += v;
                }
            }
        }
        self.tree = tree;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ranks_match_a_sorted_set_through_pushes_and_removals() {
        let mut ranked: Ranked<u64> = Ranked::default();
        let mut model: BTreeSet<u64> = BTreeSet::new();
        let (mut next, mut x) = (1u64, 9u64);
        for step in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            // Pushes a little more often than removals early, less later, so
            // the queue grows, drains and chunks empty and pack.
            let push = (x >> 60) < if step < 10_000 { 10 } else { 6 };
            if push || model.is_empty() {
                // Mostly a key above all others; now and then one below
                // them (taking its place inside a chunk) or a repeat.
                let key = match x >> 58 {
                    0 => (x >> 20) % (next + 1),
                    _ => {
                        next += 1 + (x >> 62);
                        next
                    }
                };
                assert_eq!(ranked.insert(key), model.insert(key), "key {key}");
                assert!(!ranked.insert(key), "a key present is refused");
            } else {
                let nth = usize::try_from((x >> 33) % model.len() as u64).unwrap();
                let key = *model.iter().nth(nth).unwrap();
                ranked.remove(key);
                model.remove(&key);
                assert_eq!(ranked.rank(key), None);
            }
            if step % 97 == 0 {
                for (i, key) in model.iter().enumerate() {
                    assert_eq!(ranked.rank(*key), Some(i), "step {step}");
                }
            }
        }
        let rebuilt = Ranked::from_sorted(model.iter().copied());
        for (i, key) in model.iter().enumerate() {
            assert_eq!(rebuilt.rank(*key), Some(i));
        }
    }

    #[test]
    fn keys_added_in_falling_order_split_chunks_and_keep_ranks() {
        let mut ranked: Ranked<(u64, u64)> = Ranked::default();
        // One instant, arrivals given last-first: every key after the first
        // goes below all others.
        for arrival in (0..3_000u64).rev() {
            assert!(ranked.insert((7, arrival)));
        }
        assert!(ranked.chunks.len() > 3, "a chunk past twice its size splits");
        assert!(ranked.chunks.iter().all(|c| c.len() <= 2 * CHUNK));
        for arrival in 0..3_000u64 {
            assert_eq!(ranked.rank((7, arrival)), Some(usize::try_from(arrival).unwrap()));
        }
        ranked.remove((7, 5));
        assert_eq!((ranked.rank((7, 5)), ranked.rank((7, 6))), (None, Some(5)));
    }
}
