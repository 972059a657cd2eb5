//! What the visitors' store gives out: a visitor read from it, its tags as
//! R2 reads them, and the bytes it takes.

use smallvec::SmallVec;

use crate::ids::{AgentId, GroupId};
use crate::snapshot::GroupIx;
use crate::state::Chat;

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
    pub(super) fn distinct(&self) -> SmallVec<[&'a GroupId; 3]> {
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
/// let mut account = Account::new(ConfigBuilder::new().build().unwrap(), 0);
/// for n in 0..1000 {
///     account.visit(&format!("visitor-{n}"), None).unwrap();
/// }
/// let m = account.visitor_memory();
/// assert!(m.records >= 1000 * 20 && m.ids >= 1000 * 16);
/// assert_eq!(m.total(), m.records + m.ids + m.id_index + m.group_lists + m.side_table);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct VisitorMemory {
    /// The 20-byte records, in chunks of 1,024 slots.
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

/// The store is full: as many visitors are on the site as it holds
/// (2^26 − 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Full;
