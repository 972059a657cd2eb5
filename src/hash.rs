//! The hash of ids in the engine's own indexes: the visitor-id index and
//! the agent index of a compiled snapshot.
//!
//! Ids come from outside (a visitor's id is whatever the website sends), so
//! the hash is keyed: four 64-bit keys drawn from the standard library's
//! per-process random source when an index is made, so that nobody who
//! cannot read the process's memory can choose ids that collide. It is not
//! a cryptographic hash and claims nothing against an attacker who can
//! watch the table's layout (which no output shows: R25). Its work is a
//! few 128-bit multiplications, their halves folded together: hashing an
//! agent id through `Hash` (its bytes, then a `0xff`) measured 62–77
//! instructions with callgrind, where the standard SipHash-1-3 took about
//! 185, and a `sees` by id went from 771 to 441 in all; the decision and
//! its measurements are in `docs/DECISIONS.md`.
//!
//! An index's layout depends on its keys, and a clone keeps them. The keys
//! never reach an output: both indexes give their entries in insertion
//! order or not at all.

use std::hash::{BuildHasher, Hasher, RandomState};

/// The keys of one index. Cost: `new` four SipHash computations (made
/// once per index), `hash_str` O(length of the id).
#[derive(Clone, Copy)]
pub(crate) struct IdHasher {
    keys: [u64; 4],
}

/// Shows nothing of the keys: they are the table's secret, and debug
/// output is compared across runs.
impl std::fmt::Debug for IdHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdHasher")
    }
}

impl Default for IdHasher {
    fn default() -> Self {
        IdHasher::new()
    }
}

/// The product of `a` and `b`, its two halves folded together with an
/// exclusive or: every bit of each input reaches the middle bits of the
/// result.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

#[inline]
fn read8(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..at + 8).and_then(|s| s.try_into().ok()).map_or(0, u64::from_le_bytes)
}

#[inline]
fn read4(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..at + 4).and_then(|s| s.try_into().ok()).map_or(0, |w| u64::from(u32::from_le_bytes(w)))
}

impl IdHasher {
    /// New random keys. The last is odd with its top bit set, so the final
    /// mix multiplies by a large odd number whatever the draw.
    pub(crate) fn new() -> Self {
        let random = RandomState::new();
        let mut keys = [0u64; 4];
        for (i, k) in (0u64..).zip(keys.iter_mut()) {
            *k = random.hash_one(i);
        }
        keys[3] |= (1 << 63) | 1;
        IdHasher { keys }
    }

    /// The hash of `bytes`, continuing from `seed` (0 for a whole id).
    /// Ids up to 16 bytes are read as two words, overlapping when shorter;
    /// longer ones 16 bytes at a time, each block folded into the last
    /// one's result. The length enters too, so `"a"` and `"a\0"` differ.
    #[inline]
    pub(crate) fn hash_bytes(&self, seed: u64, bytes: &[u8]) -> u64 {
        let [k0, k1, k2, k3] = self.keys;
        let len = bytes.len();
        let mut acc = seed ^ k2 ^ (len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let (a, b) = if len <= 16 {
            if len >= 8 {
                (read8(bytes, 0), read8(bytes, len - 8))
            } else if len >= 4 {
                (read4(bytes, 0), read4(bytes, len - 4))
            } else {
                let byte = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
                let x = if len == 0 { 0 } else { (byte(0) << 16) | (byte(len / 2) << 8) | byte(len - 1) };
                (x, 0)
            }
        } else {
            let mut at = 0;
            while at + 16 < len {
                acc = fold(read8(bytes, at) ^ k0, read8(bytes, at + 8) ^ acc);
                at += 16;
            }
            (read8(bytes, len - 16), read8(bytes, len - 8))
        };
        fold(fold(a ^ k0, b ^ k1 ^ acc), k3)
    }

    /// The hash of an id. O(length).
    #[inline]
    pub(crate) fn hash_str(&self, id: &str) -> u64 {
        self.hash_bytes(0, id.as_bytes())
    }
}

/// A [`Hasher`] for the agent index (`IndexSet`), which hashes an id as its
/// bytes and then a `0xff` byte: each write folds into the state.
pub(crate) struct IdHash {
    keys: IdHasher,
    state: u64,
}

impl Hasher for IdHash {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.state = self.keys.hash_bytes(self.state, bytes);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.state = fold(self.state ^ u64::from(i) ^ self.keys.keys[1], self.keys.keys[3]);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.state = fold(self.state ^ i as u64 ^ self.keys.keys[1], self.keys.keys[3]);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.state
    }
}

impl BuildHasher for IdHasher {
    type Hasher = IdHash;

    #[inline]
    fn build_hasher(&self) -> IdHash {
        IdHash { keys: *self, state: 0 }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::IdHasher;

    /// Every id of lengths 0 to 40 built from a few bytes in every
    /// position, and ids that differ only by trailing zeros or by one bit:
    /// no two share a 64-bit hash, nor (nearly) the top 20 bits that pick a
    /// home in a table of a million positions.
    #[test]
    fn distinct_ids_get_distinct_hashes() {
        let h = IdHasher::new();
        let mut ids: Vec<Vec<u8>> = vec![vec![]];
        for len in 1..=40usize {
            for at in 0..len {
                for byte in [b'a', b'z', 0, 0xff] {
                    let mut id = vec![b'v'; len];
                    if let Some(b) = id.get_mut(at) {
                        *b = byte;
                    }
                    ids.push(id);
                }
            }
            ids.push(vec![0; len]);
        }
        for n in 0..20_000u32 {
            ids.push(format!("visitor-{n}").into_bytes());
        }
        ids.sort();
        ids.dedup();
        let hashes: HashSet<u64> = ids.iter().map(|id| h.hash_bytes(0, id)).collect();
        assert_eq!(hashes.len(), ids.len(), "a 64-bit collision among {} ids", ids.len());
        let tops: HashSet<u64> = ids.iter().map(|id| h.hash_bytes(0, id) >> 44).collect();
        // 22,000-odd ids into 2^20 buckets: about 230 collide by chance.
        assert!(ids.len() - tops.len() < 600, "{} of {} ids share top bits", ids.len() - tops.len(), ids.len());
    }

    /// Each input bit of a 12-byte id flips each output bit about half the
    /// time: over 256 ids, within six standard deviations of 128 (a fair
    /// coin fails that once in some hundred million pairs; 6,144 pairs).
    #[test]
    fn every_input_bit_reaches_every_output_bit() {
        let h = IdHasher::new();
        let base: Vec<[u8; 12]> = (0u64..256)
            .map(|i| {
                let mut id = [0u8; 12];
                for (j, b) in id.iter_mut().enumerate() {
                    *b = (i.wrapping_mul(0x9E37_79B9).wrapping_add(j as u64 * 77) >> 3) as u8;
                }
                id
            })
            .collect();
        for bit in 0..96 {
            let mut flips = [0u32; 64];
            for id in &base {
                let mut other = *id;
                if let Some(b) = other.get_mut(bit / 8) {
                    *b ^= 1 << (bit % 8);
                }
                let diff = h.hash_bytes(0, id) ^ h.hash_bytes(0, &other);
                for (o, f) in flips.iter_mut().enumerate() {
                    *f += u32::from(diff >> o & 1 == 1);
                }
            }
            for (o, f) in flips.iter().enumerate() {
                assert!((80..=176).contains(f), "input bit {bit} flips output bit {o} {f} times of 256");
            }
        }
    }

    /// Two hashers hash alike only by chance; one hashes alike always;
    /// a `str` through `Hash` gives the same value on every call.
    #[test]
    fn keys_differ_per_index_and_hashing_is_stable() {
        let (a, b) = (IdHasher::new(), IdHasher::new());
        let ids = ["v1", "v2", "a-much-longer-visitor-id-0001"];
        assert!(ids.iter().any(|id| a.hash_str(id) != b.hash_str(id)));
        for id in ids {
            assert_eq!(a.hash_str(id), a.hash_str(id));
            assert_eq!(a.hash_one(id), a.hash_one(id));
            assert_eq!(a.clone().hash_one(id), a.hash_one(id));
        }
    }
}
