//! Visitor id → slot, in 4 bytes per entry: an open-addressing table with
//! Robin Hood probing. An entry packs the slot plus one (26 bits, so that
//! an all-zero position is empty) with its distance from its home position
//! (6 bits); the ids themselves stay in the visitor records, so a lookup
//! compares only entries whose home is the key's own (an entry's home is
//! its position minus its distance), and a removal shifts the entries after
//! it back without hashing anything.
//!
//! Growth never stops the world: a table 1.5 times larger starts empty,
//! and every insert then moves the entries of a few positions of the old
//! table into it, from its last position down, until none is left.
//! Meanwhile lookups look in the new table, then the old; removals there
//! leave a tombstone, so that the old table's entries never move.
//!
//! A table is kept in segments of [`SEGMENT`] positions (32 KiB), each
//! allocated when the first entry is placed in it and freed, in the old
//! table, as soon as every position in it has moved. Segments that size
//! come from the allocator's own heap, so a freed one is reused by the next
//! rather than given back to the system: on a virtual machine giving memory
//! back costs some 50 µs a time however little is given (it flushes every
//! processor's address translations), and freeing a whole 13 MB table at
//! once took half a millisecond.
//!
//! The table is never iterated into an output (R25): its layout depends on
//! the hasher's random keys (`crate::hash`), drawn when the index is made, so that no set of
//! ids can be crafted to collide.

use crate::hash::IdHasher;

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

/// Positions in a segment (a power of two): 32 KiB of entries.
const SEGMENT: usize = 1 << SEGMENT_BITS;
const SEGMENT_BITS: u32 = 13;

/// The most slots an index can hold: slots are `0..MAX_SLOTS` (so that a
/// slot plus one fits its 26 bits).
pub(crate) const MAX_SLOTS: u32 = SLOT_MASK;

/// The ids the index's entries point to: the id held in a slot, and
/// whether a slot holds a given id (which a store may answer without
/// making the id).
pub(crate) trait Names<'a>: Copy {
    fn name(self, slot: u32) -> Option<&'a str>;

    fn is(self, slot: u32, id: &str) -> bool {
        self.name(slot) == Some(id)
    }
}

impl<'a, F: Fn(u32) -> Option<&'a str> + Copy> Names<'a> for F {
    fn name(self, slot: u32) -> Option<&'a str> {
        self(slot)
    }
}

/// Id → slot. Cost of each method stated; `name` gives the id held in a slot.
#[derive(Clone, Default)]
pub(crate) struct Index {
    table: Table,
    /// The table before the last growth, while its entries move over: its
    /// positions from `moved` up are done, and their segments freed.
    old: Table,
    moved: usize,
    len: usize,
    hasher: IdHasher,
}

/// Shows the number of entries only: the layout depends on the hasher's
/// keys, and debug output is compared across runs (R25).
impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("len", &self.len).finish_non_exhaustive()
    }
}

/// `cap` positions in segments of [`SEGMENT`], each allocated when first
/// written; a missing segment's positions read as `missing` (empty in the
/// current table, a tombstone in the old one, whose freed segments may have
/// held entries a probe must pass over).
#[derive(Clone, Default)]
struct Table {
    segments: Vec<Option<Box<[u32]>>>,
    cap: usize,
    missing: u32,
}

impl Table {
    /// An empty table of `cap` positions. O(cap / SEGMENT).
    fn new(cap: usize) -> Self {
        Table { segments: vec![None; cap.div_ceil(SEGMENT)], cap, missing: EMPTY }
    }

    /// The entry at `p`. O(1).
    fn get(&self, p: usize) -> u32 {
        match self.segments.get(p >> SEGMENT_BITS) {
            Some(Some(segment)) => segment.get(p & (SEGMENT - 1)).copied().unwrap_or(self.missing),
            _ => self.missing,
        }
    }

    /// The positions from `p` (below the table's size) to the end of its
    /// segment: their entries when the segment is allocated, and how many
    /// there are (at least one).
    #[inline]
    fn run(&self, p: usize) -> (Option<&[u32]>, usize) {
        let off = p & (SEGMENT - 1);
        let len = (SEGMENT - off).min(self.cap.saturating_sub(p)).max(1);
        match self.segments.get(p >> SEGMENT_BITS) {
            Some(Some(segment)) => (segment.get(off..), len),
            _ => (None, len),
        }
    }

    /// The entry at `p`, to write, its segment allocated (zeroed) if
    /// missing; `None` past the end. O(1), O(SEGMENT) for a new segment.
    fn get_mut(&mut self, p: usize) -> Option<&mut u32> {
        let i = p >> SEGMENT_BITS;
        let len = self.cap.saturating_sub(i << SEGMENT_BITS).min(SEGMENT);
        let segment = self.segments.get_mut(i)?.get_or_insert_with(|| vec![EMPTY; len].into_boxed_slice());
        segment.get_mut(p & (SEGMENT - 1))
    }

    /// Frees the segments wholly within positions `from..to`. O(segments
    /// freed).
    fn free(&mut self, from: usize, to: usize) {
        let (first, end) = (from.div_ceil(SEGMENT), to.div_ceil(SEGMENT));
        for segment in self.segments.iter_mut().take(end).skip(first) {
            *segment = None;
        }
    }

    fn is_empty(&self) -> bool {
        self.cap == 0
    }

    /// Heap bytes held. O(segments).
    fn bytes(&self) -> usize {
        self.segments.capacity() * std::mem::size_of::<Option<Box<[u32]>>>()
            + self.segments.iter().flatten().map(|s| s.len() * 4).sum::<usize>()
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

/// The position of `id` (hash `h`) in `table` and its entry, if present. O(1) expected:
/// entries are compared by id only when they share the key's home.
/// Tombstones, and an old table's freed segments, are passed over.
fn find_in<'a>(table: &Table, h: u64, id: &str, name: impl Names<'a>) -> Option<(usize, u32)> {
    if table.cap == 0 {
        return None;
    }
    let mut p = home(h, table.cap);
    let mut d = 0;
    // A run of positions at a time, to the end of the segment they are in.
    loop {
        let (run, len) = table.run(p);
        match run {
            Some(run) => {
                for (k, &e) in run.iter().take(len).enumerate() {
                    if e == EMPTY {
                        return None;
                    }
                    if e != TOMB {
                        if dist(e) < d {
                            return None;
                        }
                        if dist(e) == d && name.is(slot_of(e), id) {
                            return Some((p + k, e));
                        }
                    }
                    d += 1;
                    if d > MAX_DIST {
                        return None;
                    }
                }
            }
            // A segment not allocated: empty positions end the probe; the
            // old table's freed ones are tombstones, passed over.
            None if table.missing == EMPTY => return None,
            None => {
                d = d.saturating_add(u32::try_from(len).unwrap_or(u32::MAX));
                if d > MAX_DIST {
                    return None;
                }
            }
        }
        p += len;
        if p >= table.cap {
            p = 0;
        }
    }
}

/// Robin Hood insertion of `slot` with hash `h` into `table`; false (and
/// nothing changed) when some entry would move further than [`MAX_DIST`].
fn place(table: &mut Table, h: u64, slot: u32) -> bool {
    let cap = table.cap;
    if cap == 0 {
        return false;
    }
    // Check first that the run to the next empty position is short enough
    // for every entry in it to move one further.
    let start = home(h, cap);
    let mut plan_p = start;
    let mut plan_d = 0;
    loop {
        let e = table.get(plan_p);
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
        self.hasher.hash_str(id)
    }

    /// The slot of `id`. O(1) expected (two tables while one grows).
    pub(crate) fn get<'a>(&self, id: &str, name: impl Names<'a>) -> Option<u32> {
        let h = self.hash(id);
        let at = |table: &Table| find_in(table, h, id, name).map(|(_, e)| slot_of(e));
        if self.old.is_empty() {
            return at(&self.table);
        }
        // While a growth moves entries over, the old table first when the
        // id's home there is in its part not yet moved: it is most likely
        // still there.
        if home(h, self.old.cap) < self.moved {
            at(&self.old).or_else(|| at(&self.table))
        } else {
            at(&self.table).or_else(|| at(&self.old))
        }
    }

    /// Adds `slot` under `id`, which must not be present; `slot` must be
    /// below [`MAX_SLOTS`]. O(1): while the table grows, each insert moves
    /// the entries of [`STEP`] positions over; a new growth starts when the
    /// table is 7/8 full, to 1.5 times its size.
    pub(crate) fn insert<'a>(&mut self, id: &str, slot: u32, name: impl Names<'a>) {
        self.move_some(STEP, name);
        if (self.len + 1) * 8 > self.table.cap * 7 {
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
    /// into the table, from the top down; frees each segment of the old
    /// table once it is done.
    fn move_some<'a>(&mut self, positions: usize, name: impl Names<'a>) {
        if self.old.is_empty() {
            return;
        }
        let start = self.moved.saturating_sub(positions);
        for p in (start..self.moved).rev() {
            let e = self.old.get(p);
            if e == EMPTY || e == TOMB {
                continue;
            }
            let slot = slot_of(e);
            let h = self.hash(name.name(slot).unwrap_or_default());
            if !place(&mut self.table, h, slot) {
                // A run too long in the new table: finish the move into a
                // larger one at once (never seen with random keys).
                self.moved = p + 1;
                self.rebuild(name);
                return;
            }
        }
        let done = std::mem::replace(&mut self.moved, start);
        if self.moved == 0 {
            self.old = Table::default();
        } else {
            self.old.free(self.moved, done);
        }
    }

    /// Starts a growth: the table becomes the old one, and an empty table
    /// 1.5 times larger (at least 16) takes its place. A growth still
    /// under way is finished first. O(segments) but for that.
    fn grow<'a>(&mut self, name: impl Names<'a>) {
        if !self.old.is_empty() {
            self.move_some(self.old.cap, name);
        }
        if !self.old.is_empty() {
            return;
        }
        let cap = (self.table.cap * 3 / 2).max(16);
        self.old = std::mem::replace(&mut self.table, Table::new(cap));
        self.old.missing = TOMB;
        self.moved = self.old.cap;
    }

    /// Places every entry of both tables into a table larger than both, at
    /// once. O(entries); only when a run grows too long.
    fn rebuild<'a>(&mut self, name: impl Names<'a>) {
        let entries: Vec<u32> = (0..self.table.cap)
            .map(|p| self.table.get(p))
            .chain((0..self.moved).map(|p| self.old.get(p)))
            .filter(|e| *e != EMPTY && *e != TOMB)
            .map(slot_of)
            .collect();
        let mut cap = (self.table.cap.max(self.old.cap) * 3 / 2).max(16);
        loop {
            let mut table = Table::new(cap);
            let ok =
                entries.iter().all(|&slot| place(&mut table, self.hash(name.name(slot).unwrap_or_default()), slot));
            if ok {
                self.table = table;
                self.old = Table::default();
                self.moved = 0;
                return;
            }
            cap = cap * 3 / 2;
        }
    }

    /// Removes `id`; returns its slot. O(1) expected: in the table, the
    /// entries after it move back one place until one is at its home; in an
    /// old table still moving over, it leaves a tombstone.
    pub(crate) fn remove<'a>(&mut self, id: &str, name: impl Names<'a>) -> Option<u32> {
        let h = self.hash(id);
        let mut found = None;
        if let Some((p, _)) = find_in(&self.old, h, id, name) {
            if let Some(cell) = self.old.get_mut(p) {
                found = Some(slot_of(*cell));
                *cell = TOMB;
            }
        }
        if let Some((mut p, _)) = find_in(&self.table, h, id, name) {
            let cap = self.table.cap;
            found = Some(slot_of(self.table.get(p)));
            loop {
                let next = if p + 1 == cap { 0 } else { p + 1 };
                let e = self.table.get(next);
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

    /// Heap bytes held (both tables while one grows). O(segments).
    pub(crate) fn bytes(&self) -> usize {
        self.table.bytes() + self.old.bytes()
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
            let before = (index.table.cap, index.old.cap, index.moved);
            index.insert(&names[slot as usize], slot, |s| names.get(s as usize).map(String::as_str));
            let (table, old, moved) = (index.table.cap, index.old.cap, index.moved);
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
