//! The visitors on the site: stored in reusable slots, indexed by id, by
//! effective group in arrival order (for the snapshot the state is in step
//! with) and by queue position, so that dashboards, the queue and lookups
//! never scan everyone.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use smallvec::SmallVec;

use super::chunked::{Chunked, Merged};
use super::{Chat, Grouping, VisitorLive};
use crate::ids::{GroupId, VisitorId};
use crate::snapshot::GroupIx;

/// Visitors, with indexes. Cost of each method stated.
///
/// A visitor keeps its slot for as long as it stays; a slot left free is
/// reused by a later arrival, with its generation bumped so that keys made
/// for the visitor who left are refused. Nothing is ever renumbered, so no
/// event pauses to compact. Arrival order comes from each visitor's arrival
/// number, which the per-group lists are sorted by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Visitors {
    /// The visitors by slot; `None` where a slot is free.
    slots: Slots,
    /// Each slot's effective group and generation packed in 8 bytes (see
    /// [`Packed`]), so the hottest query reads one small array.
    packed: Vec<Packed>,
    /// Free slots, reused last freed first.
    free: Vec<u32>,
    /// Id → slot. Lookups only: never iterated into an output (R25).
    index: IndexMap<VisitorId, u32>,
    /// Per effective group of the synced snapshot: (arrival, id), by
    /// arrival, in chunks. The id is kept here too so dashboards read
    /// contiguous runs. Together with `ungrouped`, every visitor is in
    /// exactly one list.
    by_group: Vec<Chunked>,
    /// Ungrouped visitors, by arrival.
    ungrouped: Chunked,
    /// Queued chats: (queue key, slot), ordered by key (R18); keys are
    /// unique, given in arrival order to chats queued together.
    queue: BTreeSet<(u64, u32)>,
    /// The same queued chats by effective group (index: group; the last
    /// entry: ungrouped), so queue serving looks only where an agent can
    /// serve.
    queues: Vec<BTreeSet<(u64, u32)>>,
    /// By tag id that names no group of the synced snapshot (under a plan
    /// with groups): the visitors carrying it in any tag, as (arrival,
    /// slot). Adding the group, or showing a dashboard of a revision that
    /// has it, finds them here instead of among everyone. Lookups only:
    /// never iterated into an output (R25).
    unresolved: IndexMap<GroupId, BTreeSet<(u64, u32)>>,
}

/// Records per chunk of [`Slots`].
const SLOTS_PER_CHUNK: usize = 1024;

/// Visitor records by slot in chunks of a fixed size: growing never moves
/// the records already stored, and at most one chunk is part-used (a plain
/// vector's doubling leaves up to half its room unused).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Slots {
    chunks: Vec<Vec<Option<VisitorLive>>>,
    len: usize,
}

impl Slots {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, slot: usize) -> Option<&Option<VisitorLive>> {
        self.chunks.get(slot / SLOTS_PER_CHUNK)?.get(slot % SLOTS_PER_CHUNK)
    }

    fn get_mut(&mut self, slot: usize) -> Option<&mut Option<VisitorLive>> {
        self.chunks.get_mut(slot / SLOTS_PER_CHUNK)?.get_mut(slot % SLOTS_PER_CHUNK)
    }

    fn push(&mut self, v: Option<VisitorLive>) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < SLOTS_PER_CHUNK => last.push(v),
            _ => {
                let mut chunk = Vec::with_capacity(SLOTS_PER_CHUNK);
                chunk.push(v);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    fn iter(&self) -> impl Iterator<Item = &Option<VisitorLive>> {
        self.chunks.iter().flatten()
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Option<VisitorLive>> {
        self.chunks.iter_mut().flatten()
    }
}

/// A visitor's distinct tag ids.
fn tag_ids(v: &VisitorLive) -> SmallVec<[GroupId; 3]> {
    let mut ids: SmallVec<[GroupId; 3]> = SmallVec::new();
    for id in [&v.moved_to, &v.selection, &v.page_tag].into_iter().flatten() {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

/// A visitor in a group list: its arrival number and id.
pub(crate) type Entry = (u64, VisitorId);

/// A slot's effective group (or [`GONE`], [`UNGROUPED`]) and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed {
    group: u32,
    generation: u32,
}

/// A free slot.
const GONE: u32 = u32::MAX;
/// An ungrouped visitor.
const UNGROUPED: u32 = u32::MAX - 1;

/// A live visitor's effective group in 4 bytes.
fn pack(group: Option<GroupIx>) -> u32 {
    group.map_or(UNGROUPED, |g| u32::try_from(g).unwrap_or(UNGROUPED).min(UNGROUPED - 1))
}

fn slot_of(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl Visitors {
    /// Visitors on the site. O(1).
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// O(1) expected.
    pub(crate) fn slot(&self, id: &str) -> Option<u32> {
        self.index.get(id).copied()
    }

    /// The generation of `slot`: changes whenever the slot is freed. O(1).
    #[inline]
    pub(crate) fn generation(&self, slot: u32) -> Option<u32> {
        self.packed.get(slot as usize).map(|p| p.generation)
    }

    /// The effective group of the visitor in `slot` while the slot is at
    /// `generation` — `None` when that visitor left. O(1), one 8-byte read.
    #[inline]
    pub(crate) fn group_at(&self, slot: u32, generation: u32) -> Option<Option<GroupIx>> {
        let p = self.packed.get(slot as usize)?;
        match p.group {
            _ if p.generation != generation => None,
            GONE => None,
            UNGROUPED => Some(None),
            g => Some(Some(g as GroupIx)),
        }
    }

    /// O(1).
    #[inline]
    pub(crate) fn at(&self, slot: u32) -> Option<&VisitorLive> {
        self.slots.get(slot as usize)?.as_ref()
    }

    /// O(1) expected.
    pub(crate) fn get(&self, id: &str) -> Option<&VisitorLive> {
        self.at(self.slot(id)?)
    }

    /// Mutable access for fields that no index depends on (version,
    /// preferred agent). Use [`Self::retag`] and [`Self::set_chat_at`] for the rest.
    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut VisitorLive> {
        let slot = self.slot(id)?;
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// Every list, ungrouped first: together they hold each visitor once.
    fn lists(&self) -> impl Iterator<Item = &[Vec<Entry>]> {
        std::iter::once(self.ungrouped.chunks()).chain(self.by_group.iter().map(Chunked::chunks))
    }

    /// The ids of the visitors on the site in order of arrival: a merge of
    /// the group lists. O(groups) to start, O(log groups) per visitor.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &VisitorId> {
        Merged::new(self.lists()).map(|(_, id)| id)
    }

    /// The visitors for which `keep` holds, in no particular order. O(slots).
    pub(crate) fn matching(&self, keep: impl Fn(&VisitorLive) -> bool) -> Vec<&VisitorLive> {
        self.slots.iter().flatten().filter(|v| keep(v)).collect()
    }

    /// Adds a new visitor, grouped by `grouping`; its arrival number must be
    /// above every other. O(1) amortized.
    pub(crate) fn insert(&mut self, v: VisitorLive, grouping: &impl Grouping) {
        let group = grouping.effective(&v);
        let live = VisitorLive { group, ..v };
        let tags = tag_ids(&live);
        let (id, arrival) = (live.id.clone(), live.arrival);
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(s) = self.slots.get_mut(slot as usize) {
                    *s = Some(live);
                }
                if let Some(p) = self.packed.get_mut(slot as usize) {
                    p.group = pack(group);
                }
                slot
            }
            None => {
                self.slots.push(Some(live));
                self.packed.push(Packed { group: pack(group), generation: 0 });
                slot_of(self.slots.len() - 1)
            }
        };
        self.index.insert(id.clone(), slot);
        self.list_mut(group).push((arrival, id));
        for tag in tags.iter().filter(|t| grouping.unresolved(t)) {
            self.unresolved.entry(tag.clone()).or_default().insert((arrival, slot));
        }
    }

    /// Takes `(arrival, slot)` out of the unresolved index under `tag`.
    fn unindex(&mut self, tag: &GroupId, entry: (u64, u32)) {
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

    /// Removes a visitor (its chat must be closed) and frees its slot.
    /// O(log group size + one chunk).
    pub(crate) fn remove(&mut self, id: &str) -> Option<VisitorLive> {
        let slot = self.index.swap_remove(id)?;
        let v = self.slots.get_mut(slot as usize)?.take()?;
        if let Some(p) = self.packed.get_mut(slot as usize) {
            p.group = GONE;
            // A slot whose generation would wrap is retired, so that no
            // key can ever name two visitors.
            match p.generation.checked_add(1) {
                Some(next) => {
                    p.generation = next;
                    self.free.push(slot);
                }
                None => p.generation = u32::MAX,
            }
        }
        self.list_mut(v.group).remove(v.arrival);
        if !self.unresolved.is_empty() {
            for tag in tag_ids(&v) {
                self.unindex(&tag, (v.arrival, slot));
            }
        }
        if let Some(key) = v.chat.as_ref().and_then(|c| c.queued) {
            self.queue.remove(&(key, slot));
            if let Some(q) = self.queue_of(v.group) {
                q.remove(&(key, slot));
            }
        }
        Some(v)
    }

    /// Changes tags with `edit`, then moves the visitor to the list of its
    /// new effective group, which `grouping` computes, and keeps the
    /// unresolved index in step. O(log group size + one chunk).
    pub(crate) fn retag(&mut self, id: &str, edit: impl FnOnce(&mut VisitorLive), grouping: &impl Grouping) {
        let Some(slot) = self.slot(id) else { return };
        let Some(v) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else { return };
        let before = tag_ids(v);
        edit(v);
        let (after, arrival) = (tag_ids(v), v.arrival);
        for tag in before.iter().filter(|t| !after.contains(t)) {
            self.unindex(tag, (arrival, slot));
        }
        for tag in after.iter().filter(|t| !before.contains(t) && grouping.unresolved(t)) {
            self.unresolved.entry(tag.clone()).or_default().insert((arrival, slot));
        }
        self.regroup_slot(slot, grouping);
    }

    /// Recomputes the effective group of the visitor in `slot` and moves it
    /// between group lists and queues. O(log group size + one chunk).
    fn regroup_slot(&mut self, slot: u32, grouping: &impl Grouping) {
        let Some(v) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else { return };
        let (old, new) = (v.group, grouping.effective(v));
        v.group = new;
        if let Some(p) = self.packed.get_mut(slot as usize) {
            p.group = pack(new);
        }
        if old != new {
            let (id, arrival) = (v.id.clone(), v.arrival);
            let queued = v.chat.as_ref().and_then(|c| c.queued);
            self.list_mut(old).remove(arrival);
            self.list_mut(new).insert((arrival, id));
            if let Some(key) = queued {
                if let Some(q) = self.queue_of(old) {
                    q.remove(&(key, slot));
                }
                if let Some(q) = self.queue_of(new) {
                    q.insert((key, slot));
                }
            }
        }
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
        let Some(v) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else { return };
        let (was, now, group) = (v.chat.as_ref().and_then(|c| c.queued), chat.as_ref().and_then(|c| c.queued), v.group);
        v.chat = chat;
        v.version = version;
        if let Some(key) = was {
            self.queue.remove(&(key, slot));
            if let Some(q) = self.queue_of(group) {
                q.remove(&(key, slot));
            }
        }
        if let Some(key) = now {
            self.queue.insert((key, slot));
            if let Some(q) = self.queue_of(group) {
                q.insert((key, slot));
            }
        }
    }

    /// Queued visitors, oldest first (R18). O(queue).
    pub(crate) fn queue(&self) -> impl Iterator<Item = &VisitorLive> {
        self.queue.iter().filter_map(|(_, slot)| self.at(*slot))
    }

    /// A group's list, by slot, as chunks (for merging). O(1).
    pub(crate) fn group_slots(&self, group: Option<GroupIx>) -> &[Vec<Entry>] {
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
        self.unresolved = IndexMap::new();
        let mut order: Vec<(u64, u32)> = Vec::with_capacity(self.index.len());
        for (slot, v) in self.slots.iter_mut().enumerate() {
            let Some(v) = v else { continue };
            v.group = grouping.effective(v).filter(|g| *g < groups);
            if let Some(p) = self.packed.get_mut(slot) {
                p.group = pack(v.group);
            }
            order.push((v.arrival, slot_of(slot)));
            for tag in tag_ids(v).into_iter().filter(|t| grouping.unresolved(t)) {
                self.unresolved.entry(tag).or_default().insert((v.arrival, slot_of(slot)));
            }
            if let Some(key) = v.chat.as_ref().and_then(|c| c.queued) {
                let q = match v.group {
                    Some(g) => self.queues.get_mut(g),
                    None => self.queues.last_mut(),
                };
                if let Some(q) = q {
                    q.insert((key, slot_of(slot)));
                }
            }
        }
        order.sort_unstable();
        for (arrival, slot) in order {
            let Some(v) = self.slots.get(slot as usize).and_then(Option::as_ref) else { continue };
            let list = match v.group {
                None => &mut self.ungrouped,
                Some(g) => match self.by_group.get_mut(g) {
                    Some(list) => list,
                    None => &mut self.ungrouped,
                },
            };
            list.push((arrival, v.id.clone()));
        }
    }

    /// The oldest queued chat whose effective group is `group` (R18), after
    /// the entry `after` when given: (queue key, slot). O(log queue).
    pub(crate) fn next_queued(&self, group: Option<GroupIx>, after: Option<(u64, u32)>) -> Option<(u64, u32)> {
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
    fn queue_of(&mut self, group: Option<GroupIx>) -> Option<&mut BTreeSet<(u64, u32)>> {
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
        let Some(g) = group else { return &mut self.ungrouped };
        if self.by_group.len() <= g {
            self.by_group.resize_with(g + 1, Chunked::default);
        }
        match self.by_group.get_mut(g) {
            Some(list) => list,
            None => &mut self.ungrouped,
        }
    }
}
