//! Benchmarks of groupgate live in `benches/`: `cargo bench -p groupgate-bench`
//! runs them all, `cargo test -p groupgate-bench --benches` runs each once.
//! This crate has no code of its own; it keeps criterion and SQLite out of
//! the library's dependencies.
