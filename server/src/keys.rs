//! Keys: an account's API key is 32 random bytes written in hex, given
//! once and stored only as its SHA-256; the admin token is hashed when the
//! server starts and compared as a hash. A key is high-entropy, so a plain
//! hash is enough (no password stretching), and comparing hashes in
//! constant time leaks nothing of the key.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new key: 64 hex digits from a cryptographically secure generator
/// seeded by the operating system (`rand::rng`), prefixed `gg_` so that a
/// leaked one is recognizable.
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("gg_{}", hex(&bytes))
}

/// The SHA-256 of `key`, in hex: what is stored and compared.
pub fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Whether two hashes are equal, in time independent of where they differ.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_new_each_time_and_hash_to_64_hex_digits() {
        let (a, b) = (new_key(), new_key());
        assert_ne!(a, b);
        assert!(a.starts_with("gg_") && a.len() == 67);
        assert_eq!(hash(&a).len(), 64);
        assert!(same_hash(&hash(&a), &hash(&a)));
        assert!(!same_hash(&hash(&a), &hash(&b)));
        // SHA-256 of "abc", the standard's own example.
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
