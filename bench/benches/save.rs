//! Saving and loading the large account (R32): 2,000 agents, 200 groups,
//! 100,000 visitors, the workload's chats held. Goals: each ≤ 100 ms, the
//! JSON ≤ 120 bytes per visitor (printed first).
//!
//! `cargo bench -p groupgate-bench --bench save`.
// Bench code may unwrap.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use groupgate::{Account, Routing, Saved};
use workload::Workload;

fn benches(c: &mut Criterion) {
    let w = Workload::large();
    let account = w.account(Routing::LeastBusy);
    let json = serde_json::to_string(&account.save()).unwrap();
    let visitors = w.visitors.len();
    let config = serde_json::to_string(account.snapshot().config()).unwrap().len();
    println!(
        "save/json: {} bytes for {visitors} visitors: {:.1} bytes a visitor with the configuration ({config} bytes), {:.1} without (goal ≤ 120)",
        json.len(),
        json.len() as f64 / visitors as f64,
        (json.len() - config) as f64 / visitors as f64
    );
    let loaded = Account::from_saved(serde_json::from_str(&json).unwrap()).unwrap();
    assert_eq!(loaded, account, "the loaded account equals the saved one");

    let mut g = c.benchmark_group("save");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.bench_function("save", |b| b.iter(|| black_box(account.save())));
    g.bench_function("save_to_json", |b| b.iter(|| serde_json::to_string(&account.save()).unwrap().len()));
    let saved = account.save();
    g.bench_function("load", |b| b.iter(|| Account::from_saved(black_box(saved.clone())).unwrap()));
    g.bench_function("load_from_json", |b| {
        b.iter(|| Account::from_saved(serde_json::from_str::<Saved>(black_box(&json)).unwrap()).unwrap())
    });
    g.finish();
}

criterion_group!(save, benches);
criterion_main!(save);
