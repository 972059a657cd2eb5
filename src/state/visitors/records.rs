//! Visitors' records by slot. A visitor keeps its slot for as long as it
//! stays; a slot left free is reused by a later arrival. A key names a
//! visitor by its slot and its arrival number, which no other visit ever
//! has, so keys made for a visitor who left are refused whoever takes its
//! slot. Nothing is ever renumbered, so no event pauses to compact
//! everything.

use super::index::MAX_SLOTS;
use super::table::Table;
use super::tags::NONE;
use super::view::Full;
use crate::snapshot::GroupIx;

/// A free slot (in [`Rec::group`]).
const GONE: u32 = u32::MAX;
/// An ungrouped visitor.
const UNGROUPED: u32 = u32::MAX - 1;

/// A visitor's record: 20 bytes (4-byte aligned, so that the 8-byte
/// arrival costs no padding; fields are read by value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(super) struct Rec {
    /// Arrival number: orders visitors by arrival (from the account's one
    /// counter, so no two visits share one: a key names the visit by it).
    /// Also the chat state's version (R13) until the visitor's first chat
    /// event, after which its side-table row holds the version. In a free
    /// slot: the next free slot, or [`NONE`].
    pub(super) arrival: u64,
    /// Effective group for the synced snapshot (R2's answer, cached), or
    /// [`UNGROUPED`], or [`GONE`] for a free slot.
    group: u32,
    /// The page tag's number in the tags, or [`NONE`].
    pub(super) page: u32,
    /// The visitor's row in the side table, or [`NONE`].
    pub(super) extra: u32,
}

impl Rec {
    /// The visitor's effective group; `None` for ungrouped (or a free slot).
    #[inline]
    pub(super) fn group(&self) -> Option<GroupIx> {
        let g = self.group;
        (g < UNGROUPED).then_some(g as GroupIx)
    }

    /// Sets the effective group.
    pub(super) fn set_group(&mut self, group: Option<GroupIx>) {
        self.group = group.map_or(UNGROUPED, |g| u32::try_from(g).unwrap_or(UNGROUPED).min(UNGROUPED - 1));
    }

    /// Whether a visitor is in the slot.
    #[inline]
    pub(super) fn is_live(&self) -> bool {
        self.group != GONE
    }
}

/// Records in a [`Table`], whose chunks never move: growing never moves the
/// records already stored, and at most one chunk is part-used (it grows by
/// doubling, so a few visitors cost a few hundred bytes). Cost of each
/// method: O(1), amortized where a chunk grows.
#[derive(Debug, Clone)]
pub(super) struct Records {
    /// Every slot made so far, free or not.
    rows: Table<Rec>,
    /// The last slot freed, first to be reused, or [`NONE`]; each free
    /// slot's record names the next. Kept in the records themselves, the
    /// free list never allocates: a leave does not.
    free: u32,
}

impl Default for Records {
    fn default() -> Self {
        Records { rows: Table::default(), free: NONE }
    }
}

impl Records {
    /// Slots made so far: every slot is below it.
    pub(super) fn slots(&self) -> u32 {
        u32::try_from(self.rows.len()).unwrap_or(MAX_SLOTS)
    }

    #[inline]
    pub(super) fn get(&self, slot: u32) -> Option<&Rec> {
        self.rows.get(slot as usize)
    }

    pub(super) fn get_mut(&mut self, slot: u32) -> Option<&mut Rec> {
        self.rows.get_mut(slot as usize)
    }

    /// The record of a visitor in the slot.
    #[inline]
    pub(super) fn live(&self, slot: u32) -> Option<&Rec> {
        self.get(slot).filter(|r| r.is_live())
    }

    /// A slot for a new visitor, with its record set, and whether the slot
    /// is new (never used before).
    ///
    /// # Errors
    ///
    /// [`Full`] when [`MAX_SLOTS`] visitors are on the site.
    pub(super) fn take(&mut self, arrival: u64, group: Option<GroupIx>, page: u32) -> Result<(u32, bool), Full> {
        let reused = (self.free != NONE).then_some(self.free);
        let (slot, new) = match reused.and_then(|slot| Some((slot, self.get(slot)?.arrival))) {
            Some((slot, next)) => {
                self.free = u32::try_from(next).unwrap_or(NONE);
                (slot, false)
            }
            None if self.slots() < MAX_SLOTS => {
                let slot = self.rows.push(Rec { arrival: 0, group: GONE, page: NONE, extra: NONE });
                (u32::try_from(slot).unwrap_or(MAX_SLOTS), true)
            }
            None => return Err(Full),
        };
        if let Some(rec) = self.get_mut(slot) {
            *rec = Rec { arrival, page, extra: NONE, ..*rec };
            rec.set_group(group);
        }
        Ok((slot, new))
    }

    /// Frees the slot, first to be reused.
    pub(super) fn free(&mut self, slot: u32) {
        let head = self.free;
        let Some(r) = self.get_mut(slot) else { return };
        r.group = GONE;
        r.extra = NONE;
        r.page = NONE;
        r.arrival = u64::from(head);
        self.free = slot;
    }

    /// Heap bytes. O(chunks).
    pub(super) fn bytes(&self) -> usize {
        self.rows.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_20_bytes() {
        assert_eq!(std::mem::size_of::<Rec>(), 20);
    }

    /// A freed slot is reused with the new visit's arrival; groups read
    /// back.
    #[test]
    fn slots_are_reused_with_the_new_arrival() {
        let mut records = Records::default();
        let (a, new) = records.take(1, Some(3), NONE).unwrap();
        assert!(new);
        assert_eq!(records.live(a).map(Rec::group), Some(Some(3)));
        records.free(a);
        assert!(records.live(a).is_none());
        let (b, new) = records.take(2, None, NONE).unwrap();
        assert_eq!((b, new), (a, false));
        assert_eq!(records.live(b).map(|r| r.arrival), Some(2));
        assert_eq!(records.live(b).map(Rec::group), Some(None));
        assert_eq!(records.slots(), 1);
    }

    /// Freed slots are reused last freed first, through the records.
    #[test]
    fn the_free_list_runs_through_the_records() {
        let mut records = Records::default();
        let slots: Vec<u32> = (0..5).map(|i| records.take(i, None, NONE).unwrap().0).collect();
        for &s in &[slots[1], slots[3], slots[0]] {
            records.free(s);
        }
        let again: Vec<(u32, bool)> = (10..14).map(|i| records.take(i, None, NONE).unwrap()).collect();
        assert_eq!(again, [(slots[0], false), (slots[3], false), (slots[1], false), (5, true)]);
        let arrival = records.get(slots[3]).unwrap().arrival;
        assert_eq!(arrival, 11);
    }
}
