//! The visitors on the site: stored in reusable slots, indexed by id, by
//! effective group in arrival order (for the snapshot the state is in step
//! with) and by queue position, so that dashboards, the queue and lookups
//! never scan everyone.
//!
//! A browsing visitor costs a 28-byte record, a 16-byte cell for its id
//! (a longer id is kept apart, in its chunk's string of long ids), a 4-byte
//! id index entry and a 4-byte entry in its group's list. Tags are interned
//! ([`Tags`]); what only some visitors have — a selection, a moved-to
//! group, a preferred agent, a chat and its version — lives in a side table
//! ([`Extra`]) that the record points to.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use smallvec::SmallVec;

use super::chunked::{self, Chunked, Entry, Merged, Run};
use super::index::{Index, MAX_SLOTS};
use super::ranked::Ranked;
use super::tags::{NONE, Tags};
use super::{Chat, Grouping, Tag, Wait};
use crate::ids::{AgentId, GroupId};
use crate::snapshot::GroupIx;

/// A waiting chat's place in the queue (R18): when it last entered the
/// queue, then the visitor's arrival. Unique, since arrivals are.
pub(crate) type Place = (u64, u64);

/// Slots per chunk of records.
const SLOTS_PER_CHUNK: usize = 1024;

/// A free slot (in [`Rec::group`]).
const GONE: u32 = u32::MAX;
/// An ungrouped visitor.
const UNGROUPED: u32 = u32::MAX - 1;

/// A visitor's record: 28 bytes (4-byte aligned, so that the 8-byte
/// arrival costs no padding; fields are read by value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
struct Rec {
    /// Arrival number: orders visitors by arrival (from the account's one
    /// counter, so unique). Also the chat state's version (R13) until the
    /// visitor's first chat event, after which [`Extra`] holds the version.
    arrival: u64,
    /// Effective group for the synced snapshot (R2's answer, cached), or
    /// [`UNGROUPED`], or [`GONE`] for a free slot.
    group: u32,
    /// Bumped whenever the slot is freed, so that keys of a visitor who
    /// left are refused.
    generation: u32,
    /// The page tag's number in [`Tags`], or [`NONE`].
    page: u32,
    /// The visitor's row in the side table, or [`NONE`].
    extra: u32,
    /// The id's length; for an id longer than [`CELL`], also where it is
    /// in the chunk's long ids: offset << 8 | length.
    name: u32,
}

/// Bytes of an id kept in its slot's own cell; longer ids go to the
/// chunk's string of long ids.
const CELL: usize = 16;

/// A cell no id has been written to.
const EMPTY_CELL: &str = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
const _: () = assert!(EMPTY_CELL.len() == CELL);

/// Records by slot in chunks of a fixed size: growing never moves the
/// records already stored, and at most one chunk is part-used.
///
/// Each slot has a cell of [`CELL`] bytes in `cells` for its id, at a place
/// computed from the slot alone: reading an id does not wait for its
/// record (the record gives only the length). Longer ids are appended to
/// `long`; a departed visitor's bytes there stay until they are half of
/// it, and then that one chunk's long ids are rewritten (O(chunk), never
/// more).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Chunk {
    recs: Vec<Rec>,
    /// [`CELL`] bytes per slot; unused bytes are zero.
    cells: String,
    long: String,
    /// Bytes of `long` no record points to.
    garbage: usize,
}

impl Chunk {
    /// A chunk with no slots. Records and cells grow by doubling, so an
    /// account with a few visitors holds a few hundred bytes, not a whole
    /// chunk; a full chunk holds exactly 1,024 of each.
    fn new() -> Self {
        Chunk { recs: Vec::new(), cells: String::new(), long: String::new(), garbage: 0 }
    }

    /// Adds a free slot with an empty cell.
    fn push(&mut self, rec: Rec) {
        self.recs.push(rec);
        self.cells.push_str(EMPTY_CELL);
    }

    /// The id of the record at `i`.
    #[inline]
    fn name(&self, i: usize, rec: &Rec) -> Option<&str> {
        let name = rec.name;
        let len = (name & 0xff) as usize;
        if len <= CELL {
            self.cells.get(i * CELL..i * CELL + len)
        } else {
            let at = (name >> 8) as usize;
            self.long.get(at..at + len)
        }
    }

    /// Stores `id` for the record at `i`.
    fn set_name(&mut self, i: usize, id: &str) {
        let len = u32::try_from(id.len()).unwrap_or(0);
        let at = if id.len() <= CELL {
            // The cell is rewritten whole (the id, then zeros), at char
            // boundaries of the string of cells, so it stays valid UTF-8.
            let mut cell = [0u8; CELL];
            if let Some(prefix) = cell.get_mut(..id.len()) {
                prefix.copy_from_slice(id.as_bytes());
            }
            let text = std::str::from_utf8(&cell).unwrap_or_default();
            if text.len() == CELL {
                self.cells.replace_range(i * CELL..(i + 1) * CELL, text);
            }
            0
        } else {
            if self.garbage >= 4096 && self.garbage * 2 >= self.long.len() {
                self.compact();
            }
            if self.long.capacity() < self.long.len() + id.len() {
                // Exact growth by a quarter: a doubling string would leave
                // up to half its room unused.
                self.long.reserve_exact(id.len().max(self.long.len() / 4));
            }
            let at = u32::try_from(self.long.len()).unwrap_or(0);
            self.long.push_str(id);
            at
        };
        if let Some(rec) = self.recs.get_mut(i) {
            rec.name = (at << 8) | len;
        }
    }

    /// The record at `i` leaves: its long id's bytes become garbage.
    fn drop_name(&mut self, i: usize) {
        let len = self.recs.get(i).map_or(0, |r| (r.name & 0xff) as usize);
        if len > CELL {
            self.garbage += len;
        }
    }

    /// Rewrites the long ids of the live records without the departed ones.
    fn compact(&mut self) {
        let mut long = String::with_capacity(self.long.len() - self.garbage + self.long.len() / 8);
        for i in 0..self.recs.len() {
            let Some(rec) = self.recs.get(i).copied() else { continue };
            let len = rec.name & 0xff;
            if rec.group == GONE || len as usize <= CELL {
                continue;
            }
            let at = u32::try_from(long.len()).unwrap_or(0);
            long.push_str(self.name(i, &rec).unwrap_or_default());
            if let Some(r) = self.recs.get_mut(i) {
                r.name = (at << 8) | len;
            }
        }
        self.long = long;
        self.garbage = 0;
    }
}

/// What only some visitors have: kept apart so that a browsing visitor
/// costs none of it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Extra {
    /// Its contact-form selection's number in [`Tags`], or [`NONE`].
    selection: u32,
    /// Its moved-to group's number in [`Tags`], or [`NONE`].
    moved_to: u32,
    preferred: Option<AgentId>,
    chat: Option<Chat>,
    /// The chat state's version (R13) once a chat event gave it one.
    version: Option<u64>,
}

impl Extra {
    const EMPTY: Extra = Extra { selection: NONE, moved_to: NONE, preferred: None, chat: None, version: None };
}

/// A visitor's tags, as R2 reads them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tagged<'a> {
    /// Where a route, transfer or fallback moved the chat.
    pub(crate) moved_to: Option<&'a GroupId>,
    /// Its contact-form selection.
    pub(crate) selection: Option<&'a GroupId>,
    /// Its page's group code.
    pub(crate) page_tag: Option<&'a GroupId>,
}

impl<'a> Tagged<'a> {
    /// The distinct ids, for the index of ids that name no group.
    fn distinct(&self) -> SmallVec<[&'a GroupId; 3]> {
        let mut ids: SmallVec<[&GroupId; 3]> = SmallVec::new();
        for id in [self.moved_to, self.selection, self.page_tag].into_iter().flatten() {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// A visitor, read from the store. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Visitor<'a> {
    pub(crate) id: &'a str,
    pub(crate) arrival: u64,
    /// Version of the chat state (R13).
    pub(crate) version: u64,
    /// R2's answer for the snapshot the state is in step with.
    pub(crate) group: Option<GroupIx>,
    pub(crate) tags: Tagged<'a>,
    pub(crate) preferred: Option<&'a AgentId>,
    pub(crate) chat: Option<&'a Chat>,
}

/// Heap bytes the visitors take, by part: the capacity each part holds,
/// as an allocator counts it (its own overhead aside). Queued chats and
/// the index of tags that name no group are not counted (they grow with
/// the queue and with unknown tags, not with visitors).
///
/// ```
/// use groupgate::{Account, ConfigBuilder};
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap());
/// for n in 0..1000 {
///     account.visit(&format!("visitor-{n}"), None).unwrap();
/// }
/// let m = account.state().visitor_memory();
/// assert!(m.records >= 1000 * 28 && m.ids >= 1000 * 9);
/// assert_eq!(m.total(), m.records + m.ids + m.id_index + m.group_lists + m.side_table);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct VisitorMemory {
    /// The 28-byte records, in chunks of 1,024 slots.
    pub records: usize,
    /// The ids: a 16-byte cell per slot, and longer ids apart (departed
    /// visitors' long ids until their chunk is rewritten).
    pub ids: usize,
    /// The id → slot index: 4 bytes a position, at most 7/8 full.
    pub id_index: usize,
    /// The per-group lists of slots in arrival order.
    pub group_lists: usize,
    /// Tags, and what only some visitors have: selections, moved-to
    /// groups, preferred agents and chats.
    pub side_table: usize,
}

impl VisitorMemory {
    /// The sum of the parts.
    pub fn total(&self) -> usize {
        self.records + self.ids + self.id_index + self.group_lists + self.side_table
    }
}

/// The store is full: [`MAX_SLOTS`] visitors are on the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;

/// Visitors, with indexes. Cost of each method stated.
///
/// A visitor keeps its slot for as long as it stays; a slot left free is
/// reused by a later arrival, with its generation bumped so that keys made
/// for the visitor who left are refused. Nothing is ever renumbered, so no
/// event pauses to compact everything. Arrival order comes from each
/// visitor's arrival number, which the per-group lists are sorted by.
#[derive(Clone, Default)]
pub(crate) struct Visitors {
    chunks: Vec<Chunk>,
    /// Slots made so far (free or not).
    slots: u32,
    /// Free slots, reused last freed first.
    free: Vec<u32>,
    /// Id → slot.
    index: Index,
    tags: Tags,
    extras: Vec<Extra>,
    free_extras: Vec<u32>,
    /// Per effective group of the synced snapshot: slots by arrival, in
    /// chunks. Together with `ungrouped`, every visitor is in exactly one
    /// list.
    by_group: Vec<Chunked>,
    /// Ungrouped visitors, by arrival.
    ungrouped: Chunked,
    /// Queued chats: (place, slot), in queue order (R18).
    queue: BTreeSet<(Place, u32)>,
    /// The queued chats' places with their ranks, for queue places in
    /// O(log); `None` while a load restores the queue, until
    /// [`Self::rerank`].
    ranked: Option<Ranked<Place>>,
    /// The same queued chats by effective group (index: group; the last
    /// entry: ungrouped), so queue serving looks only where an agent can
    /// serve.
    queues: Vec<BTreeSet<(Place, u32)>>,
    /// Per group of the synced snapshot, its `overflow_after` when it has a
    /// fallback (R29); none for the others and under a plan without groups.
    overflow_after: Vec<Option<u64>>,
    /// The queued chats whose group has an overflow wait: (overflow
    /// instant, place, slot), earliest first, ties in queue order (R26,
    /// R29).
    overflow: BTreeSet<(u64, Place, u32)>,
    /// By tag id that names no group of the synced snapshot (under a plan
    /// with groups): the visitors carrying it in any tag, as (arrival,
    /// slot). Adding the group, or showing a dashboard of a revision that
    /// has it, finds them here instead of among everyone. Lookups only:
    /// never iterated into an output (R25).
    unresolved: IndexMap<GroupId, BTreeSet<(u64, u32)>>,
}

/// The visitors in order of arrival and the queue: what the store holds,
/// not where (the layout differs between equal stores, see
/// [`Visitors::same_visitors`]).
impl std::fmt::Debug for Visitors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue: Vec<(Place, Option<&str>)> = self.queue.iter().map(|(k, s)| (*k, self.name(*s))).collect();
        f.debug_struct("Visitors")
            .field("in_order", &self.in_order().collect::<Vec<_>>())
            .field("queue", &queue)
            .finish()
    }
}

/// A live visitor's effective group in 4 bytes.
fn pack(group: Option<GroupIx>) -> u32 {
    group.map_or(UNGROUPED, |g| u32::try_from(g).unwrap_or(UNGROUPED).min(UNGROUPED - 1))
}

fn unpack(group: u32) -> Option<GroupIx> {
    (group < UNGROUPED).then_some(group as GroupIx)
}

fn rec_in(chunks: &[Chunk], slot: u32) -> Option<&Rec> {
    let slot = slot as usize;
    chunks.get(slot / SLOTS_PER_CHUNK)?.recs.get(slot % SLOTS_PER_CHUNK)
}

/// The id in `slot` (also of a free slot's last visitor until its chunk is
/// rewritten: callers check liveness).
fn name_in(chunks: &[Chunk], slot: u32) -> Option<&str> {
    let chunk = chunks.get(slot as usize / SLOTS_PER_CHUNK)?;
    let i = slot as usize % SLOTS_PER_CHUNK;
    chunk.name(i, chunk.recs.get(i)?)
}

/// The length an id has in its cell: its length when it fits, else 0.
fn cell_len(len: usize) -> usize {
    if len <= CELL { len } else { 0 }
}

/// The id of a list entry: from the slot's cell alone when it fits there.
#[inline]
fn name_of_entry(chunks: &[Chunk], e: Entry) -> Option<&str> {
    let (slot, len) = (e.slot() as usize, e.cell_len());
    if len == 0 {
        return name_in(chunks, e.slot());
    }
    let i = slot % SLOTS_PER_CHUNK;
    chunks.get(slot / SLOTS_PER_CHUNK)?.cells.get(i * CELL..i * CELL + len)
}

fn arrival_in(chunks: &[Chunk], slot: u32) -> u64 {
    rec_in(chunks, slot).map_or(0, |r| r.arrival)
}

impl Visitors {
    /// Visitors on the site. O(1).
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Heap bytes by part. O(chunks + groups + tags).
    pub(crate) fn memory(&self) -> VisitorMemory {
        let runs = |l: &Chunked| {
            l.chunks().iter().map(|r| r.entries.capacity() * size_of::<Entry>()).sum::<usize>()
                + std::mem::size_of_val(l.chunks())
        };
        VisitorMemory {
            records: self.chunks.iter().map(|c| c.recs.capacity() * size_of::<Rec>()).sum::<usize>()
                + self.chunks.capacity() * size_of::<Chunk>()
                + self.free.capacity() * 4,
            ids: self.chunks.iter().map(|c| c.cells.capacity() + c.long.capacity()).sum(),
            id_index: self.index.bytes(),
            group_lists: self.by_group.iter().map(runs).sum::<usize>()
                + runs(&self.ungrouped)
                + self.by_group.capacity() * size_of::<Chunked>(),
            side_table: self.tags.bytes()
                + self.extras.capacity() * size_of::<Extra>()
                + self.free_extras.capacity() * 4,
        }
    }

    /// The most visitors the store holds. O(1).
    pub(crate) fn capacity(&self) -> usize {
        MAX_SLOTS as usize
    }

    fn rec(&self, slot: u32) -> Option<&Rec> {
        rec_in(&self.chunks, slot)
    }

    fn rec_mut(&mut self, slot: u32) -> Option<&mut Rec> {
        let slot = slot as usize;
        self.chunks.get_mut(slot / SLOTS_PER_CHUNK)?.recs.get_mut(slot % SLOTS_PER_CHUNK)
    }

    /// The record of a visitor on the site.
    fn live(&self, slot: u32) -> Option<&Rec> {
        self.rec(slot).filter(|r| r.group != GONE)
    }

    /// O(1) expected.
    pub(crate) fn slot(&self, id: &str) -> Option<u32> {
        let chunks = &self.chunks;
        self.index.get(id, |s| name_in(chunks, s))
    }

    /// The generation of `slot`: changes whenever the slot is freed. O(1).
    #[inline]
    pub(crate) fn generation(&self, slot: u32) -> Option<u32> {
        self.rec(slot).map(|r| r.generation)
    }

    /// The effective group of the visitor in `slot` while the slot is at
    /// `generation` — `None` when that visitor left. O(1), one record read.
    #[inline]
    pub(crate) fn group_at(&self, slot: u32, generation: u32) -> Option<Option<GroupIx>> {
        let r = self.rec(slot)?;
        match r.group {
            _ if r.generation != generation => None,
            GONE => None,
            g => Some(unpack(g)),
        }
    }

    /// The id of the visitor a list entry names. O(1); reads only the
    /// slot's cell when the id fits it.
    #[inline]
    pub(crate) fn entry_name(&self, e: Entry) -> Option<&str> {
        name_of_entry(&self.chunks, e)
    }

    /// The arrival number of the visitor in `slot`. O(1).
    #[inline]
    pub(crate) fn arrival(&self, slot: u32) -> u64 {
        arrival_in(&self.chunks, slot)
    }

    /// The id of the visitor in `slot`. O(1).
    #[inline]
    pub(crate) fn name(&self, slot: u32) -> Option<&str> {
        self.live(slot)?;
        name_in(&self.chunks, slot)
    }

    fn extra(&self, rec: &Rec) -> Option<&Extra> {
        if rec.extra == NONE {
            return None;
        }
        self.extras.get(rec.extra as usize)
    }

    /// The visitor in `slot`. O(1).
    #[inline]
    pub(crate) fn at(&self, slot: u32) -> Option<Visitor<'_>> {
        let rec = self.live(slot)?;
        let extra = self.extra(rec);
        let tag = |n: u32| if n == NONE { None } else { self.tags.get(n) };
        Some(Visitor {
            id: name_in(&self.chunks, slot)?,
            arrival: rec.arrival,
            version: extra.and_then(|e| e.version).unwrap_or(rec.arrival),
            group: unpack(rec.group),
            tags: Tagged {
                moved_to: extra.and_then(|e| tag(e.moved_to)),
                selection: extra.and_then(|e| tag(e.selection)),
                page_tag: tag(rec.page),
            },
            preferred: extra.and_then(|e| e.preferred.as_ref()),
            chat: extra.and_then(|e| e.chat.as_ref()),
        })
    }

    /// Whether a visitor is in `slot`. O(1).
    #[inline]
    pub(crate) fn contains(&self, slot: u32) -> bool {
        self.live(slot).is_some()
    }

    /// The open chat of the visitor in `slot`. O(1).
    #[inline]
    pub(crate) fn chat(&self, slot: u32) -> Option<&Chat> {
        self.extra(self.live(slot)?)?.chat.as_ref()
    }

    /// O(1) expected.
    pub(crate) fn get(&self, id: &str) -> Option<Visitor<'_>> {
        self.at(self.slot(id)?)
    }

    /// Every list, ungrouped first: together they hold each visitor once.
    fn lists(&self) -> impl Iterator<Item = &[Run]> {
        std::iter::once(self.ungrouped.chunks()).chain(self.by_group.iter().map(Chunked::chunks))
    }

    /// The ids of the visitors on the site in order of arrival: a merge of
    /// the group lists. O(groups) to start, O(log groups) per visitor.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        let chunks = &self.chunks;
        Merged::new(self.lists()).filter_map(move |(_, e)| name_of_entry(chunks, e))
    }

    /// The visitors in order of arrival. O(groups) to start, O(log groups)
    /// per visitor.
    pub(crate) fn in_order(&self) -> impl Iterator<Item = Visitor<'_>> {
        Merged::new(self.lists()).filter_map(move |(_, e)| self.at(e.slot()))
    }

    /// Whether both hold the same visitors in the same order, with the same
    /// tags, preferred agents, chats and versions, and the same queue: what
    /// every answer depends on, whatever slots they sit in. O(visitors ·
    /// log groups).
    pub(crate) fn same_visitors(&self, other: &Visitors) -> bool {
        fn queue(v: &Visitors) -> impl Iterator<Item = (Place, Option<&str>, Option<Wait>)> {
            v.queue.iter().map(|(k, s)| (*k, v.name(*s), v.chat(*s).and_then(|c| c.queued)))
        }
        self.len() == other.len() && self.in_order().eq(other.in_order()) && queue(self).eq(queue(other))
    }

    /// The visitors for which `keep` holds, in no particular order. O(slots).
    pub(crate) fn matching(&self, keep: impl Fn(&Visitor<'_>) -> bool) -> Vec<Visitor<'_>> {
        (0..self.slots).filter_map(|s| self.at(s)).filter(|v| keep(v)).collect()
    }

    /// Adds a new visitor with a page tag, grouped by `grouping`; its arrival
    /// number must be above every other, and `id` must not be on the site.
    /// O(1) amortized (growing the id index rehashes every id).
    ///
    /// # Errors
    ///
    /// [`Full`] when [`MAX_SLOTS`] visitors are on the site.
    pub(crate) fn insert(
        &mut self,
        id: &str,
        page: Option<GroupId>,
        arrival: u64,
        grouping: &impl Grouping,
    ) -> Result<u32, Full> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None if self.slots < MAX_SLOTS => {
                let slot = self.slots;
                if slot as usize % SLOTS_PER_CHUNK == 0 {
                    self.chunks.push(Chunk::new());
                }
                let fresh = Rec { arrival: 0, group: GONE, generation: 0, page: NONE, extra: NONE, name: 0 };
                if let Some(chunk) = self.chunks.last_mut() {
                    chunk.push(fresh);
                }
                self.slots += 1;
                slot
            }
            None => return Err(Full),
        };
        let page = page.map_or(NONE, |p| self.tags.acquire(p));
        let tagged = Tagged { page_tag: self.tags.get(page), ..Tagged::default() };
        let group = grouping.effective(tagged);
        let unresolved: SmallVec<[GroupId; 1]> =
            tagged.page_tag.filter(|t| grouping.unresolved(t)).cloned().into_iter().collect();
        let i = slot as usize % SLOTS_PER_CHUNK;
        if let Some(chunk) = self.chunks.get_mut(slot as usize / SLOTS_PER_CHUNK) {
            if let Some(rec) = chunk.recs.get_mut(i) {
                *rec = Rec { arrival, group: pack(group), page, extra: NONE, ..*rec };
            }
            chunk.set_name(i, id);
        }
        let chunks = &self.chunks;
        self.index.insert(id, slot, |s| name_in(chunks, s));
        self.list_mut(group).push(arrival, chunked::key(slot, cell_len(id.len())));
        for tag in unresolved {
            self.unresolved.entry(tag).or_default().insert((arrival, slot));
        }
        Ok(slot)
    }

    /// Takes `(arrival, slot)` out of the unresolved index under `tag`.
    fn unindex(&mut self, tag: &str, entry: (u64, u32)) {
        if let Some(set) = self.unresolved.get_mut(tag) {
            set.remove(&entry);
            if set.is_empty() {
                self.unresolved.swap_remove(tag);
            }
        }
    }

    /// The visitors carrying `tag` while it names no group, as (arrival,
    /// slot), by arrival. O(log) to start.
    pub(crate) fn tagged_unresolved(&self, tag: &str) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.unresolved.get(tag).into_iter().flatten().copied()
    }

    /// Removes the visitor in `slot` (its chat must be closed) and frees
    /// the slot. O(log group size + one chunk).
    pub(crate) fn remove(&mut self, slot: u32) {
        let Some(v) = self.at(slot) else { return };
        let (arrival, group) = (v.arrival, v.group);
        let tags: SmallVec<[GroupId; 3]> = v.tags.distinct().into_iter().cloned().collect();
        let queued = v.chat.and_then(|c| c.queued);
        let chunks = &self.chunks;
        let name = name_in(chunks, slot).unwrap_or_default();
        self.index.remove(name, |s| name_in(chunks, s));
        list_of(&mut self.by_group, &mut self.ungrouped, group).remove(arrival);
        if !self.unresolved.is_empty() {
            for tag in &tags {
                self.unindex(tag.as_str(), (arrival, slot));
            }
        }
        if let Some(wait) = queued {
            self.unqueue(slot, arrival, group, wait);
        }
        let Some(rec) = self.rec(slot).copied() else { return };
        self.tags.release(rec.page);
        if let Some(extra) = self.extras.get_mut(rec.extra as usize) {
            let e = std::mem::replace(extra, Extra::EMPTY);
            self.free_extras.push(rec.extra);
            self.tags.release(e.selection);
            self.tags.release(e.moved_to);
        }
        if let Some(chunk) = self.chunks.get_mut(slot as usize / SLOTS_PER_CHUNK) {
            chunk.drop_name(slot as usize % SLOTS_PER_CHUNK);
        }
        let Some(r) = self.rec_mut(slot) else { return };
        r.group = GONE;
        r.extra = NONE;
        r.page = NONE;
        // A slot whose generation would wrap is retired, so that no key can
        // ever name two visitors.
        match r.generation.checked_add(1) {
            Some(next) => {
                r.generation = next;
                self.free.push(slot);
            }
            None => r.generation = u32::MAX,
        }
    }

    /// The visitor's row in the side table, made when it has none. O(1)
    /// amortized.
    fn extra_mut(&mut self, slot: u32) -> Option<&mut Extra> {
        let at = self.live(slot)?.extra;
        let at = if at == NONE {
            let at = match self.free_extras.pop() {
                Some(at) => at,
                None => {
                    self.extras.push(Extra::EMPTY);
                    u32::try_from(self.extras.len() - 1).unwrap_or(NONE)
                }
            };
            self.rec_mut(slot)?.extra = at;
            at
        } else {
            at
        };
        self.extras.get_mut(at as usize)
    }

    /// Sets one of the visitor's tags, moves it to the list of its new
    /// effective group, which `grouping` computes, and keeps the unresolved
    /// index in step. Returns its effective group before and after. O(log
    /// group size + one chunk).
    pub(crate) fn retag(
        &mut self,
        slot: u32,
        tag: Tag,
        grouping: &impl Grouping,
    ) -> (Option<GroupIx>, Option<GroupIx>) {
        let Some(v) = self.at(slot) else { return (None, None) };
        let from = v.group;
        let arrival = v.arrival;
        let before: SmallVec<[GroupId; 3]> = v.tags.distinct().into_iter().cloned().collect();
        let (id, which) = match tag {
            Tag::Page(id) => (id, 0),
            Tag::Selection(id) => (id, 1),
            Tag::MovedTo(id) => (id, 2),
        };
        let new = self.tags.acquire(id);
        let replaced = match which {
            0 => self.rec_mut(slot).map(|r| std::mem::replace(&mut r.page, new)),
            1 => self.extra_mut(slot).map(|e| std::mem::replace(&mut e.selection, new)),
            _ => self.extra_mut(slot).map(|e| std::mem::replace(&mut e.moved_to, new)),
        };
        let Some(v) = self.at(slot) else { return (from, from) };
        let after: SmallVec<[GroupId; 3]> = v.tags.distinct().into_iter().cloned().collect();
        for t in before.iter().filter(|t| !after.contains(t)) {
            self.unindex(t.as_str(), (arrival, slot));
        }
        for t in after.iter().filter(|t| !before.contains(t) && grouping.unresolved(t)) {
            self.unresolved.entry(t.clone()).or_default().insert((arrival, slot));
        }
        self.tags.release(replaced.unwrap_or(NONE));
        self.regroup_slot(slot, grouping);
        (from, self.at(slot).and_then(|v| v.group))
    }

    /// The open chat of the visitor in `slot`, to change its answered flag
    /// and missed list (R27) — never its holder or wait, which
    /// [`Self::set_chat_at`] keeps the indexes of. O(1).
    pub(crate) fn chat_mut(&mut self, slot: u32) -> Option<&mut Chat> {
        self.extra_mut(slot)?.chat.as_mut()
    }

    /// Records a returning visitor's last agent (R15). O(1).
    pub(crate) fn set_preferred(&mut self, slot: u32, agent: AgentId) {
        if let Some(e) = self.extra_mut(slot) {
            e.preferred = Some(agent);
        }
    }

    /// Recomputes the effective group of the visitor in `slot` and moves it
    /// between group lists and queues. O(log group size + one chunk).
    fn regroup_slot(&mut self, slot: u32, grouping: &impl Grouping) {
        let Some(v) = self.at(slot) else { return };
        let (old, new, arrival) = (v.group, grouping.effective(v.tags), v.arrival);
        let queued = v.chat.and_then(|c| c.queued);
        let key = chunked::key(slot, cell_len(v.id.len()));
        if let Some(r) = self.rec_mut(slot) {
            r.group = pack(new);
        }
        if old != new {
            list_of(&mut self.by_group, &mut self.ungrouped, old).remove(arrival);
            list_of(&mut self.by_group, &mut self.ungrouped, new).insert(arrival, key);
            if let Some(wait) = queued {
                self.unqueue(slot, arrival, old, wait);
                self.enqueue(slot, arrival, new, wait);
            }
        }
    }

    /// Takes the waiting chat in `slot` out of the queue indexes. O(log
    /// queue).
    fn unqueue(&mut self, slot: u32, arrival: u64, group: Option<GroupIx>, wait: Wait) {
        let place = (wait.entered, arrival);
        self.queue.remove(&(place, slot));
        if let Some(r) = &mut self.ranked {
            r.remove(place);
        }
        if let Some(q) = self.queue_of(group) {
            q.remove(&(place, slot));
        }
        if let Some(due) = wait.due {
            self.overflow.remove(&(due, place, slot));
        }
    }

    /// Puts the waiting chat in `slot`, in `group`, in the queue indexes,
    /// with its overflow instant under the group's setting (R29), which it
    /// records in the chat. O(log queue).
    fn enqueue(&mut self, slot: u32, arrival: u64, group: Option<GroupIx>, wait: Wait) {
        let place = (wait.entered, arrival);
        self.queue.insert((place, slot));
        if self.ranked.is_none() && self.queue.len() == 1 {
            self.ranked = Some(Ranked::default());
        }
        if let Some(r) = &mut self.ranked {
            if !r.insert(place) {
                self.ranked = None;
            }
        }
        if let Some(q) = self.queue_of(group) {
            q.insert((place, slot));
        }
        self.index_overflow(slot, place, group, wait.since);
    }

    /// Records the overflow instant (R29) of the chat in `slot`, waiting at
    /// `place` in `group` since `since`, in the overflow index and in the
    /// chat. O(log queue).
    fn index_overflow(&mut self, slot: u32, place: Place, group: Option<GroupIx>, since: u64) {
        let due = self.due(group, since);
        if let Some(due) = due {
            self.overflow.insert((due, place, slot));
        }
        if let Some(w) = self.extra_mut(slot).and_then(|e| e.chat.as_mut()).and_then(|c| c.queued.as_mut()) {
            w.due = due;
        }
    }

    /// The overflow instant of a chat waiting in `group` since `since`
    /// (R29); none past the clock's end (settled R26).
    fn due(&self, group: Option<GroupIx>, since: u64) -> Option<u64> {
        let after = self.overflow_after.get(group?).copied().flatten()?;
        super::deadline_at(since, after)
    }

    /// Sets each group's overflow wait (R29) and recomputes the overflow
    /// instants of the chats waiting in the groups whose wait changed.
    /// O(groups + those chats · log queue).
    pub(crate) fn set_overflow(&mut self, after: Vec<Option<u64>>) {
        let groups = self.overflow_after.len().max(after.len());
        let old = std::mem::replace(&mut self.overflow_after, after);
        for g in 0..groups {
            if old.get(g).copied().flatten() == self.overflow_after.get(g).copied().flatten() {
                continue;
            }
            let queue = self.queues.get(g).filter(|_| g + 1 < self.queues.len());
            let waiting: Vec<(Place, u32)> = queue.into_iter().flatten().copied().collect();
            for (place, slot) in waiting {
                let Some(wait) = self.chat(slot).and_then(|c| c.queued) else { continue };
                self.unqueue(slot, place.1, Some(g), wait);
                self.enqueue(slot, place.1, Some(g), wait);
            }
        }
    }

    /// The earliest overflow instant (R29), with the chat's slot: ties in
    /// queue order. O(log queue).
    pub(crate) fn next_overflow(&self) -> Option<(u64, u32)> {
        self.overflow.first().map(|(due, _, slot)| (*due, *slot))
    }

    /// A group with id `tag` was added at the end of the group list: the
    /// visitors carrying it leave the unresolved index and are regrouped.
    /// O(those visitors · log).
    pub(crate) fn group_added(&mut self, tag: &GroupId, grouping: &impl Grouping) {
        let Some(set) = self.unresolved.swap_remove(tag) else { return };
        for (_, slot) in set {
            self.regroup_slot(slot, grouping);
        }
    }

    /// Replaces the chat of the visitor in `slot` and its version, keeping
    /// the queue index in step. Only `State` calls it. O(log queue).
    pub(crate) fn set_chat_at(&mut self, slot: u32, chat: Option<Chat>, version: u64) {
        let Some(rec) = self.live(slot).copied() else { return };
        let was = self.extra(&rec).and_then(|e| e.chat.as_ref()).and_then(|c| c.queued);
        let (now, group) = (chat.as_ref().and_then(|c| c.queued), unpack(rec.group));
        if let Some(wait) = was {
            self.unqueue(slot, rec.arrival, group, wait);
        }
        if let Some(e) = self.extra_mut(slot) {
            e.chat = chat;
            e.version = Some(version);
        }
        if let Some(wait) = now {
            self.enqueue(slot, rec.arrival, group, wait);
        }
    }

    /// Stops keeping queue places' ranks, for a load that restores the
    /// queue out of order; [`Self::rerank`] starts again. O(1).
    pub(crate) fn unrank(&mut self) {
        self.ranked = None;
    }

    /// Rebuilds the queue places' index from the queue. O(queue).
    pub(crate) fn rerank(&mut self) {
        self.ranked = Some(Ranked::from_sorted(self.queue.iter().map(|(k, _)| *k)));
    }

    /// Queued visitors, oldest first (R18). O(queue).
    pub(crate) fn queue(&self) -> impl Iterator<Item = Visitor<'_>> {
        self.queue.iter().filter_map(|(_, slot)| self.at(*slot))
    }

    /// How many queued chats are ahead of the one in `slot` (R18); `None`
    /// when it is not queued. O(log queue); O(chats ahead) between a load
    /// and [`Self::rerank`].
    pub(crate) fn queue_position(&self, slot: u32) -> Option<usize> {
        let key = (self.chat(slot)?.queued?.entered, self.arrival(slot));
        match &self.ranked {
            Some(r) => r.rank(key),
            None => Some(self.queue.range(..(key, slot)).count()),
        }
    }

    /// Whether any chat is queued. O(1).
    pub(crate) fn has_queue(&self) -> bool {
        !self.queue.is_empty()
    }

    /// A group's list as chunks of slots (for merging). O(1).
    pub(crate) fn group_runs(&self, group: Option<GroupIx>) -> &[Run] {
        match group {
            None => self.ungrouped.chunks(),
            Some(g) => self.by_group.get(g).map_or(&[][..], Chunked::chunks),
        }
    }

    /// Recomputes every visitor's effective group, for a snapshot with
    /// another group list. O(visitors · log visitors).
    pub(crate) fn regroup(&mut self, groups: usize, grouping: &impl Grouping) {
        self.by_group = vec![Chunked::default(); groups];
        self.ungrouped = Chunked::default();
        self.queues = vec![BTreeSet::new(); groups + 1];
        self.overflow = BTreeSet::new();
        self.unresolved = IndexMap::new();
        let mut order: Vec<(u64, u32, u32)> = Vec::with_capacity(self.len());
        let mut regrouped: Vec<(u32, Option<GroupIx>, Option<Wait>)> = Vec::with_capacity(self.len());
        let mut unresolved: IndexMap<GroupId, BTreeSet<(u64, u32)>> = IndexMap::new();
        for slot in 0..self.slots {
            let Some(v) = self.at(slot) else { continue };
            let group = grouping.effective(v.tags).filter(|g| *g < groups);
            regrouped.push((slot, group, v.chat.and_then(|c| c.queued)));
            order.push((v.arrival, slot, chunked::key(slot, cell_len(v.id.len()))));
            for tag in v.tags.distinct().into_iter().filter(|t| grouping.unresolved(t)) {
                unresolved.entry(tag.clone()).or_default().insert((v.arrival, slot));
            }
        }
        self.unresolved = unresolved;
        for (slot, group, queued) in regrouped {
            if let Some(r) = self.rec_mut(slot) {
                r.group = pack(group);
            }
            if let Some(wait) = queued {
                let place = (wait.entered, self.arrival(slot));
                let q = match group {
                    Some(g) => self.queues.get_mut(g),
                    None => self.queues.last_mut(),
                };
                if let Some(q) = q {
                    q.insert((place, slot));
                }
                self.index_overflow(slot, place, group, wait.since);
            }
        }
        order.sort_unstable();
        for (arrival, slot, key) in order {
            let group = self.rec(slot).and_then(|r| unpack(r.group));
            let list = match group {
                None => &mut self.ungrouped,
                Some(g) => match self.by_group.get_mut(g) {
                    Some(list) => list,
                    None => &mut self.ungrouped,
                },
            };
            list.push(arrival, key);
        }
    }

    /// The oldest queued chat whose effective group is `group` (R18), after
    /// the entry `after` when given: (place, slot). O(log queue).
    pub(crate) fn next_queued(&self, group: Option<GroupIx>, after: Option<(Place, u32)>) -> Option<(Place, u32)> {
        use std::ops::Bound::{Excluded, Unbounded};
        let q = match group {
            None => self.queues.last(),
            Some(g) => self.queues.get(g).filter(|_| g + 1 < self.queues.len()),
        }?;
        match after {
            None => q.first().copied(),
            Some(a) => q.range((Excluded(a), Unbounded)).next().copied(),
        }
    }

    /// The groups (and `None`, ungrouped) that have queued chats. O(groups).
    pub(crate) fn queued_groups(&self) -> impl Iterator<Item = Option<GroupIx>> + '_ {
        let n = self.queues.len();
        self.queues.iter().enumerate().filter(|(_, q)| !q.is_empty()).map(move |(i, _)| (i + 1 < n).then_some(i))
    }

    /// The per-group queue of `group`, grown to hold it (the ungrouped queue
    /// stays last).
    fn queue_of(&mut self, group: Option<GroupIx>) -> Option<&mut BTreeSet<(Place, u32)>> {
        if self.queues.is_empty() {
            self.queues.push(BTreeSet::new());
        }
        match group {
            None => self.queues.last_mut(),
            Some(g) => {
                if self.queues.len() <= g + 1 {
                    let ungrouped = self.queues.pop().unwrap_or_default();
                    self.queues.resize_with(g + 1, BTreeSet::new);
                    self.queues.push(ungrouped);
                }
                self.queues.get_mut(g)
            }
        }
    }

    fn list_mut(&mut self, group: Option<GroupIx>) -> &mut Chunked {
        list_of(&mut self.by_group, &mut self.ungrouped, group)
    }
}

/// The list of `group` (grown to hold it), from the list fields alone, so
/// that the records can be read while it changes.
fn list_of<'a>(by_group: &'a mut Vec<Chunked>, ungrouped: &'a mut Chunked, group: Option<GroupIx>) -> &'a mut Chunked {
    let Some(g) = group else { return ungrouped };
    if by_group.len() <= g {
        by_group.resize_with(g + 1, Chunked::default);
    }
    match by_group.get_mut(g) {
        Some(list) => list,
        None => ungrouped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_28_bytes() {
        assert_eq!(std::mem::size_of::<Rec>(), 28);
    }

    /// A site with a few visitors holds a few hundred bytes for them, not
    /// a whole chunk of 1,024 records and cells (multi-tenant hosts keep
    /// many small accounts).
    #[test]
    fn a_few_visitors_cost_a_few_hundred_bytes() {
        let mut visitors = Visitors::default();
        for (n, id) in ["v1", "v2", "v3"].into_iter().enumerate() {
            visitors.insert(id, None, n as u64 + 1, &NoGroups).unwrap();
        }
        let m = visitors.memory();
        assert!(m.records + m.ids < 512, "{m:?}");
        assert_eq!(visitors.name(2), Some("v3"));
    }

    struct NoGroups;

    impl Grouping for NoGroups {
        fn effective(&self, _: Tagged<'_>) -> Option<GroupIx> {
            None
        }
        fn unresolved(&self, _: &GroupId) -> bool {
            false
        }
    }

    /// Short, long (kept apart) and multi-byte ids come and go; every id on
    /// the site is found under its own slot, names read back unchanged, and
    /// departed long ids do not pile up.
    #[test]
    fn ids_of_every_length_survive_reuse_and_rewriting() {
        let id = |n: u64| match n % 4 {
            0 => format!("v{n}"),
            1 => format!("visitor-with-a-long-id-{n:012}"),
            2 => format!("ü{n}ř"),
            _ => format!("{}{n}", "é".repeat(8)),
        };
        let mut visitors = Visitors::default();
        let mut model: std::collections::BTreeMap<String, u32> = std::collections::BTreeMap::new();
        let mut arrival = 0;
        let mut x: u64 = 5;
        for step in 0..30_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let name = id((x >> 33) % 4_000);
            if let Some(slot) = model.remove(&name) {
                assert_eq!(visitors.slot(&name), Some(slot), "step {step}");
                visitors.remove(slot);
            } else {
                arrival += 1;
                let slot = visitors.insert(&name, None, arrival, &NoGroups).unwrap();
                model.insert(name, slot);
            }
        }
        assert_eq!(visitors.len(), model.len());
        for (name, slot) in &model {
            assert_eq!(visitors.slot(name), Some(*slot));
            assert_eq!(visitors.name(*slot), Some(name.as_str()));
        }
        let live_long: usize = model.keys().filter(|n| n.len() > CELL).map(String::len).sum();
        let long: usize = visitors.chunks.iter().map(|c| c.long.len()).sum();
        assert!(long <= 2 * live_long + 4096 * visitors.chunks.len(), "{long} bytes kept for {live_long} live");
    }
}
