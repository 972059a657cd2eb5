//! How many cases a property runs, for test files with or without the
//! reference model (`common` needs it; `events` and `hours` do not).
#![allow(dead_code)]

use proptest::prelude::ProptestConfig;

/// Cases per property: 1,000 unless `PROPTEST_CASES` says otherwise.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

pub fn config_for(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}
