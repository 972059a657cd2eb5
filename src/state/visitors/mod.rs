//! The visitors on the site: stored in reusable slots, indexed by id
//! ([`Names`]), by effective group in arrival order (for the snapshot the
//! state is in step with), and — for those whose chat waits — in the
//! [`Queue`], so that dashboards, the queue and lookups never scan
//! everyone. This store coordinates them: a visitor's record, its id, its
//! group list entry and its place in the queue change together.
//!
//! A browsing visitor costs a 20-byte record, its id (a 16-byte cell; a
//! longer id is kept apart), a 4-byte id index entry and an 8-byte entry
//! in its group's list. Tags are interned ([`Tags`]); what
//! only some visitors have — a selection, a moved-to group, a preferred
//! agent, a chat and its version — lives in a side table ([`Extra`]) that
//! the record points to.

use smallvec::SmallVec;

mod chunked;
mod extras;
mod index;
mod names;
mod queue;
mod ranked;
mod records;
mod table;
mod tags;
mod view;

use self::chunked::GroupLists;
pub(crate) use self::chunked::{Entry, Merged, Run};
use self::extras::{Extra, Extras};
use self::index::MAX_SLOTS;
use self::names::{Names, cell_len};
pub(crate) use self::queue::Place;
use self::queue::Queue;
use self::records::{Rec, Records};
use self::tags::{NONE, Tags, Unresolved};
pub use self::view::VisitorMemory;
pub(crate) use self::view::{Full, Tagged, Visitor};
use super::{Chat, Grouping, Tag, Wait};
use crate::ids::{AgentId, GroupId};
use crate::snapshot::GroupIx;

/// Visitors, with indexes. Cost of each method stated.
///
/// A visitor keeps its slot (its record, [`Records`]) for as long as it
/// stays. Arrival order comes from each visitor's arrival number, which the
/// per-group lists are sorted by.
#[derive(Clone, Default)]
pub(crate) struct Visitors {
    records: Records,
    /// Each slot's id, and id → slot.
    names: Names,
    tags: Tags,
    extras: Extras,
    /// Per effective group of the synced snapshot, and ungrouped: slots
    /// by arrival. Every visitor is in exactly one list.
    lists: GroupLists,
    /// The waiting chats (R18, R29).
    queue: Queue,
    /// The visitors carrying a tag that names no group, by tag.
    unresolved: Unresolved,
}

/// The visitors in order of arrival and the queue: what the store holds,
/// not where (the layout differs between equal stores, see
/// [`Visitors::same_visitors`]).
impl std::fmt::Debug for Visitors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue: Vec<(Place, Option<&str>)> = self.queue.iter().map(|(k, s)| (k, self.name(s))).collect();
        f.debug_struct("Visitors")
            .field("in_order", &self.in_order().collect::<Vec<_>>())
            .field("queue", &queue)
            .finish()
    }
}

impl Visitors {
    /// Visitors on the site. O(1).
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// Heap bytes by part. O(chunks + groups + tags).
    pub(crate) fn memory(&self) -> VisitorMemory {
        let (ids, id_index) = self.names.bytes();
        VisitorMemory {
            records: self.records.bytes(),
            ids,
            id_index,
            group_lists: self.lists.bytes(),
            side_table: self.tags.bytes() + self.extras.bytes(),
        }
    }

    /// The most visitors the store holds. O(1).
    pub(crate) fn capacity(&self) -> usize {
        MAX_SLOTS as usize
    }

    #[inline]
    fn rec(&self, slot: u32) -> Option<&Rec> {
        self.records.get(slot)
    }

    fn rec_mut(&mut self, slot: u32) -> Option<&mut Rec> {
        self.records.get_mut(slot)
    }

    /// The record of a visitor on the site.
    fn live(&self, slot: u32) -> Option<&Rec> {
        self.records.live(slot)
    }

    /// O(1) expected.
    pub(crate) fn slot(&self, id: &str) -> Option<u32> {
        self.names.slot(id)
    }

    /// The effective group of the visitor `id` (`Some(None)`: ungrouped),
    /// `None` when it is not on the site. O(1) expected: the id's lookup
    /// and one record read.
    #[inline]
    pub(crate) fn group_of(&self, id: &str) -> Option<Option<GroupIx>> {
        self.live(self.slot(id)?).map(Rec::group)
    }

    /// The arrival number of the visitor in `slot`, which names its visit:
    /// no other visit has it. O(1).
    #[inline]
    pub(crate) fn visit_of(&self, slot: u32) -> Option<u64> {
        self.live(slot).map(|r| r.arrival)
    }

    /// The effective group of the visitor in `slot` while it is the visit
    /// that arrived as `arrival` — `None` when that visitor left. O(1), one
    /// record read.
    #[inline]
    pub(crate) fn group_at(&self, slot: u32, arrival: u64) -> Option<Option<GroupIx>> {
        let r = self.rec(slot)?;
        let at = r.arrival;
        (at == arrival && r.is_live()).then(|| r.group())
    }

    /// The id of the visitor a list entry names. O(1); reads only the
    /// slot's cell when the id fits it.
    #[inline]
    pub(crate) fn entry_name(&self, e: Entry) -> Option<&str> {
        self.names.of_entry(e)
    }

    /// The arrival number of the visitor in `slot`. O(1).
    #[inline]
    pub(crate) fn arrival(&self, slot: u32) -> u64 {
        self.rec(slot).map_or(0, |r| r.arrival)
    }

    /// The id of the visitor in `slot`. O(1).
    #[inline]
    pub(crate) fn name(&self, slot: u32) -> Option<&str> {
        self.live(slot)?;
        self.names.get(slot)
    }

    fn extra(&self, rec: &Rec) -> Option<&Extra> {
        self.extras.get(rec.extra)
    }

    /// The visitor in `slot`. O(1).
    #[inline]
    pub(crate) fn at(&self, slot: u32) -> Option<Visitor<'_>> {
        let rec = self.live(slot)?;
        let extra = self.extra(rec);
        let tag = |n: u32| if n == NONE { None } else { self.tags.get(n) };
        Some(Visitor {
            id: self.names.get(slot)?,
            arrival: rec.arrival,
            version: extra.and_then(|e| e.version).unwrap_or(rec.arrival),
            group: rec.group(),
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

    /// The ids of the visitors on the site in order of arrival: a merge of
    /// the group lists. O(groups) to start, O(log groups) per visitor.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        Merged::new(self.lists.all()).filter_map(move |(_, e)| self.names.of_entry(e))
    }

    /// The visitors in order of arrival. O(groups) to start, O(log groups)
    /// per visitor.
    pub(crate) fn in_order(&self) -> impl Iterator<Item = Visitor<'_>> {
        Merged::new(self.lists.all()).filter_map(move |(_, e)| self.at(e.slot()))
    }

    /// Whether both hold the same visitors in the same order, with the same
    /// tags, preferred agents, chats and versions, and the same queue: what
    /// every answer depends on, whatever slots they sit in. O(visitors ·
    /// log groups).
    pub(crate) fn same_visitors(&self, other: &Visitors) -> bool {
        fn queue(v: &Visitors) -> impl Iterator<Item = (Place, Option<&str>, Option<Wait>)> {
            v.queue.iter().map(|(k, s)| (k, v.name(s), v.chat(s).and_then(|c| c.queued)))
        }
        self.len() == other.len() && self.in_order().eq(other.in_order()) && queue(self).eq(queue(other))
    }

    /// The visitors for which `keep` holds, in no particular order. O(slots).
    pub(crate) fn matching(&self, keep: impl Fn(&Visitor<'_>) -> bool) -> Vec<Visitor<'_>> {
        (0..self.records.slots()).filter_map(|s| self.at(s)).filter(|v| keep(v)).collect()
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
        let page = page.map_or(NONE, |p| self.tags.acquire(p));
        let tagged = Tagged { page_tag: self.tags.get(page), ..Tagged::default() };
        let group = grouping.effective(tagged);
        let unresolved: SmallVec<[GroupId; 1]> =
            tagged.page_tag.filter(|t| grouping.unresolved(t)).cloned().into_iter().collect();
        let slot = match self.records.take(arrival, group, page) {
            Ok((slot, new)) => {
                if new {
                    self.names.push_slot();
                }
                slot
            }
            Err(full) => {
                self.tags.release(page);
                return Err(full);
            }
        };
        self.names.insert(slot, id);
        self.lists.get_mut(group).push(arrival, chunked::key(slot, cell_len(id.len())));
        for tag in &unresolved {
            self.unresolved.add(tag, (arrival, slot));
        }
        Ok(slot)
    }

    /// The visitors carrying `tag` while it names no group, as (arrival,
    /// slot), by arrival. O(log) to start.
    pub(crate) fn tagged_unresolved(&self, tag: &str) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.unresolved.carrying(tag)
    }

    /// Removes the visitor in `slot` (its chat must be closed) and frees
    /// the slot. O(log group size + one chunk).
    pub(crate) fn remove(&mut self, slot: u32) {
        let Some(v) = self.at(slot) else { return };
        let (arrival, group) = (v.arrival, v.group);
        let tags: SmallVec<[GroupId; 3]> = v.tags.distinct().into_iter().cloned().collect();
        let queued = v.chat.and_then(|c| c.queued);
        self.names.remove(slot);
        self.lists.get_mut(group).remove(arrival);
        if !self.unresolved.is_empty() {
            for tag in &tags {
                self.unresolved.remove(tag.as_str(), (arrival, slot));
            }
        }
        if let Some(wait) = queued {
            self.unqueue(slot, arrival, group, wait);
        }
        let Some(rec) = self.rec(slot).copied() else { return };
        self.tags.release(rec.page);
        if let Some(e) = self.extras.release(rec.extra) {
            self.tags.release(e.selection);
            self.tags.release(e.moved_to);
        }
        self.records.free(slot);
    }

    /// The visitor's row in the side table, made when it has none. O(1)
    /// amortized.
    fn extra_mut(&mut self, slot: u32) -> Option<&mut Extra> {
        let mut at = self.live(slot)?.extra;
        if at == NONE {
            at = self.extras.make();
            self.rec_mut(slot)?.extra = at;
        }
        self.extras.get_mut(at)
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
            self.unresolved.remove(t.as_str(), (arrival, slot));
        }
        for t in after.iter().filter(|t| !before.contains(t) && grouping.unresolved(t)) {
            self.unresolved.add(t, (arrival, slot));
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
            r.set_group(new);
        }
        if old != new {
            self.lists.get_mut(old).remove(arrival);
            self.lists.get_mut(new).insert(arrival, key);
            if let Some(wait) = queued {
                let due = self.queue.regroup((slot, (wait.entered, arrival)), (old, wait.due), new, wait.since);
                self.set_due(slot, due);
            }
        }
    }

    /// Takes the waiting chat in `slot` out of the queue. O(log queue).
    fn unqueue(&mut self, slot: u32, arrival: u64, group: Option<GroupIx>, wait: Wait) {
        self.queue.remove(slot, (wait.entered, arrival), group, wait.due);
    }

    /// Puts the waiting chat in `slot`, in `group`, in the queue, and
    /// records its overflow instant (R29) in the chat. O(log queue).
    fn enqueue(&mut self, slot: u32, arrival: u64, group: Option<GroupIx>, wait: Wait) {
        let due = self.queue.insert(slot, (wait.entered, arrival), group, wait.since);
        self.set_due(slot, due);
    }

    /// Records the overflow instant the queue gave the chat in `slot`. O(1).
    fn set_due(&mut self, slot: u32, due: Option<u64>) {
        if let Some(w) = self.extra_mut(slot).and_then(|e| e.chat.as_mut()).and_then(|c| c.queued.as_mut()) {
            w.due = due;
        }
    }

    /// Sets each group's overflow wait (R29) and recomputes the overflow
    /// instants of the chats waiting in the groups whose wait changed.
    /// O(groups + those chats · log queue).
    pub(crate) fn set_overflow(&mut self, after: Vec<Option<u64>>) {
        for g in self.queue.set_overflow(after) {
            let waiting: Vec<(Place, u32)> = self.queue.in_group(Some(g)).collect();
            for (place, slot) in waiting {
                let Some(wait) = self.chat(slot).and_then(|c| c.queued) else { continue };
                let due = self.queue.regroup((slot, place), (Some(g), wait.due), Some(g), wait.since);
                self.set_due(slot, due);
            }
        }
    }

    /// The earliest overflow instant (R29), with the chat's slot: ties in
    /// queue order. O(log queue).
    pub(crate) fn next_overflow(&self) -> Option<(u64, u32)> {
        self.queue.next_overflow()
    }

    /// A group with id `tag` was added at the end of the group list: the
    /// visitors carrying it leave the unresolved index and are regrouped.
    /// O(those visitors · log).
    pub(crate) fn group_added(&mut self, tag: &GroupId, grouping: &impl Grouping) {
        for (_, slot) in self.unresolved.take(tag.as_str()) {
            self.regroup_slot(slot, grouping);
        }
    }

    /// Replaces the chat of the visitor in `slot` and its version, keeping
    /// the queue index in step. Only `State` calls it. O(log queue).
    pub(crate) fn set_chat_at(&mut self, slot: u32, chat: Option<Chat>, version: u64) {
        let Some(rec) = self.live(slot).copied() else { return };
        let was = self.extra(&rec).and_then(|e| e.chat.as_ref()).and_then(|c| c.queued);
        let (now, group) = (chat.as_ref().and_then(|c| c.queued), rec.group());
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
        self.queue.unrank();
    }

    /// Rebuilds the queue places' index from the queue. O(queue).
    pub(crate) fn rerank(&mut self) {
        self.queue.rerank();
    }

    /// Queued visitors, oldest first (R18). O(queue).
    pub(crate) fn queue(&self) -> impl Iterator<Item = Visitor<'_>> {
        self.queue.iter().filter_map(|(_, slot)| self.at(slot))
    }

    /// How many queued chats are ahead of the one in `slot` (R18); `None`
    /// when it is not queued. O(log queue); O(chats ahead) between a load
    /// and [`Self::rerank`].
    pub(crate) fn queue_position(&self, slot: u32) -> Option<usize> {
        let place = (self.chat(slot)?.queued?.entered, self.arrival(slot));
        self.queue.position(place, slot)
    }

    /// How many chats wait ahead of the chat in `slot` among those of its
    /// group; `None` when it does not wait. O(log queue + chats ahead of it
    /// in its group).
    pub(crate) fn group_queue_position(&self, slot: u32) -> Option<usize> {
        let place = (self.chat(slot)?.queued?.entered, self.arrival(slot));
        let group = self.live(slot)?.group();
        self.queue.position_in_group(group, place, slot)
    }

    /// Whether any chat is queued. O(1).
    pub(crate) fn has_queue(&self) -> bool {
        !self.queue.is_empty()
    }

    /// A group's list as chunks of slots (for merging). O(1).
    pub(crate) fn group_runs(&self, group: Option<GroupIx>) -> &[Run] {
        self.lists.runs(group)
    }

    /// Recomputes every visitor's effective group, for a snapshot with
    /// another group list. O(visitors · log visitors).
    pub(crate) fn regroup(&mut self, groups: usize, grouping: &impl Grouping) {
        self.lists = GroupLists::new(groups);
        self.queue.clear_groups(groups);
        self.unresolved = Unresolved::default();
        let mut order: Vec<(u64, u32, u32)> = Vec::with_capacity(self.len());
        let mut regrouped: Vec<(u32, Option<GroupIx>, Option<Wait>)> = Vec::with_capacity(self.len());
        let mut unresolved = Unresolved::default();
        for slot in 0..self.records.slots() {
            let Some(v) = self.at(slot) else { continue };
            let group = grouping.effective(v.tags).filter(|g| *g < groups);
            regrouped.push((slot, group, v.chat.and_then(|c| c.queued)));
            order.push((v.arrival, slot, chunked::key(slot, cell_len(v.id.len()))));
            for tag in v.tags.distinct().into_iter().filter(|t| grouping.unresolved(t)) {
                unresolved.add(tag, (v.arrival, slot));
            }
        }
        self.unresolved = unresolved;
        for (slot, group, queued) in regrouped {
            if let Some(r) = self.rec_mut(slot) {
                r.set_group(group);
            }
            if let Some(wait) = queued {
                let due = self.queue.place(slot, (wait.entered, self.arrival(slot)), group, wait.since);
                self.set_due(slot, due);
            }
        }
        order.sort_unstable();
        for (arrival, slot, key) in order {
            let group = self.rec(slot).and_then(Rec::group);
            let list = self.lists.get_mut(group);
            list.push(arrival, key);
        }
    }

    /// The oldest queued chat whose effective group is `group` (R18), after
    /// the entry `after` when given: (place, slot). O(log queue).
    pub(crate) fn next_queued(&self, group: Option<GroupIx>, after: Option<(Place, u32)>) -> Option<(Place, u32)> {
        self.queue.next_in(group, after)
    }

    /// The groups (and `None`, ungrouped) that have queued chats. O(groups).
    pub(crate) fn queued_groups(&self) -> impl Iterator<Item = Option<GroupIx>> + '_ {
        self.queue.groups()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
