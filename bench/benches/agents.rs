//! Routing as the number of agents grows (R15, R16): 2,000 and 20,000 agents,
//! each in one of 200 groups, a fifth of them online, under `least_busy`;
//! the chat of an ungrouped visitor (every agent with a group sees it) and of
//! a grouped one. `next_agent` is the pick `route` makes, without changing
//! anything.
//!
//! `cargo bench -p groupgate-bench --bench agents`; `cargo test -p groupgate-bench --benches` runs each once.
// Bench code may unwrap; criterion's macros generate undocumented functions.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Policy, Routing, Status};

const GROUPS: usize = 200;

fn account(agents: usize) -> Account {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    let mut b = ConfigBuilder::new().policy(policy);
    for g in 0..GROUPS {
        b = b.group(GroupSpec::new(format!("g{g}")));
    }
    for a in 0..agents {
        b = b.agent(AgentSpec::new(format!("a{a}")).member(format!("g{}", a % GROUPS)));
    }
    let mut account = Account::new(b.build().unwrap(), 0);
    for a in (0..agents).filter(|a| a % 5 == 0) {
        account.set_status(&format!("a{a}"), Status::Online).unwrap();
    }
    let _ = account.visit("ungrouped", None);
    let _ = account.visit("grouped", Some("g0"));
    account
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("agents");
    for agents in [2_000usize, 20_000] {
        let account = account(agents);
        assert!(account.next_agent("ungrouped").is_some() && account.next_agent("grouped").is_some());
        for visitor in ["ungrouped", "grouped"] {
            g.bench_function(BenchmarkId::new(format!("next_agent_{visitor}"), agents), |b| {
                b.iter(|| account.next_agent(black_box(visitor)).is_some())
            });
        }
    }
    g.finish();
}

criterion_group!(agents, benches);
criterion_main!(agents);
