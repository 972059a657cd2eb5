//! Queue places in O(log n): the queued chats' keys in chunks by key, with
//! a Fenwick tree of the chunks' sizes. Keys are given by the account's one
//! counter, so a chat entering the queue always has the largest key: chunks
//! are only ever appended, and a chat's chunk index never changes. Chunks a
//! dequeue emptied stay until they are half of all chunks; then the chunks
//! are packed, in O(chunks) — a few hundred for a 100,000-chat queue.

/// Keys per chunk.
const CHUNK: usize = 256;

/// Queue keys with their ranks. Cost of each method stated.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ranked {
    /// Keys by chunk, each sorted; every key of a chunk below every key of
    /// the next.
    chunks: Vec<Vec<u64>>,
    /// The first key each chunk had (its lower bound), for finding a key's
    /// chunk even once the chunk emptied.
    bounds: Vec<u64>,
    /// Fenwick tree over the chunks' sizes (1-based).
    tree: Vec<usize>,
    /// Chunks with no key.
    empty: usize,
    /// The largest key ever added: the next must be larger.
    max: Option<u64>,
}

impl Ranked {
    /// Builds from keys in increasing order. O(n).
    pub(crate) fn from_sorted(keys: impl IntoIterator<Item = u64>) -> Self {
        let mut r = Ranked::default();
        for k in keys {
            let _ = r.push(k);
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
    fn chunk_of(&self, key: u64) -> usize {
        self.bounds.partition_point(|b| *b <= key).saturating_sub(1)
    }

    /// Adds a key larger than every key added before; false (and nothing
    /// added) for one that is not. O(log chunks) amortized.
    #[must_use]
    pub(crate) fn push(&mut self, key: u64) -> bool {
        if self.max.is_some_and(|max| key <= max) {
            return false;
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

    /// Removes `key`, if present. O(log chunks + CHUNK).
    pub(crate) fn remove(&mut self, key: u64) {
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
    pub(crate) fn rank(&self, key: u64) -> Option<usize> {
        let c = self.chunk_of(key);
        let i = self.chunks.get(c)?.binary_search(&key).ok()?;
        Some(self.before(c) + i)
    }

    /// Drops the empty chunks. O(chunks).
    fn pack(&mut self) {
        let (chunks, bounds): (Vec<Vec<u64>>, Vec<u64>) = std::mem::take(&mut self.chunks)
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
        let mut ranked = Ranked::default();
        let mut model: BTreeSet<u64> = BTreeSet::new();
        let (mut next, mut x) = (1u64, 9u64);
        for step in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            // Pushes a little more often than removals early, less later, so
            // the queue grows, drains and chunks empty and pack.
            let push = (x >> 60) < if step < 10_000 { 10 } else { 6 };
            if push || model.is_empty() {
                next += 1 + (x >> 62);
                assert!(ranked.push(next));
                assert!(!ranked.push(next), "a key not above the last is refused");
                model.insert(next);
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
}
