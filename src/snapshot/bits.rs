//! A small bitset over dense indices (groups, agents), inline up to 256.

/// Words kept inline: indices below 256 need no pointer chase.
const INLINE: usize = 4;

/// A set of dense indices. Cost: `contains`, `insert`, `remove` O(1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BitSet {
    inline: [u64; INLINE],
    /// Words for indices from `64 * INLINE` on; no trailing zero words
    /// (`None` for none: most sets never spill).
    spill: Option<Box<[u64]>>,
}

impl BitSet {
    fn spilled(&self) -> &[u64] {
        self.spill.as_deref().unwrap_or_default()
    }

    /// Replaces the spilled words, keeping no trailing zero word.
    fn set_spill(&mut self, mut words: Vec<u64>) {
        while words.last() == Some(&0) {
            words.pop();
        }
        self.spill = (!words.is_empty()).then(|| words.into_boxed_slice());
    }

    fn word_mut(&mut self, w: usize) -> Option<&mut u64> {
        match w.checked_sub(INLINE) {
            None => self.inline.get_mut(w),
            Some(s) => {
                if self.spilled().len() <= s {
                    let mut words = self.spilled().to_vec();
                    words.resize(s + 1, 0);
                    self.spill = Some(words.into_boxed_slice());
                }
                self.spill.as_deref_mut()?.get_mut(s)
            }
        }
    }

    pub(crate) fn insert(&mut self, i: usize) {
        if let Some(word) = self.word_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    pub(crate) fn remove(&mut self, i: usize) {
        if i / 64 >= INLINE && i / 64 - INLINE >= self.spilled().len() {
            return;
        }
        if let Some(word) = self.word_mut(i / 64) {
            *word &= !(1 << (i % 64));
        }
        if self.spilled().last() == Some(&0) {
            let words = self.spilled().to_vec();
            self.set_spill(words);
        }
    }

    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        let w = i / 64;
        let word = match w.checked_sub(INLINE) {
            None => self.inline.get(w),
            Some(s) => self.spilled().get(s),
        };
        word.is_some_and(|word| word & (1 << (i % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::BitSet;

    #[test]
    fn remove_matches_a_vec_of_bools() {
        let mut set = BitSet::default();
        for i in [3, 300, 700] {
            set.insert(i);
        }
        set.remove(700);
        set.remove(9999);
        let mut other = BitSet::default();
        for i in [3, 300] {
            other.insert(i);
        }
        assert_eq!(set, other, "equal sets compare equal after removals");
        assert!(!set.contains(700) && set.contains(300));
    }

    #[test]
    fn matches_a_vec_of_bools() {
        let mut set = BitSet::default();
        let members = [0, 5, 63, 64, 130, 199, 255, 256, 1000];
        for &i in &members {
            set.insert(i);
        }
        for i in 0..1100 {
            assert_eq!(set.contains(i), members.contains(&i), "index {i}");
        }
    }
}
