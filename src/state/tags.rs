//! The group ids visitors carry as page tags, selections and moved-to
//! groups, each stored once and named by a 4-byte number while some visitor
//! carries it. Numbers are reused once nobody carries an id; they are never
//! iterated into an output (R25).

use indexmap::IndexMap;

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
    numbers: IndexMap<GroupId, u32>,
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
