//! Long fallback chains (R17): one configuration change and one contact-form
//! selection under `hide_unavailable_groups` on a chain of 30,000 groups
//! (`g0` → `g1` → … → `g29999`). Only the last group has an online agent, so
//! every page is online through the whole chain: the worst case for an
//! availability walk.
//!
//! `cargo bench -p groupgate-bench --bench chain`; `cargo test -p groupgate-bench --benches` runs each once.
// Bench code may unwrap; criterion's macros generate undocumented functions.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use groupgate::{Account, AgentSpec, Change, ConfigBuilder, GroupSpec, Policy, Status, Tier};

/// A chain of `n` groups, ten offline agents spread over it, one online agent
/// in the last group; group selection on, unavailable groups hidden.
fn chain_account(n: usize) -> Account {
    let mut policy = Policy::default();
    policy.hide_unavailable_groups = true;
    let mut b = ConfigBuilder::new().policy(policy).group_selection(true);
    for i in 0..n {
        let g = GroupSpec::new(format!("g{i}"));
        b = b.group(if i + 1 < n { g.fallback(format!("g{}", i + 1)) } else { g });
    }
    for k in 0..10 {
        b = b.agent(AgentSpec::new(format!("off{k}")).member(format!("g{}", k * (n / 10))));
    }
    b = b.agent(AgentSpec::new("last").member(format!("g{}", n - 1)));
    let mut account = Account::new(b.build().unwrap(), 0);
    account.set_status("last", Status::Online).unwrap();
    account.visit("v", Some("g0")).unwrap();
    account
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("chain");
    g.sample_size(10);
    for n in [1_000usize, 30_000] {
        let mut account = chain_account(n);
        assert!(account.is_online(Some("g0")), "the whole chain leads to `last`");
        let (agent, group) = ("off1".parse().unwrap(), "g5".parse().unwrap());
        let mut assigned = false;
        g.bench_function(BenchmarkId::new("change", n), |b| {
            b.iter(|| {
                let change = if assigned {
                    Change::Unassign { agent: Clone::clone(&agent), group: Clone::clone(&group) }
                } else {
                    Change::Assign { agent: Clone::clone(&agent), group: Clone::clone(&group), tier: Tier::Normal }
                };
                assigned = !assigned;
                account.apply(&change).unwrap().revision()
            })
        });
        // The first groups walk the whole chain to `last`; the last ones come
        // after every other group in the form's order.
        for (name, one, two) in [("select_first", 0, 1), ("select_last", n - 2, n - 3)] {
            let (one, two) = (format!("g{one}"), format!("g{two}"));
            let mut flip = false;
            g.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| {
                    flip = !flip;
                    account.select_group("v", if flip { &one } else { &two }).unwrap();
                    black_box(&account);
                })
            });
        }
    }
    g.finish();
}

criterion_group!(chain, benches);
criterion_main!(chain);
