//! The visitors on the site: stored in arrival order, indexed by id, by
//! effective group (for the snapshot the state is in step with) and by queue
//! position, so that dashboards, the queue and lookups never scan everyone.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::chunked::Chunked;
use super::{Chat, VisitorLive};
use crate::ids::VisitorId;
use crate::snapshot::GroupIx;

/// Tombstones are compacted away once they outnumber live visitors (and at
/// least this many exist).
const COMPACT_AT: usize = 1024;

/// Visitors in arrival order, with indexes. Cost of each method stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Visitors {
    /// Arrival order; `None` where a visitor left (compacted later).
    slots: Vec<Option<VisitorLive>>,
    /// Each slot's effective group packed in 4 bytes (see [`pack`]), so the
    /// hottest query reads one small array.
    packed: Vec<u32>,
    /// Id → slot. Lookups only: never iterated into an output (R25).
    index: IndexMap<VisitorId, u32>,
    /// Per effective group of the synced snapshot: (slot, id), by slot, in
    /// chunks. The id is kept here too so dashboards read contiguous runs.
    by_group: Vec<Chunked>,
    /// Ungrouped visitors, by slot.
    ungrouped: Chunked,
    /// Queued chats: (queue key, slot) — ordered by key, then arrival (R18).
    queue: BTreeSet<(u64, u32)>,
    /// The same queued chats by effective group (index: group; the last
    /// entry: ungrouped), so queue serving looks only where an agent can
    /// serve.
    queues: Vec<BTreeSet<(u64, u32)>>,
    /// Bumped whenever slots are renumbered, so stale keys are detected.
    epoch: u32,
}

/// A visitor in a group list: its slot and id.
pub(crate) type Entry = (u32, VisitorId);

/// A slot whose visitor left.
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

    /// The current numbering of slots.
    #[inline]
    pub(crate) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The effective group of the visitor in `slot` — `None` when it left.
    /// O(1), one 4-byte read.
    #[inline]
    pub(crate) fn group_at(&self, slot: u32) -> Option<Option<GroupIx>> {
        match *self.packed.get(slot as usize)? {
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

    /// Visitors in arrival order. O(slots).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &VisitorLive> {
        self.slots.iter().flatten()
    }

    /// Appends a new visitor whose effective group is `group`. O(1) amortized.
    pub(crate) fn insert(&mut self, v: VisitorLive, group: Option<GroupIx>) {
        let slot = slot_of(self.slots.len());
        self.index.insert(v.id.clone(), slot);
        self.list_mut(group).push((slot, v.id.clone()));
        self.slots.push(Some(VisitorLive { group, ..v }));
        self.packed.push(pack(group));
    }

    /// Removes a visitor (its chat must be closed). O(group size), amortized
    /// O(1) for compaction.
    pub(crate) fn remove(&mut self, id: &str) -> Option<VisitorLive> {
        let slot = self.index.swap_remove(id)?;
        let v = self.slots.get_mut(slot as usize)?.take()?;
        if let Some(p) = self.packed.get_mut(slot as usize) {
            *p = GONE;
        }
        self.list_mut(v.group).remove(slot);
        if let Some(key) = v.chat.as_ref().and_then(|c| c.queued) {
            self.queue.remove(&(key, slot));
            if let Some(q) = self.queue_of(v.group) {
                q.remove(&(key, slot));
            }
        }
        if self.slots.len() - self.index.len() > self.index.len().max(COMPACT_AT) {
            self.compact();
        }
        Some(v)
    }

    /// Changes tags with `edit`, then moves the visitor to the list of its
    /// new effective group, which `effective` computes. O(group size).
    pub(crate) fn retag(
        &mut self,
        id: &str,
        edit: impl FnOnce(&mut VisitorLive),
        effective: impl FnOnce(&VisitorLive) -> Option<GroupIx>,
    ) {
        let Some(slot) = self.slot(id) else { return };
        let Some(v) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else { return };
        edit(v);
        let (old, new) = (v.group, effective(v));
        v.group = new;
        if let Some(p) = self.packed.get_mut(slot as usize) {
            *p = pack(new);
        }
        if old != new {
            let id = v.id.clone();
            let queued = v.chat.as_ref().and_then(|c| c.queued);
            self.list_mut(old).remove(slot);
            self.list_mut(new).insert((slot, id));
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
    /// another group list. O(visitors).
    pub(crate) fn regroup(&mut self, groups: usize, effective: impl Fn(&VisitorLive) -> Option<GroupIx>) {
        self.by_group = vec![Chunked::default(); groups];
        self.ungrouped = Chunked::default();
        self.queues = vec![BTreeSet::new(); groups + 1];
        for (slot, v) in self.slots.iter_mut().enumerate() {
            let Some(v) = v else { continue };
            v.group = effective(v);
            if let Some(p) = self.packed.get_mut(slot) {
                *p = pack(v.group);
            }
            let list = match v.group {
                None => &mut self.ungrouped,
                Some(g) => match self.by_group.get_mut(g) {
                    Some(list) => list,
                    None => &mut self.ungrouped,
                },
            };
            list.push((slot_of(slot), v.id.clone()));
            if let Some(key) = v.chat.as_ref().and_then(|c| c.queued) {
                let q = match v.group.filter(|g| *g < groups) {
                    Some(g) => self.queues.get_mut(g),
                    None => self.queues.last_mut(),
                };
                if let Some(q) = q {
                    q.insert((key, slot_of(slot)));
                }
            }
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

    /// Drops tombstones, renumbering slots in every index. O(slots).
    fn compact(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        let mut renumber = vec![u32::MAX; self.slots.len()];
        let old = std::mem::take(&mut self.slots);
        self.packed.clear();
        for (i, v) in old.into_iter().enumerate() {
            if let (Some(v), Some(r)) = (v, renumber.get_mut(i)) {
                *r = slot_of(self.slots.len());
                self.packed.push(pack(v.group));
                self.slots.push(Some(v));
            }
        }
        let new = |s: &u32| renumber.get(*s as usize).copied().unwrap_or(u32::MAX);
        for slot in self.index.values_mut() {
            *slot = new(slot);
        }
        for list in self.by_group.iter_mut().chain(std::iter::once(&mut self.ungrouped)) {
            list.renumber(|s| new(&s));
        }
        self.queue = self.queue.iter().map(|(k, s)| (*k, new(s))).collect();
        for q in &mut self.queues {
            *q = q.iter().map(|(k, s)| (*k, new(s))).collect();
        }
    }
}
