//! What only some visitors have — a selection, a moved-to group, a
//! preferred agent, a chat and its version — in a side table whose rows a
//! visitor's record points to, so that a browsing visitor costs none of it.
//! Rows a departed visitor left are reused.

use super::table::Table;
use super::tags::NONE;
use crate::ids::AgentId;
use crate::state::Chat;

/// One visitor's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Extra {
    /// Its contact-form selection's number in the tags, or [`NONE`].
    pub(super) selection: u32,
    /// Its moved-to group's number in the tags, or [`NONE`].
    pub(super) moved_to: u32,
    pub(super) preferred: Option<AgentId>,
    pub(super) chat: Option<Chat>,
    /// The chat state's version (R13) once a chat event gave it one.
    pub(super) version: Option<u64>,
}

impl Extra {
    const EMPTY: Extra = Extra { selection: NONE, moved_to: NONE, preferred: None, chat: None, version: None };
}

/// The rows, by number, in chunks that never move ([`Table`]). Cost of
/// each method stated.
#[derive(Debug, Clone)]
pub(super) struct Extras {
    rows: Table<Extra>,
    /// The last row freed, first to be reused, or [`NONE`]; a free row's
    /// `selection` names the next. Kept in the rows themselves, the free
    /// list never allocates.
    free: u32,
}

impl Default for Extras {
    fn default() -> Self {
        Extras { rows: Table::default(), free: NONE }
    }
}

impl Extras {
    /// Row `at`; none for [`NONE`]. O(1).
    #[inline]
    pub(super) fn get(&self, at: u32) -> Option<&Extra> {
        if at == NONE {
            return None;
        }
        self.rows.get(at as usize)
    }

    /// Row `at`, to change. O(1).
    pub(super) fn get_mut(&mut self, at: u32) -> Option<&mut Extra> {
        if at == NONE {
            return None;
        }
        self.rows.get_mut(at as usize)
    }

    /// A new empty row's number. O(1) amortized (at most a chunk's rows
    /// are ever copied).
    pub(super) fn make(&mut self) -> u32 {
        let head = self.free;
        if let Some(row) = self.get_mut(head) {
            let next = std::mem::replace(&mut row.selection, NONE);
            self.free = next;
            return head;
        }
        u32::try_from(self.rows.push(Extra::EMPTY)).unwrap_or(NONE)
    }

    /// Frees row `at`, giving back what it held. O(1), no allocation.
    pub(super) fn release(&mut self, at: u32) -> Option<Extra> {
        let head = self.free;
        let row = self.get_mut(at)?;
        let held = std::mem::replace(row, Extra { selection: head, ..Extra::EMPTY });
        self.free = at;
        Some(held)
    }

    /// Heap bytes. O(chunks).
    pub(super) fn bytes(&self) -> usize {
        self.rows.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows past the first chunk keep what is written to them; freed rows
    /// are reused last freed first; the table grows a chunk at a time.
    #[test]
    fn rows_span_chunks_and_are_reused() {
        let mut extras = Extras::default();
        const CHUNK: usize = super::super::names::SLOTS_PER_CHUNK;
        let rows: Vec<u32> = (0..3 * CHUNK as u32).map(|_| extras.make()).collect();
        assert_eq!(rows, (0..3 * CHUNK as u32).collect::<Vec<_>>());
        for &r in &rows {
            extras.get_mut(r).unwrap().moved_to = r;
        }
        assert!(rows.iter().all(|&r| extras.get(r).map(|e| e.moved_to) == Some(r)));
        assert_eq!(extras.rows.chunks(), 3, "three chunks");
        extras.release(5);
        extras.release(2 * CHUNK as u32 + 7);
        assert_eq!(extras.make(), 2 * CHUNK as u32 + 7);
        assert_eq!(extras.make(), 5);
        assert_eq!(extras.get(5), Some(&Extra::EMPTY), "a reused row starts empty");
        assert_eq!(extras.make(), 3 * CHUNK as u32, "then a new row");
        assert!(extras.get(NONE).is_none());
    }
}
