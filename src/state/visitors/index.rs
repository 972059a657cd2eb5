//! Visitor id → slot, in 4 bytes per entry: an open-addressing table with
//! Robin Hood probing. An entry packs the slot plus one (26 bits, so that
//! an all-zero position is empty) with its distance from its home position
//! (6 bits); the ids themselves stay in the visitor records, so a lookup
//! compares only entries whose home is the key's own (an entry's home is
//! its position minus its distance), and a removal shifts the entries after
//! it back without hashing anything.
//!
//! Growth never stops the world: a table 1.5 times larger is allocated
//! zeroed (which costs nothing until its pages are used), and every insert
//! then moves the entries of a few positions of the old table into it,
//! from its last position down, until none is left. Meanwhile lookups look
//! in the new table, then the old; removals there leave a tombstone, so
//! that the old table's entries never move. The old table is given back a
//! sixty-fourth at a time as its tail is done (a lookup passes over positions
//! given back as over tombstones: a probe is never longer than
//! [`MAX_DIST`]), so that freeing it is no pause either.
//!
//! The table is never iterated into an output (R25): its layout depends on
//! the hasher's random keys, which are chosen per process so that no set of
//! ids can be crafted to collide.

use std::hash::{BuildHasher, RandomState};

/// Bits of an entry that hold the slot plus one.
const SLOT_BITS: u32 = 26;
const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;
/// An empty position.
const EMPTY: u32 = 0;
/// A removed entry of the old table while it is being moved.
const TOMB: u32 = u32::MAX;
/// The longest distance an entry may have; an insert that would go further
/// grows the table.
const MAX_DIST: u32 = 62;
/// Positions of the old table moved by each insert while it grows: a
/// table 7/8 full that grows by half takes in at most 1/8 of its old size
/// more entries before the move ends, far below its own 7/8.
const STEP: usize = 8;

/// The most slots an index can hold: slots are `0..MAX_SLOTS` (so that a
/// slot plus one fits its 26 bits).
pub(crate) const MAX_SLOTS: u32 = SLOT_MASK;

/// Id → slot. Cost of each method stated; `name` gives the id held in a slot.
#[derive(Clone, Default)]
pub(crate) struct Index {
    table: Vec<u32>,
    /// The table before the last growth, while its entries move over: its
    /// positions from `moved` up are done, and given back as they go.
    old: Vec<u32>,
    /// The old table's size when it grew: its entries' homes are computed
    /// for it.
    old_cap: usize,
    moved: usize,
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

/// The slot of a (non-empty) entry.
fn slot_of(e: u32) -> u32 {
    (e & SLOT_MASK).wrapping_sub(1)
}

/// The home position of hash `h` in a table of `cap` positions.
fn home(h: u64, cap: usize) -> usize {
    // The high bits of the product: a uniform position without a division.
    usize::try_from((u128::from(h) * cap as u128) >> 64).unwrap_or(0)
}

/// The position of `id` (hash `h`) in `table`, laid out for `cap`
/// positions, if present. O(1) expected: entries are compared by id only
/// when they share the key's home. Tombstones, and positions past the
/// table's end (an old table's tail already given back), are passed over.
fn find_in<'a>(table: &[u32], cap: usize, h: u64, id: &str, name: &impl Fn(u32) -> Option<&'a str>) -> Option<usize> {
    if cap == 0 || table.is_empty() {
        return None;
    }
    let mut p = home(h, cap);
    for d in 0..=MAX_DIST {
        let e = table.get(p).copied().unwrap_or(TOMB);
        if e == EMPTY {
            return None;
        }
        if e != TOMB {
            if dist(e) < d {
                return None;
            }
            if dist(e) == d && name(slot_of(e)) == Some(id) {
                return Some(p);
            }
        }
        p = if p + 1 == cap { 0 } else { p + 1 };
    }
    None
}

/// Robin Hood insertion of `slot` with hash `h` into `table`; false (and
/// nothing changed) when some entry would move further than [`MAX_DIST`].
fn place(table: &mut [u32], h: u64, slot: u32) -> bool {
    let cap = table.len();
    if cap == 0 {
        return false;
    }
    // Check first that the run to the next empty position is short enough
    // for every entry in it to move one further.
    let start = home(h, cap);
    let mut plan_p = start;
    let mut plan_d = 0;
    loop {
        let Some(&e) = table.get(plan_p) else { return false };
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
    let (mut p, mut entry, mut d) = (start, slot + 1, 0);
    loop {
        let Some(cell) = table.get_mut(p) else { return false };
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

impl Index {
    /// Entries. O(1).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    /// The slot of `id`. O(1) expected (two tables while one grows).
    pub(crate) fn get<'a>(&self, id: &str, name: impl Fn(u32) -> Option<&'a str>) -> Option<u32> {
        let h = self.hash(id);
        let at = |table: &[u32], cap| find_in(table, cap, h, id, &name).and_then(|p| table.get(p)).map(|e| slot_of(*e));
        at(&self.table, self.table.len())
            .or_else(|| if self.old.is_empty() { None } else { at(&self.old, self.old_cap) })
    }

    /// Adds `slot` under `id`, which must not be present; `slot` must be
    /// below [`MAX_SLOTS`]. O(1): while the table grows, each insert moves
    /// the entries of [`STEP`] positions over; a new growth starts when the
    /// table is 7/8 full, to 1.5 times its size, allocated zeroed.
    pub(crate) fn insert<'a>(&mut self, id: &str, slot: u32, name: impl Fn(u32) -> Option<&'a str> + Copy) {
        self.move_some(STEP, name);
        if (self.len + 1) * 8 > self.table.len() * 7 {
            self.grow(name);
        }
        let h = self.hash(id);
        while !place(&mut self.table, h, slot) {
            // Vanishingly unlikely with random keys: a run too long.
            self.grow(name);
        }
        self.len += 1;
    }

    /// Moves the entries of up to `positions` positions of the old table
    /// into the table, from the top down; gives back the done tail a
    /// sixty-fourth of the old table at a time, and the whole once every
    /// position is done.
    fn move_some<'a>(&mut self, positions: usize, name: impl Fn(u32) -> Option<&'a str>) {
        if self.old.is_empty() {
            return;
        }
        let start = self.moved.saturating_sub(positions);
        for p in (start..self.moved).rev() {
            let Some(&e) = self.old.get(p) else { continue };
            if e == EMPTY || e == TOMB {
                continue;
            }
            let slot = slot_of(e);
            let h = self.hash(name(slot).unwrap_or_default());
            if !place(&mut self.table, h, slot) {
                // A run too long in the new table: finish the move into a
                // larger one at once (never seen with random keys).
                self.moved = p + 1;
                self.rebuild(name);
                return;
            }
        }
        self.moved = start;
        if self.moved == 0 {
            self.old = Vec::new();
            self.old_cap = 0;
        } else if self.old.capacity() - self.moved >= (self.old_cap / 64).max(4096) {
            self.old.truncate(self.moved);
            self.old.shrink_to(self.moved);
        }
    }

    /// Starts a growth: the table becomes the old one, and a zeroed table
    /// 1.5 times larger (at least 16) takes its place. A growth still
    /// under way is finished first. O(1) but for that.
    fn grow<'a>(&mut self, name: impl Fn(u32) -> Option<&'a str> + Copy) {
        if !self.old.is_empty() {
            self.move_some(self.old.len(), name);
        }
        if !self.old.is_empty() {
            return;
        }
        let cap = (self.table.len() * 3 / 2).max(16);
        self.old = std::mem::replace(&mut self.table, vec![EMPTY; cap]);
        self.old_cap = self.old.len();
        self.moved = self.old_cap;
    }

    /// Places every entry of both tables into a table larger than both, at
    /// once. O(entries); only when a run grows too long.
    fn rebuild<'a>(&mut self, name: impl Fn(u32) -> Option<&'a str>) {
        let entries: Vec<u32> = self
            .table
            .iter()
            .chain(self.old.get(..self.moved).unwrap_or_default())
            .copied()
            .filter(|e| *e != EMPTY && *e != TOMB)
            .map(slot_of)
            .collect();
        let mut cap = (self.table.len().max(self.old.len()) * 3 / 2).max(16);
        loop {
            let mut table = vec![EMPTY; cap];
            let ok = entries.iter().all(|&slot| place(&mut table, self.hash(name(slot).unwrap_or_default()), slot));
            if ok {
                self.table = table;
                self.old = Vec::new();
                self.old_cap = 0;
                self.moved = 0;
                return;
            }
            cap = cap * 3 / 2;
        }
    }

    /// Removes `id`; returns its slot. O(1) expected: in the table, the
    /// entries after it move back one place until one is at its home; in an
    /// old table still moving over, it leaves a tombstone.
    pub(crate) fn remove<'a>(&mut self, id: &str, name: impl Fn(u32) -> Option<&'a str>) -> Option<u32> {
        let h = self.hash(id);
        let mut found = None;
        if let Some(p) = find_in(&self.old, self.old_cap, h, id, &name) {
            if let Some(cell) = self.old.get_mut(p) {
                found = Some(slot_of(*cell));
                *cell = TOMB;
            }
        }
        if let Some(mut p) = find_in(&self.table, self.table.len(), h, id, &name) {
            let cap = self.table.len();
            found = self.table.get(p).map(|e| slot_of(*e));
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
        }
        if found.is_some() {
            self.len -= 1;
        }
        found
    }

    /// Heap bytes held (both tables while one grows). O(1).
    pub(crate) fn bytes(&self) -> usize {
        (self.table.capacity() + self.old.capacity()) * 4
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
            // While a growth moves entries over, both tables answer.
            let probe = format!("v{}", (x >> 20) % 5_000);
            let got = index.get(&probe, |s| names.get(s as usize)?.as_deref());
            assert_eq!(got, model.get(&probe).copied(), "step {step}: {probe}");
        }
        for (key, slot) in &model {
            assert_eq!(index.get(key, |s| names.get(s as usize)?.as_deref()), Some(*slot));
        }
        assert_eq!(index.get("absent", |s| names.get(s as usize)?.as_deref()), None);
        // At most 1.5 × (8/7) positions per entry after the last growth,
        // plus the old table while it moves over.
        assert!(index.bytes() <= 4 * (model.len().max(1000) * 12 / 7 + 16) * 2);
    }

    /// Growing moves a bounded number of positions per insert: the old
    /// table is gone after a fraction of the inserts that filled it, and
    /// no insert ever rehashes everything.
    #[test]
    fn growth_moves_a_few_positions_per_insert() {
        let mut names: Vec<String> = Vec::new();
        let mut index = Index::default();
        let mut longest_old = 0;
        for slot in 0..200_000u32 {
            names.push(format!("visitor-{slot}"));
            let before = (index.table.len(), index.old.len(), index.moved);
            index.insert(&names[slot as usize], slot, |s| names.get(s as usize).map(String::as_str));
            let (table, old, moved) = (index.table.len(), index.old.len(), index.moved);
            if table == before.0 && old > 0 && before.1 > 0 {
                // Within one growth: at most STEP positions moved on.
                assert!(before.2 <= moved + STEP, "moved {} → {moved}", before.2);
            }
            longest_old = longest_old.max(old);
            // Lookups while the old table's tail is given back: an early id
            // (whose probe may wrap past the given-back end), a recent one,
            // and one never inserted.
            if slot % 97 == 0 {
                let name = |s: u32| names.get(s as usize).map(String::as_str);
                for probe in [slot / 3, slot, slot / 2 + 1].into_iter().filter(|p| *p <= slot) {
                    assert_eq!(index.get(&names[probe as usize], name), Some(probe), "insert {slot}: {probe}");
                }
                assert_eq!(index.get("nobody", name), None);
            }
        }
        assert!(longest_old > 0, "the test never saw a growth under way");
        // Removals while a growth is under way leave nothing behind.
        let name = |s: u32| names.get(s as usize).map(String::as_str);
        for slot in (0..200_000u32).step_by(3) {
            assert_eq!(index.remove(&names[slot as usize], name), Some(slot));
        }
        for (slot, id) in names.iter().enumerate() {
            let want = (slot % 3 != 0).then_some(slot as u32);
            assert_eq!(index.get(id, name), want, "{id}");
        }
    }
}
