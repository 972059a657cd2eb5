//! Rows by number in chunks of 1,024, for the visitors' records and their
//! side table: growing adds a chunk (each grows by doubling up to its
//! size, so a few rows cost a few hundred bytes) and never moves or copies
//! the rows already stored — no event pauses to copy a table.

use super::names::SLOTS_PER_CHUNK;

/// Rows in chunks of [`SLOTS_PER_CHUNK`]. Cost of each method: O(1),
/// amortized where a chunk grows (at most a chunk's rows are ever copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Table<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Table<T> {
    /// Rows made so far: every row number is below it.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(super) fn get(&self, at: usize) -> Option<&T> {
        self.chunks.get(at / SLOTS_PER_CHUNK)?.get(at % SLOTS_PER_CHUNK)
    }

    #[inline]
    pub(super) fn get_mut(&mut self, at: usize) -> Option<&mut T> {
        self.chunks.get_mut(at / SLOTS_PER_CHUNK)?.get_mut(at % SLOTS_PER_CHUNK)
    }

    /// Adds `row` after the last; returns its number.
    pub(super) fn push(&mut self, row: T) -> usize {
        if self.len % SLOTS_PER_CHUNK == 0 {
            self.chunks.push(Vec::new());
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(row);
        }
        self.len += 1;
        self.len - 1
    }

    /// Heap bytes. O(chunks).
    pub(super) fn bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity() * size_of::<T>()).sum::<usize>()
            + self.chunks.capacity() * size_of::<Vec<T>>()
    }

    /// Chunks made so far. O(1).
    #[cfg(test)]
    pub(super) fn chunks(&self) -> usize {
        self.chunks.len()
    }
}
