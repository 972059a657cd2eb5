//! Visitors' ids, by slot, and the index from id to slot.
//!
//! Each slot has a cell of [`CELL`] bytes for its id, at a place computed
//! from the slot alone, so reading an id needs nothing else (a group list
//! entry carries the id's length when it fits its cell). Longer ids are
//! appended to their chunk's string of long ids; a departed visitor's bytes
//! there stay until they are half of it, and then that one chunk's long
//! ids are rewritten (O(chunk), never more); the cell then says where. The
//! index is a Robin Hood table of 4-byte entries ([`Index`]) that compares
//! ids through this store. A slot costs its 16-byte cell and its index
//! entry.

use super::chunked::Entry;
use super::index::{self, Index};

/// Bytes of an id kept in its slot's own cell; longer ids go to the
/// chunk's string of long ids.
pub(super) const CELL: usize = 16;

/// Slots per chunk: as many as the visitors' records have.
pub(super) const SLOTS_PER_CHUNK: usize = 1024;

/// A cell no id has been written to.
const EMPTY_CELL: &str = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
const _: () = assert!(EMPTY_CELL.len() == CELL);

/// The first byte of a cell that points to a long id (ids hold no control
/// characters, so no id starts with it).
const LONG: u8 = 1;

/// The ids of one chunk of slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Chunk {
    /// [`CELL`] bytes per slot: an id that fits, then zeros; for a longer
    /// id, [`LONG`] and where it is in `long` (offset, then length, in
    /// 7-bit groups, so the cell stays text); all zeros for a free slot.
    cells: String,
    long: String,
    /// Bytes of `long` no slot points to.
    garbage: usize,
}

/// A long id's place in a cell: its offset in five 7-bit groups, its
/// length in one.
fn long_cell(at: usize, len: usize) -> [u8; CELL] {
    let mut cell = [0u8; CELL];
    cell[0] = LONG;
    for (k, byte) in cell[1..6].iter_mut().enumerate() {
        *byte = ((at >> (7 * k)) & 0x7f) as u8;
    }
    cell[6] = (len & 0x7f) as u8;
    cell
}

/// Where the long id a cell points to is: (offset, length).
fn long_place(cell: &[u8]) -> (usize, usize) {
    let at = cell.get(1..6).unwrap_or_default().iter().enumerate().map(|(k, b)| usize::from(*b) << (7 * k)).sum();
    (at, cell.get(6).map_or(0, |b| usize::from(*b)))
}

impl Chunk {
    /// Slots in the chunk.
    fn slots(&self) -> usize {
        self.cells.len() / CELL
    }

    /// Slot `i`'s cell.
    #[inline]
    fn cell(&self, i: usize) -> Option<&[u8]> {
        self.cells.as_bytes().get(i * CELL..(i + 1) * CELL)
    }

    /// The id of slot `i` of the chunk (empty for a free slot).
    #[inline]
    fn get(&self, i: usize) -> Option<&str> {
        let cell = self.cell(i)?;
        if cell.first() == Some(&LONG) {
            let (at, len) = long_place(cell);
            return self.long.get(at..at + len);
        }
        let len = cell.iter().position(|b| *b == 0).unwrap_or(CELL);
        self.cells.get(i * CELL..i * CELL + len)
    }

    /// Whether slot `i` holds `id`: compared in its cell, without finding
    /// the cell's length first.
    #[inline]
    fn is(&self, i: usize, id: &str) -> bool {
        let Some(cell) = self.cell(i) else { return false };
        let len = id.len();
        if len <= CELL {
            return holds_short(cell, id.as_bytes());
        }
        if cell.first() != Some(&LONG) {
            return false;
        }
        let (at, len) = long_place(cell);
        self.long.get(at..at + len) == Some(id)
    }

    /// Writes slot `i`'s cell whole.
    fn write(&mut self, i: usize, cell: &[u8; CELL]) {
        // At char boundaries of the string of cells, so it stays text.
        let text = std::str::from_utf8(cell).unwrap_or_default();
        if text.len() == CELL && self.cells.len() >= (i + 1) * CELL {
            self.cells.replace_range(i * CELL..(i + 1) * CELL, text);
        }
    }

    /// Stores `id` for slot `i`.
    fn set(&mut self, i: usize, id: &str) {
        if id.len() <= CELL {
            let mut cell = [0u8; CELL];
            if let Some(prefix) = cell.get_mut(..id.len()) {
                prefix.copy_from_slice(id.as_bytes());
            }
            self.write(i, &cell);
            return;
        }
        if self.garbage >= 4096 && self.garbage * 2 >= self.long.len() {
            self.compact();
        }
        if self.long.capacity() < self.long.len() + id.len() {
            // Exact growth by a quarter: a doubling string would leave up
            // to half its room unused.
            self.long.reserve_exact(id.len().max(self.long.len() / 4));
        }
        let at = self.long.len();
        self.long.push_str(id);
        self.write(i, &long_cell(at, id.len()));
    }

    /// Slot `i` is freed: its cell is emptied, a long id's bytes become
    /// garbage.
    fn clear(&mut self, i: usize) {
        let Some(cell) = self.cell(i) else { return };
        if cell.first() == Some(&LONG) {
            self.garbage += long_place(cell).1;
        }
        self.write(i, &[0; CELL]);
    }

    /// Rewrites the long ids of the slots in use without the departed ones.
    fn compact(&mut self) {
        let mut long = String::with_capacity(self.long.len() - self.garbage + self.long.len() / 8);
        for i in 0..self.slots() {
            if self.cell(i).and_then(|c| c.first()) != Some(&LONG) {
                continue;
            }
            let id = self.get(i).unwrap_or_default();
            let at = long.len();
            long.push_str(id);
            let cell = long_cell(at, id.len());
            self.write(i, &cell);
        }
        self.long = long;
        self.garbage = 0;
    }
}

/// The ids of the slots, and the id → slot index. Cost of each method
/// stated.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    chunks: Vec<Chunk>,
    index: Index,
}

/// The id in `slot`, from the chunks alone.
fn name_in(chunks: &[Chunk], slot: u32) -> Option<&str> {
    chunks.get(slot as usize / SLOTS_PER_CHUNK)?.get(slot as usize % SLOTS_PER_CHUNK)
}

/// The chunks as the index reads them.
#[derive(Clone, Copy)]
struct InChunks<'a>(&'a [Chunk]);

impl<'a> index::Names<'a> for InChunks<'a> {
    fn name(self, slot: u32) -> Option<&'a str> {
        name_in(self.0, slot)
    }

    #[inline]
    fn is(self, slot: u32, id: &str) -> bool {
        self.0.get(slot as usize / SLOTS_PER_CHUNK).is_some_and(|c| c.is(slot as usize % SLOTS_PER_CHUNK, id))
    }
}

/// Whether `cell` holds `id`, of at most [`CELL`] bytes: its bytes, then a
/// zero unless it fills the cell (the zeros after it are the cell's form).
/// Compared a word at a time — two loads that overlap for lengths between
/// the word sizes — rather than byte by byte or through `memcmp`.
#[inline]
fn holds_short(cell: &[u8], id: &[u8]) -> bool {
    let len = id.len();
    let ends = cell.get(len).is_none_or(|b| *b == 0);
    let same = |at: usize, n: usize| cell.get(at..at + n) == id.get(at..at + n);
    let word = |bytes: &[u8], at: usize| bytes.get(at..at + 8).and_then(|s| s.try_into().ok()).map(u64::from_le_bytes);
    let half = |bytes: &[u8], at: usize| bytes.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_le_bytes);
    ends && match len {
        8.. => word(cell, 0) == word(id, 0) && word(cell, len - 8) == word(id, len - 8),
        4..8 => half(cell, 0) == half(id, 0) && half(cell, len - 4) == half(id, len - 4),
        _ => same(0, len),
    }
}

/// The length an id has in its cell: its length when it fits, else 0.
pub(super) fn cell_len(len: usize) -> usize {
    if len <= CELL { len } else { 0 }
}

impl Names {
    /// Ids indexed. O(1).
    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    /// Adds a slot with no id after the last one. O(1) amortized.
    pub(super) fn push_slot(&mut self) {
        if self.chunks.last().is_none_or(|c| c.slots() == SLOTS_PER_CHUNK) {
            self.chunks.push(Chunk::default());
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.cells.push_str(EMPTY_CELL);
        }
    }

    /// The id in `slot`; empty for a slot with none. O(1).
    #[inline]
    pub(super) fn get(&self, slot: u32) -> Option<&str> {
        name_in(&self.chunks, slot)
    }

    /// The id a group list entry names: from the slot's cell alone when it
    /// fits there. O(1).
    #[inline]
    pub(super) fn of_entry(&self, e: Entry) -> Option<&str> {
        let (slot, len) = (e.slot() as usize, e.cell_len());
        if len == 0 {
            return self.get(e.slot());
        }
        let i = slot % SLOTS_PER_CHUNK;
        self.chunks.get(slot / SLOTS_PER_CHUNK)?.cells.get(i * CELL..i * CELL + len)
    }

    /// The slot holding `id`. O(1) expected.
    pub(super) fn slot(&self, id: &str) -> Option<u32> {
        self.index.get(id, InChunks(&self.chunks))
    }

    /// Gives `slot` (made by [`Self::push_slot`], holding no id) the id
    /// `id`, which no other slot holds, and indexes it. O(1) amortized
    /// (growing the index rehashes every id).
    pub(super) fn insert(&mut self, slot: u32, id: &str) {
        if let Some(chunk) = self.chunks.get_mut(slot as usize / SLOTS_PER_CHUNK) {
            chunk.set(slot as usize % SLOTS_PER_CHUNK, id);
        }
        self.index.insert(id, slot, InChunks(&self.chunks));
    }

    /// Takes the id of `slot` out of the index and frees its bytes. O(1)
    /// expected, or O(chunk) when its long ids are rewritten.
    pub(super) fn remove(&mut self, slot: u32) {
        let chunks = &self.chunks;
        let name = name_in(chunks, slot).unwrap_or_default();
        self.index.remove(name, InChunks(chunks));
        if let Some(chunk) = self.chunks.get_mut(slot as usize / SLOTS_PER_CHUNK) {
            chunk.clear(slot as usize % SLOTS_PER_CHUNK);
        }
    }

    /// Heap bytes of the ids (cells and long ids) and of the index.
    /// O(chunks).
    pub(super) fn bytes(&self) -> (usize, usize) {
        let ids = self.chunks.iter().map(|c| c.cells.capacity() + c.long.capacity()).sum();
        (ids, self.index.bytes())
    }

    /// Bytes of long ids kept, departed ones included. O(chunks).
    #[cfg(test)]
    pub(super) fn long_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.long.len()).sum()
    }

    /// Chunks of slots. O(1).
    #[cfg(test)]
    pub(super) fn chunks(&self) -> usize {
        self.chunks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short, long (kept apart) and multi-byte ids come and go in reused
    /// slots; every id is found under its own slot, reads back unchanged,
    /// and departed long ids do not pile up.
    #[test]
    fn ids_of_every_length_survive_reuse_and_rewriting() {
        let id = |n: u64| match n % 4 {
            0 => format!("v{n}"),
            1 => format!("visitor-with-a-long-id-{n:012}"),
            2 => format!("ü{n}ř"),
            _ => format!("{}{n}", "é".repeat(8)),
        };
        let mut names = Names::default();
        let mut model: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
        let (mut slots, mut free): (u32, Vec<u32>) = (0, Vec::new());
        let mut x: u64 = 5;
        for step in 0..30_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let name = id((x >> 33) % 4_000);
            if let Some(slot) = model.remove(&name) {
                assert_eq!(names.slot(&name), Some(slot), "step {step}");
                names.remove(slot);
                assert_eq!(names.get(slot), Some(""));
                free.push(slot);
            } else {
                let slot = free.pop().unwrap_or_else(|| {
                    names.push_slot();
                    slots += 1;
                    slots - 1
                });
                names.insert(slot, &name);
                model.insert(name, slot);
            }
        }
        assert_eq!(names.len(), model.len());
        for (name, slot) in &model {
            assert_eq!(names.slot(name), Some(*slot));
            assert_eq!(names.get(*slot), Some(name.as_str()));
            let e = super::super::chunked::Entry::for_test(*slot, cell_len(name.len()));
            assert_eq!(names.of_entry(e), Some(name.as_str()));
        }
        let live_long: usize = model.keys().filter(|n| n.len() > CELL).map(String::len).sum();
        let long = names.long_bytes();
        assert!(long <= 2 * live_long + 4096 * names.chunks(), "{long} bytes kept for {live_long} live");
    }
}
