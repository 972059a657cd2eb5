//! How each event and query grows with the number of visitors on the site:
//! the large account's shape (2,000 agents, 200 groups, a fifth online, a
//! limit of 4) with 10,000 and 100,000 visitors — and 1,000,000 with
//! `GROUPGATE_SCALE_FULL=1`. Ids are `scale/<operation>/<visitors>`;
//! `cargo run -p groupgate-bench --bin scale_report` prints the medians and
//! the growth exponent between sizes (0: flat, 1: linear) from criterion's
//! results.
//!
//! `cargo bench -p groupgate-bench --bench scale`; `cargo test -p groupgate-bench --benches` runs each once.
// Bench code may unwrap; criterion's macros generate undocumented functions.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use groupgate::{Change, GroupSpec, Routing, Status, Tier};
use workload::Workload;

fn sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("GROUPGATE_SCALE_FULL").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    for visitors in sizes() {
        let w = Workload::generate(2_000, 200, visitors, 42);
        let mut account = w.account(Routing::LeastBusy);
        account.apply(&Change::SetGroupSelection(true)).unwrap();
        let (agent, visitor) = w.probe();
        // The probe's visitor is on a page of a group the probe agent sees.
        let group = w.visitors.iter().find(|(v, _)| *v == visitor).and_then(|(_, g)| g.clone()).unwrap();
        let other = w.groups.iter().find(|g| **g != group).unwrap().clone();
        let at = |op: &str| BenchmarkId::new(op, visitors);

        // A new visitor arrives on a grouped page and leaves again.
        let newcomer: groupgate::VisitorId = "newcomer".parse().unwrap();
        g.bench_function(at("visit_and_leave"), |b| {
            b.iter(|| {
                account.visit(newcomer.clone(), Some(group.parse().unwrap())).unwrap();
                account.leave("newcomer").unwrap();
            })
        });
        // The oldest visitor leaves and comes back (now the newest).
        let mut order: std::collections::VecDeque<String> = w.visitors.iter().map(|(v, _)| v.clone()).collect();
        let tags: std::collections::HashMap<String, Option<String>> = w.visitors.iter().cloned().collect();
        g.bench_function(at("leave_oldest_and_return"), |b| {
            b.iter(|| {
                let oldest = order.pop_front().unwrap();
                if account.leave(&oldest).is_ok() {
                    let tag = tags[&oldest].as_ref().map(|t| t.parse().unwrap());
                    account.visit(oldest.parse().unwrap(), tag).unwrap();
                }
                order.push_back(oldest);
            })
        });
        // A visitor moves between two groups' pages.
        let mut flip = false;
        g.bench_function(at("page_tag_change"), |b| {
            b.iter(|| {
                flip = !flip;
                let tag = if flip { &other } else { &group };
                account.visit(visitor.parse().unwrap(), Some(tag.parse().unwrap())).unwrap();
            })
        });
        g.bench_function(at("select_group"), |b| {
            b.iter(|| {
                flip = !flip;
                account.select_group(&visitor, if flip { &other } else { &group }).unwrap();
            })
        });
        g.bench_function(at("set_status_away_and_back"), |b| {
            b.iter(|| {
                account.set_status(&agent, Status::Away).unwrap();
                account.set_status(&agent, Status::Online).unwrap();
            })
        });
        // Back in the agent's group, by page and by selection.
        account.visit(visitor.parse().unwrap(), Some(group.parse().unwrap())).unwrap();
        account.select_group(&visitor, &group).unwrap();
        g.bench_function(at("claim_and_release"), |b| {
            b.iter(|| {
                account.claim(&agent, &visitor).unwrap();
                account.release(&visitor).unwrap();
            })
        });
        g.bench_function(at("route_and_release"), |b| {
            b.iter(|| {
                account.route(&visitor).unwrap();
                account.release(&visitor).unwrap();
            })
        });
        g.bench_function(at("refresh"), |b| b.iter(|| account.refresh(black_box(&agent)).unwrap()));
        g.bench_function(at("dashboard_fresh"), |b| b.iter(|| account.dashboard(black_box(&agent)).len()));
        // Stale by a membership change (the same groups), then by a new group.
        let (someone, far) = (w.agents.iter().find(|(a, _, _)| *a != agent).unwrap().0.clone(), other.clone());
        account
            .apply(&Change::Assign { agent: someone.parse().unwrap(), group: far.parse().unwrap(), tier: Tier::Normal })
            .unwrap();
        g.bench_function(at("dashboard_stale_membership"), |b| b.iter(|| account.dashboard(black_box(&agent)).len()));
        account.apply(&Change::AddGroup(GroupSpec::new("brand-new"))).unwrap();
        g.bench_function(at("dashboard_stale_new_group"), |b| b.iter(|| account.dashboard(black_box(&agent)).len()));
        account.refresh(&agent).unwrap();
    }
    g.finish();
}

criterion_group!(scale, benches);
criterion_main!(scale);
