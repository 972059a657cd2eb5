//! Queue serving as the queue backs up (R18): ten groups, one agent each with a
//! limit of one chat, all busy, and a queue of 1 / 1,000 / 100,000 chats under
//! `least_busy`. One iteration: the first agent's chat is released (the agent
//! takes the oldest chat waiting in its group), the released visitor starts a
//! new chat (it queues at the back), so the queue keeps its length.
//!
//! `cargo bench -p groupgate-bench --bench queue`; `cargo test -p groupgate-bench --benches` runs each once.
// Bench code may unwrap; criterion's macros generate undocumented functions.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Policy, Routing, Status};

const GROUPS: usize = 10;

/// The account with every agent busy and `queued` chats waiting, spread over
/// the groups; returns it with the visitor the first agent holds.
fn backed_up(queued: usize) -> (Account, String) {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    let mut b = ConfigBuilder::new().policy(policy);
    for g in 0..GROUPS {
        b = b.group(GroupSpec::new(format!("g{g}")));
        b = b.agent(AgentSpec::new(format!("a{g}")).member(format!("g{g}")).chat_limit(1));
    }
    let mut account = Account::new(b.build().unwrap());
    for g in 0..GROUPS {
        account.set_status(&format!("a{g}"), Status::Online).unwrap();
    }
    let mut visitors = (0..GROUPS).map(|g| (format!("h{g}"), g)).collect::<Vec<_>>();
    visitors.extend((0..queued).map(|q| (format!("q{q}"), q % GROUPS)));
    for (v, g) in &visitors {
        let _ = account.visit(v.parse().unwrap(), Some(format!("g{g}").parse().unwrap()));
        account.route(v).unwrap();
    }
    assert_eq!(account.queue().len(), queued);
    assert_eq!(account.holder("h0").map(|a| a.as_str()), Some("a0"));
    (account, "h0".to_string())
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue");
    g.sample_size(20);
    for queued in [1usize, 1_000, 100_000] {
        let (mut account, mut held) = backed_up(queued);
        g.bench_function(BenchmarkId::new("release_and_route", queued), |b| {
            b.iter(|| {
                account.release(&held).unwrap();
                let served = account.drain_served();
                account.route(&held).unwrap();
                if let Some(next) = served.first() {
                    held = next.to_string();
                }
            })
        });
        assert_eq!(account.queue().len(), queued, "the queue kept its length");
    }
    g.finish();
}

criterion_group!(queue, benches);
criterion_main!(queue);
