//! The group ids visitors carry as page tags, selections and moved-to
//! groups, each stored once and named by a 4-byte number while some visitor
//! carries it. Numbers are reused once nobody carries an id; they are never
//! iterated into an output (R25).

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::hash::IdHasher;
use crate::ids::GroupId;

/// No tag.
pub(crate) const NONE: u32 = u32::MAX;

/// Interned tags with the number of uses of each. Cost of each method stated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tags {
    /// By number: the id and how many uses it has; `None` when free.
    rows: Vec<Option<(GroupId, u32)>>,
    free: Vec<u32>,
    /// Id → number. Lookups only.
    numbers: IndexMap<GroupId, u32, IdHasher>,
}

impl Tags {
    /// The id numbered `n`. O(1).
    #[inline]
    pub(crate) fn get(&self, n: u32) -> Option<&GroupId> {
        self.rows.get(n as usize)?.as_ref().map(|(id, _)| id)
    }

    /// Heap bytes held, ids' own bytes aside (they are shared with the
    /// configuration or with other holders). O(1).
    pub(crate) fn bytes(&self) -> usize {
        self.rows.capacity() * size_of::<Option<(GroupId, u32)>>()
            + self.free.capacity() * 4
            + self.numbers.capacity() * (size_of::<(GroupId, u32)>() + 2 * size_of::<usize>())
    }

    /// One more use of `id`; returns its number. O(1) expected.
    pub(crate) fn acquire(&mut self, id: GroupId) -> u32 {
        if let Some(&n) = self.numbers.get(&id) {
            if let Some(Some((_, uses))) = self.rows.get_mut(n as usize) {
                *uses = uses.saturating_add(1);
            }
            return n;
        }
        let n = match self.free.pop() {
            Some(n) => {
                if let Some(row) = self.rows.get_mut(n as usize) {
                    *row = Some((id.clone(), 1));
                }
                n
            }
            None => {
                self.rows.push(Some((id.clone(), 1)));
                u32::try_from(self.rows.len() - 1).unwrap_or(NONE)
            }
        };
        self.numbers.insert(id, n);
        n
    }

    /// One use fewer of the id numbered `n` (nothing for [`NONE`]); the
    /// number is freed with its last use. O(1) expected.
    pub(crate) fn release(&mut self, n: u32) {
        let Some(row) = self.rows.get_mut(n as usize) else { return };
        let Some((id, uses)) = row else { return };
        *uses = uses.saturating_sub(1);
        if *uses == 0 {
            self.numbers.swap_remove(id.as_str());
            *row = None;
            self.free.push(n);
        }
    }
}

/// By tag id that names no group of the synced snapshot (under a plan with
/// groups): the visitors carrying it in any tag, as (arrival, slot), by
/// arrival. Adding the group, or showing a dashboard of a revision that has
/// it, finds them here instead of among everyone. Lookups only: never
/// iterated into an output (R25). Cost of each method: O(log) expected.
#[derive(Debug, Clone, Default)]
pub(crate) struct Unresolved(IndexMap<GroupId, BTreeSet<(u64, u32)>>);

impl Unresolved {
    /// Whether no visitor carries such a tag. O(1).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The visitor `(arrival, slot)` carries `tag`.
    pub(crate) fn add(&mut self, tag: &GroupId, visitor: (u64, u32)) {
        self.0.entry(tag.clone()).or_default().insert(visitor);
    }

    /// The visitor `(arrival, slot)` no longer carries `tag`.
    pub(crate) fn remove(&mut self, tag: &str, visitor: (u64, u32)) {
        if let Some(set) = self.0.get_mut(tag) {
            set.remove(&visitor);
            if set.is_empty() {
                self.0.swap_remove(tag);
            }
        }
    }

    /// The visitors carrying `tag`, by arrival.
    pub(crate) fn carrying(&self, tag: &str) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.0.get(tag).into_iter().flatten().copied()
    }

    /// Takes out every visitor carrying `tag` (its group now exists).
    pub(crate) fn take(&mut self, tag: &str) -> BTreeSet<(u64, u32)> {
        self.0.swap_remove(tag).unwrap_or_default()
    }
}
