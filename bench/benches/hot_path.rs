//! The hot path on the "large account" (see `workload`): groupgate against a
//! hand-written string-keyed model (`naive`) and an in-memory SQLite database
//! (`sqlite`). Ids are `operation/implementation`, so ratios read off directly.
//!
//! `cargo bench -p groupgate-bench --bench hot_path`; `cargo test -p groupgate-bench --benches` runs each once.
// Bench code may unwrap; criterion's macros generate undocumented functions.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod workload;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use groupgate::{Account, Change, Routing, Tier};
use workload::{Indexed, Naive, Sqlite, Workload};

fn benches(c: &mut Criterion) {
    let w = Workload::large();
    let naive = Naive::new(&w);
    let mut indexed = Indexed::new(&w);
    let mut account = w.account(Routing::LeastBusy);
    let (agent, visitor) = w.probe();
    let fresh = w.visitors.iter().rev().find(|(_, g)| g.is_some()).unwrap().0.clone();

    let (agent_key, visitor_key) = (account.agent_key(&agent).unwrap(), account.visitor_key(&visitor).unwrap());
    let mut g = c.benchmark_group("sees");
    g.bench_function("groupgate", |b| {
        b.iter(|| account.sees_key(black_box(agent_key), black_box(visitor_key)).is_visible())
    });
    g.bench_function("groupgate_by_id", |b| {
        b.iter(|| account.sees(black_box(&agent), black_box(&visitor)).is_visible())
    });
    g.bench_function("naive", |b| b.iter(|| naive.sees(black_box(&agent), black_box(&visitor))));
    let (ia, iv) = (indexed.agent_ix[&agent], indexed.visitor_ix[&visitor]);
    assert_eq!(indexed.sees_by_key(ia, iv), account.sees_key(agent_key, visitor_key).is_visible());
    g.bench_function("indexed", |b| b.iter(|| indexed.sees_by_key(black_box(ia), black_box(iv))));
    g.bench_function("indexed_by_id", |b| b.iter(|| indexed.sees(black_box(&agent), black_box(&visitor))));
    g.finish();

    let mut g = c.benchmark_group("visible_agents");
    g.bench_function("groupgate", |b| b.iter(|| account.visible_agents(black_box(&fresh)).len()));
    g.bench_function("naive", |b| b.iter(|| naive.visible_agents(black_box(&fresh)).len()));
    let gg: Vec<String> = account.visible_agents(&fresh).iter().map(|a| a.to_string()).collect();
    assert_eq!(indexed.visible_agents(&fresh), gg, "indexed agrees");
    g.bench_function("indexed", |b| b.iter(|| indexed.visible_agents(black_box(&fresh)).len()));
    g.finish();

    let sqlite = Sqlite::new(&w);
    assert_eq!(sqlite.dashboard(&agent).len(), account.dashboard(&agent).len());
    assert_eq!(naive.dashboard(&agent).len(), account.dashboard(&agent).len());
    let gg: Vec<String> = account.dashboard(&agent).iter().map(|v| v.to_string()).collect();
    assert_eq!(indexed.dashboard(&agent), gg, "indexed agrees");
    let mut g = c.benchmark_group("dashboard");
    g.bench_function("groupgate", |b| b.iter(|| account.dashboard(black_box(&agent)).len()));
    g.bench_function("naive", |b| b.iter(|| naive.dashboard(black_box(&agent)).len()));
    g.bench_function("sqlite", |b| b.iter(|| sqlite.dashboard(black_box(&agent)).len()));
    g.bench_function("indexed", |b| b.iter(|| indexed.dashboard(black_box(&agent)).len()));
    g.finish();
    drop(sqlite);

    assert_eq!(account.next_agent(&fresh).map(|a| a.as_str()), naive.route(&fresh));
    assert_eq!(account.next_agent(&fresh).map(|a| a.as_str()), indexed.route(&fresh));
    let ungrouped = w.visitors.iter().find(|(_, g)| g.is_none()).unwrap().0.clone();
    assert_eq!(account.next_agent(&ungrouped).map(|a| a.as_str()), indexed.route(&ungrouped));
    let mut g = c.benchmark_group("route");
    g.bench_function("groupgate", |b| b.iter(|| account.next_agent(black_box(&fresh)).is_some()));
    g.bench_function("naive", |b| b.iter(|| naive.route(black_box(&fresh)).is_some()));
    g.bench_function("indexed", |b| b.iter(|| indexed.route(black_box(&fresh)).is_some()));
    g.bench_function("groupgate_ungrouped", |b| b.iter(|| account.next_agent(black_box(&ungrouped)).is_some()));
    g.bench_function("indexed_ungrouped", |b| b.iter(|| indexed.route(black_box(&ungrouped)).is_some()));
    g.bench_function("groupgate_route_and_release", |b| {
        b.iter(|| {
            account.route(black_box(&fresh)).unwrap();
            account.release(&fresh).unwrap();
        })
    });
    g.finish();

    let mut g = c.benchmark_group("claim");
    g.bench_function("groupgate", |b| {
        b.iter_custom(|iters| {
            let mut spent = std::time::Duration::ZERO;
            for _ in 0..iters {
                let start = std::time::Instant::now();
                black_box(account.claim(black_box(&agent), black_box(&visitor)).unwrap());
                spent += start.elapsed();
                account.release(&visitor).unwrap();
            }
            spent
        })
    });
    g.bench_function("groupgate_claim_and_release", |b| {
        b.iter(|| {
            account.claim(black_box(&agent), black_box(&visitor)).unwrap();
            account.release(&visitor).unwrap();
        })
    });
    // The competent baseline's claim by hand and release, by the same rules
    // (R11's checks, a version per chat, the holder's list of chats, the
    // notices, the queue served on release, the pages' availability),
    // checked to agree: allowed, refused a second time, and as many
    // notices as groupgate gives.
    account.claim(&agent, &visitor).unwrap();
    let claimed = account.notices().len();
    assert!(indexed.claim(&agent, &visitor), "indexed agrees that the claim is allowed");
    assert_eq!(indexed.notices.len(), claimed, "indexed tells as much of the claim");
    assert!(!indexed.claim(&agent, &visitor), "indexed refuses a second claim");
    account.release(&visitor).unwrap();
    let released = account.notices().len();
    assert!(indexed.release(&visitor));
    assert_eq!(indexed.notices.len(), released, "indexed tells as much of the release");
    g.bench_function("indexed_claim_and_release", |b| {
        b.iter(|| {
            assert!(indexed.claim(black_box(&agent), black_box(&visitor)));
            indexed.release(&visitor);
        })
    });
    g.finish();

    let (member, group) = (w.agents[0].0.parse().unwrap(), w.groups[199].parse().unwrap());
    let mut assigned = false;
    let mut g = c.benchmark_group("change");
    g.sample_size(20);
    g.bench_function("groupgate", |b| {
        b.iter(|| {
            let change = if assigned {
                Change::Unassign { agent: Clone::clone(&member), group: Clone::clone(&group) }
            } else {
                Change::Assign { agent: Clone::clone(&member), group: Clone::clone(&group), tier: Tier::Normal }
            };
            assigned = !assigned;
            account.apply(&change).unwrap().visibility_changed().len()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    let builder = w.builder(Routing::LeastBusy);
    g.bench_function("groupgate", |b| b.iter(|| Account::new(builder.build().unwrap(), 0)));
    g.finish();
}

criterion_group!(hot_path, benches);
criterion_main!(hot_path);
