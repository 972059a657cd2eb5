//! A small bitset over dense indices (groups, agents), inline up to 256.

use smallvec::SmallVec;

/// A set of dense indices. Cost: `contains`, `insert`, `remove` O(1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BitSet {
    words: SmallVec<[u64; 4]>,
}

impl BitSet {
    pub(crate) fn insert(&mut self, i: usize) {
        let (w, b) = (i / 64, i % 64);
        if self.words.len() <= w {
            self.words.resize(w + 1, 0);
        }
        if let Some(word) = self.words.get_mut(w) {
            *word |= 1 << b;
        }
    }

    pub(crate) fn remove(&mut self, i: usize) {
        if let Some(word) = self.words.get_mut(i / 64) {
            *word &= !(1 << (i % 64));
        }
    }

    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn matches_a_vec_of_bools() {
        let mut set = BitSet::default();
        let members = [0, 5, 63, 64, 130, 199];
        for &i in &members {
            set.insert(i);
        }
        for i in 0..300 {
            assert_eq!(set.contains(i), members.contains(&i), "index {i}");
        }
    }
}
