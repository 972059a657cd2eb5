//! How many cases a property runs, for test files with or without the
//! reference model (`common` needs it; `events` and `hours` do not).
//!
//! Two depths: a plain `cargo test` is a quick look that a newcomer can run
//! (64 cases a property, smaller long-queue runs); `GROUPGATE_DEEP=1`, which
//! `.ci/run` sets, is the deep run (1,000 cases a property, every property
//! at full size). `PROPTEST_CASES` overrides the count in either.
#![allow(dead_code)]

use proptest::prelude::ProptestConfig;

/// Cases per property in a plain `cargo test`.
pub const QUICK: u32 = 64;
/// Cases per property in a deep run.
pub const DEEP: u32 = 1000;

/// Whether this is a deep run: `GROUPGATE_DEEP` set to anything but `0`.
pub fn deep() -> bool {
    std::env::var_os("GROUPGATE_DEEP").is_some_and(|v| v != "0")
}

/// Cases per property: `PROPTEST_CASES` when set, else [`DEEP`] in a deep
/// run and [`QUICK`] otherwise.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(if deep() { DEEP } else { QUICK })
}

pub fn config_for(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}
