//! [`Rows`]: a list that revisions share. Each configuration change gives a
//! new revision while the old one stays readable (R9, R24); with the rows
//! held in shared chunks, a change copies the chunk it edits and shares the
//! rest, so it costs O(chunk + rows / chunk) instead of a copy of every row.

use std::fmt;
use std::sync::Arc;

/// Rows per chunk.
const CHUNK: usize = 64;

/// An ordered list of rows stored in shared chunks of 64: cloning shares
/// them, and editing a row copies only its chunk. Read it like a slice:
/// [`get`](Self::get), [`len`](Self::len), [`iter`](Self::iter) (there is
/// no indexing operator, which would panic out of bounds). Internal: the
/// configuration gives its agents as an iterator
/// ([`Config::agents`](crate::Config::agents)).
#[derive(Clone)]
pub(crate) struct Rows<T> {
    /// Every chunk holds `CHUNK` rows but the last, which is not empty. The
    /// rows sit inline in the shared allocation, so reading one follows two
    /// pointers, and a chunk takes no more room than its rows.
    chunks: Vec<Arc<[T]>>,
    len: usize,
}

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows { chunks: Vec::new(), len: 0 }
    }
}

impl<T> Rows<T> {
    /// The row at `index`. O(1).
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK)?.get(index % CHUNK)
    }

    /// The rows in order. O(1) per row.
    pub fn iter(&self) -> RowsIter<'_, T> {
        RowsIter { chunks: &self.chunks, at: &[], left: self.len }
    }
}

impl<T> Rows<T> {
    /// The indexes of the rows held in chunks that `self` and `other` do not
    /// share — every row that may differ between the two when one came from
    /// the other by edits. O(rows / 64 + rows in those chunks).
    pub(crate) fn unshared<'a>(&'a self, other: &'a Rows<T>) -> impl Iterator<Item = usize> + 'a {
        let n = self.chunks.len().max(other.chunks.len());
        (0..n)
            .filter(move |&c| match (self.chunks.get(c), other.chunks.get(c)) {
                (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
                _ => true,
            })
            .flat_map(move |c| c * CHUNK..((c + 1) * CHUNK).min(self.len.max(other.len)))
    }
}

impl<T: Clone> Rows<T> {
    /// The row at `index`, for editing: its chunk is copied first when
    /// another revision shares it. O(chunk).
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        unshare(self.chunks.get_mut(index / CHUNK)?).get_mut(index % CHUNK)
    }

    /// Removes the row at `index`, shifting the later ones. O(rows).
    pub(crate) fn remove(&mut self, index: usize) {
        if index < self.len {
            *self = self.iter().enumerate().filter(|(i, _)| *i != index).map(|(_, r)| r.clone()).collect();
        }
    }
}

/// A chunk for editing, copied first when another list shares it.
fn unshare<T: Clone>(chunk: &mut Arc<[T]>) -> &mut [T] {
    if Arc::get_mut(chunk).is_none() {
        *chunk = chunk.iter().cloned().collect();
    }
    Arc::get_mut(chunk).unwrap_or_default()
}

impl<T: Clone> FromIterator<T> for Rows<T> {
    /// O(rows): full chunks are cut from the rows as they come.
    fn from_iter<I: IntoIterator<Item = T>>(rows: I) -> Self {
        let mut out = Rows::default();
        let mut chunk: Vec<T> = Vec::with_capacity(CHUNK);
        for row in rows {
            chunk.push(row);
            if chunk.len() == CHUNK {
                out.len += CHUNK;
                out.chunks.push(Arc::from(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))));
            }
        }
        if !chunk.is_empty() {
            out.len += chunk.len();
            out.chunks.push(Arc::from(chunk));
        }
        out
    }
}

impl<'a, T> IntoIterator for &'a Rows<T> {
    type Item = &'a T;
    type IntoIter = RowsIter<'a, T>;

    fn into_iter(self) -> RowsIter<'a, T> {
        RowsIter { chunks: &self.chunks, at: &[], left: self.len }
    }
}

/// The rows of a [`Rows`] in order.
pub(crate) struct RowsIter<'a, T> {
    chunks: &'a [Arc<[T]>],
    at: &'a [T],
    left: usize,
}

impl<'a, T> Iterator for RowsIter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if self.left == 0 {
            return None;
        }
        if self.at.is_empty() {
            let (first, rest) = self.chunks.split_first()?;
            self.at = first;
            self.chunks = rest;
        }
        let (row, rest) = self.at.split_first()?;
        self.at = rest;
        self.left -= 1;
        Some(row)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for RowsIter<'_, T> {}

impl<T> Clone for RowsIter<'_, T> {
    fn clone(&self) -> Self {
        RowsIter { chunks: self.chunks, at: self.at, left: self.left }
    }
}

impl<T: PartialEq> PartialEq for Rows<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for Rows<T> {}

impl<T: fmt::Debug> fmt::Debug for Rows<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vector_and_shares_unedited_chunks() {
        let mut model: Vec<u32> = (0..300).collect();
        let mut rows: Rows<u32> = model.iter().copied().collect();
        let before = rows.clone();
        if let Some(r) = rows.get_mut(130) {
            *r = 7;
        }
        model[130] = 7;
        rows = rows.iter().copied().chain([1000]).collect();
        model.push(1000);
        rows.remove(5);
        model.remove(5);
        assert_eq!(rows.iter().copied().collect::<Vec<_>>(), model);
        assert_eq!((rows.len, rows.iter().len()), (model.len(), model.len()));
        assert!((0..=model.len()).all(|i| rows.get(i) == model.get(i)));
        // The clone taken before the edits is unchanged.
        assert_eq!(before.iter().copied().collect::<Vec<_>>(), (0..300).collect::<Vec<_>>());
        // An edit copies one chunk: the others are still shared.
        let mut edited = before.clone();
        if let Some(r) = edited.get_mut(0) {
            *r = 9;
        }
        let shared = before.chunks.iter().zip(&edited.chunks).filter(|(a, b)| Arc::ptr_eq(a, b)).count();
        assert_eq!(shared, before.chunks.len() - 1);
    }
}
