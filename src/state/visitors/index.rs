//! Visitor id → slot, in 4 bytes per entry: an open-addressing table with
//! Robin Hood probing. An entry packs the slot (26 bits) with its distance
//! from its home position (6 bits); the ids themselves stay in the visitor
//! records, so a lookup compares only entries whose home is the key's own
//! (an entry's home is its position minus its distance), and a removal
//! shifts the entries after it back without hashing anything.
//!
//! The table is never iterated into an output (R25): its layout depends on
//! the hasher's random keys, which are chosen per process so that no set of
//! ids can be crafted to collide.

use std::hash::{BuildHasher, RandomState};

/// Bits of an entry that hold the slot.
const SLOT_BITS: u32 = 26;
const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
/// An empty position (distance 63, which no entry has).
const EMPTY: u32 = u32::MAX;
/// The longest distance an entry may have; an insert that would go further
/// grows the table.
const MAX_DIST: u32 = 62;

/// The most slots an index can hold: slots are `0..MAX_SLOTS`.
pub(crate) const MAX_SLOTS: u32 = SLOT_MASK;

/// Id → slot. Cost of each method stated; `name` gives the id held in a slot.
#[derive(Clone, Default)]
pub(crate) struct Index {
    table: Vec<u32>,
    len: usize,
    hasher: RandomState,
}

/// Shows the number of entries only: the layout depends on the hasher's
/// keys, and debug output is compared across runs (R25).
impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("len", &self.len).finish_non_exhaustive()
    }
}

fn dist(e: u32) -> u32 {
    e >> SLOT_BITS
}

impl Index {
    /// Entries. O(1).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The home position of hash `h` in a table of `cap` positions.
    fn home(h: u64, cap: usize) -> usize {
        // The high bits of the product: a uniform position without a division.
        usize::try_from((u128::from(h) * cap as u128) >> 64).unwrap_or(0)
    }

    /// The position holding `id`, if present. O(1) expected: entries are
    /// compared by id only when they share the key's home.
    fn find<'a>(&self, id: &str, name: impl Fn(u32) -> Option<&'a str>) -> Option<usize> {
        let cap = self.table.len();
        if cap == 0 {
            return None;
        }
        let mut p = Self::home(self.hash(id), cap);
        for d in 0..=MAX_DIST {
            let e = *self.table.get(p)?;
            if e == EMPTY || dist(e) < d {
                return None;
            }
            if dist(e) == d && name(e & SLOT_MASK) == Some(id) {
                return Some(p);
            }
            p = if p + 1 == cap { 0 } else { p + 1 };
        }
        None
    }

    /// The slot of `id`. O(1) expected.
    pub(crate) fn get<'a>(&self, id: &str, name: impl Fn(u32) -> Option<&'a str>) -> Option<u32> {
        self.find(id, name).and_then(|p| self.table.get(p)).map(|e| e & SLOT_MASK)
    }

    /// Adds `slot` under `id`, which must not be present; `slot` must be
    /// below [`MAX_SLOTS`]. O(1) amortized; growing rehashes every id
    /// (O(entries)), each time the table is 7/8 full, to 1.5 times its size.
    pub(crate) fn insert<'a>(&mut self, id: &str, slot: u32, name: impl Fn(u32) -> Option<&'a str> + Copy) {
        if (self.len + 1) * 8 > self.table.len() * 7 {
            self.grow(name);
        }
        let h = self.hash(id);
        while !self.place(h, slot) {
            self.grow(name);
        }
        self.len += 1;
    }

    /// Robin Hood insertion of `slot` with hash `h`; false (and nothing
    /// changed) when some entry would move further than [`MAX_DIST`].
    fn place(&mut self, h: u64, slot: u32) -> bool {
        let cap = self.table.len();
        if cap == 0 {
            return false;
        }
        // Check first that the run to the next empty position is short
        // enough for every entry in it to move one further.
        let start = Self::home(h, cap);
        let mut p = start;
        let mut entry = slot;
        let mut d = 0;
        let mut plan_p = p;
        let mut plan_d = 0;
        loop {
            let Some(&e) = self.table.get(plan_p) else { return false };
            if e == EMPTY {
                break;
            }
            if dist(e) < plan_d {
                // The carried entry takes this place; the displaced one carries on.
                plan_d = dist(e);
            }
            plan_d += 1;
            if plan_d > MAX_DIST {
                return false;
            }
            plan_p = if plan_p + 1 == cap { 0 } else { plan_p + 1 };
        }
        loop {
            let Some(cell) = self.table.get_mut(p) else { return false };
            if *cell == EMPTY {
                *cell = (d << SLOT_BITS) | entry;
                return true;
            }
            if dist(*cell) < d {
                let displaced = *cell;
                *cell = (d << SLOT_BITS) | entry;
                entry = displaced & SLOT_MASK;
                d = dist(displaced);
            }
            d += 1;
            p = if p + 1 == cap { 0 } else { p + 1 };
        }
    }

    /// A table 1.5 times larger (at least 16), every entry placed again.
    fn grow<'a>(&mut self, name: impl Fn(u32) -> Option<&'a str>) {
        let mut cap = (self.table.len() * 3 / 2).max(16);
        loop {
            let old = std::mem::replace(&mut self.table, vec![EMPTY; cap]);
            let mut ok = true;
            for e in old.iter().copied().filter(|e| *e != EMPTY) {
                let slot = e & SLOT_MASK;
                let h = self.hash(name(slot).unwrap_or_default());
                if !self.place(h, slot) {
                    ok = false;
                    break;
                }
            }
            if ok {
                return;
            }
            // Vanishingly unlikely with random keys: try larger still.
            self.table = old;
            cap = cap * 3 / 2;
        }
    }

    /// Removes `id`; returns its slot. O(1) expected: the entries after it
    /// move back one place until one is at its home.
    pub(crate) fn remove<'a>(&mut self, id: &str, name: impl Fn(u32) -> Option<&'a str>) -> Option<u32> {
        let mut p = self.find(id, name)?;
        let cap = self.table.len();
        let slot = self.table.get(p)? & SLOT_MASK;
        loop {
            let next = if p + 1 == cap { 0 } else { p + 1 };
            let e = self.table.get(next).copied().unwrap_or(EMPTY);
            let Some(cell) = self.table.get_mut(p) else { break };
            if e == EMPTY || dist(e) == 0 {
                *cell = EMPTY;
                break;
            }
            *cell = e - (1 << SLOT_BITS);
            p = next;
        }
        self.len -= 1;
        Some(slot)
    }

    /// Heap bytes held. O(1).
    pub(crate) fn bytes(&self) -> usize {
        self.table.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn matches_a_hash_map_through_inserts_and_removals() {
        let mut names: Vec<Option<String>> = Vec::new();
        let mut index = Index::default();
        let mut model: HashMap<String, u32> = HashMap::new();
        let mut x: u64 = 3;
        for step in 0..40_000u32 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let key = format!("v{}", (x >> 40) % 5_000);
            if let Some(slot) = model.remove(&key) {
                let got = index.remove(&key, |s| names.get(s as usize)?.as_deref());
                assert_eq!(got, Some(slot), "step {step}");
                names[slot as usize] = None;
            } else {
                let slot = u32::try_from(names.len()).unwrap();
                names.push(Some(key.clone()));
                index.insert(&key, slot, |s| names.get(s as usize)?.as_deref());
                model.insert(key, slot);
            }
            assert_eq!(index.len(), model.len());
        }
        for (key, slot) in &model {
            assert_eq!(index.get(key, |s| names.get(s as usize)?.as_deref()), Some(*slot));
        }
        assert_eq!(index.get("absent", |s| names.get(s as usize)?.as_deref()), None);
        // At most 1.5 × (8/7) positions per entry after the last growth.
        assert!(index.bytes() <= 4 * (model.len().max(1000) * 12 / 7 + 16));
    }
}
