//! How each event and query grows with what it should not depend on, along
//! three axes, each its own criterion group:
//!
//! - `scale`: visitors on the site — 10,000 and 100,000, and 1,000,000 with
//!   `GROUPGATE_SCALE_FULL=1` (the large account's shape: 2,000 agents, 200
//!   groups, a fifth online, a limit of 4);
//! - `scale_agents`: agents — 2,000 and 20,000 (200 groups, 10,000 visitors);
//! - `scale_groups`: groups — 20, 200 and 2,000 (2,000 agents, 10,000
//!   visitors): claims, releases and status changes that flip an agent's
//!   candidacy touch only the pages upstream of its groups;
//! - `scale_queue`: chats waiting in the queue — 1, 10,000 and 100,000 (the
//!   large account's shape with 10,000 visitors, the queue in a group nobody
//!   can take chats in), plus `release_serving_queue`: every agent busy, a
//!   released chat served from a queue of that length, 100,000 visitors
//!   browsing besides.
//!
//! Ids are `<axis>/<operation>/<size>`; `cargo run -p groupgate-bench --bin
//! scale_report` prints the medians and the growth exponent between sizes (0:
//! flat, 1: linear) from criterion's results.
//!
//! `cargo bench -p groupgate-bench --bench scale`; `cargo test -p groupgate-bench --benches` runs each once.
// Bench code may unwrap; criterion's macros generate undocumented functions.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod workload;

use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use groupgate::{
    Account, AgentSpec, Change, ConfigBuilder, GroupSpec, Notice, Policy, Routing, Status, Tier, TransferTarget,
};
use workload::{Workload, thread_cpu};

/// Runs of each operation timed one by one for the longest (a few when
/// the benchmarks run once as tests).
fn longest_runs() -> usize {
    if std::env::args().any(|a| a == "--bench") { 20_000 } else { 3 }
}

/// Where criterion keeps its results: `CARGO_TARGET_DIR`, else the
/// workspace's `target`.
fn criterion_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from)
        .join("criterion")
}

/// Benchmarks `op` as `<name>/<size>` in `g`, then runs it
/// [`longest_runs`] more times, each timed by the thread's CPU clock, and
/// keeps the longest beside criterion's results (`longest.json`), which
/// `scale_report` prints.
fn timed(g: &mut BenchmarkGroup<'_, WallTime>, axis: &str, size: usize, name: &str, mut op: impl FnMut()) {
    g.bench_function(BenchmarkId::new(name, size), |b| b.iter(&mut op));
    let mut longest = Duration::ZERO;
    let runs = longest_runs();
    for _ in 0..runs {
        let start = thread_cpu();
        op();
        longest = longest.max(thread_cpu() - start);
    }
    if runs < 100 {
        return; // a test run: nothing to report
    }
    let dir = criterion_dir().join(axis).join(name).join(size.to_string());
    let json = format!("{{\"longest_ns\": {}, \"runs\": {runs}}}\n", longest.as_nanos());
    if std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("longest.json"), json)).is_err() {
        eprintln!("could not write the longest run under {}", dir.display());
    }
}

/// Every per-event operation and the main queries on `account`, which holds
/// `w`'s data, as `<operation>/<size>` in `g`.
fn event_ops(g: &mut BenchmarkGroup<'_, WallTime>, axis: &str, account: &mut Account, w: &Workload, size: usize) {
    let (agent, visitor) = w.probe();
    // The probe's visitor is on a page of a group the probe agent sees.
    let tag_of: HashMap<&str, Option<&str>> = w.visitors.iter().map(|(v, t)| (v.as_str(), t.as_deref())).collect();
    let group = tag_of[visitor.as_str()].unwrap().to_string();
    // Another group where a chat finds an agent (for transfers).
    let other = w
        .visitors
        .iter()
        .find(|(v, t)| t.as_ref().is_some_and(|t| *t != group) && account.next_agent(v).is_some())
        .and_then(|(_, t)| t.clone())
        .unwrap();
    let ungrouped = w.visitors.iter().find(|(_, t)| t.is_none()).unwrap().0.clone();

    // A new visitor arrives on a grouped page and leaves again.
    timed(g, axis, size, "visit_and_leave", || {
        account.visit("newcomer", Some(&group)).unwrap();
        account.leave("newcomer").unwrap();
    });
    // The oldest visitor leaves and comes back (now the newest).
    let mut order: VecDeque<String> = w.visitors.iter().map(|(v, _)| v.clone()).collect();
    timed(g, axis, size, "leave_oldest_and_return", || {
        let oldest = order.pop_front().unwrap();
        if account.leave(&oldest).is_ok() {
            account.visit(&oldest, tag_of[oldest.as_str()]).unwrap();
        }
        order.push_back(oldest);
    });
    // A visitor moves between two groups' pages, then picks between them.
    let mut flip = false;
    timed(g, axis, size, "page_tag_change", || {
        flip = !flip;
        let tag = if flip { &other } else { &group };
        account.visit(&visitor, Some(tag)).unwrap();
    });
    timed(g, axis, size, "select_group", || {
        flip = !flip;
        account.select_group(&visitor, if flip { &other } else { &group }).unwrap();
    });
    timed(g, axis, size, "set_status_away_and_back", || {
        account.set_status(&agent, Status::Away).unwrap();
        account.set_status(&agent, Status::Online).unwrap();
    });
    // Back in the agent's group, by page and by selection.
    account.visit(&visitor, Some(&group)).unwrap();
    account.select_group(&visitor, &group).unwrap();
    timed(g, axis, size, "claim_and_release", || {
        account.claim(&agent, &visitor).unwrap();
        account.release(&visitor).unwrap();
    });
    timed(g, axis, size, "route_and_release", || {
        account.route(&visitor).unwrap();
        account.release(&visitor).unwrap();
    });
    // A held chat goes to the other group and back.
    let (to_other, home) =
        (TransferTarget::Group(other.parse().unwrap()), TransferTarget::Group(group.parse().unwrap()));
    account.route(&visitor).unwrap();
    timed(g, axis, size, "transfer_there_and_back", || {
        account.transfer(&visitor, &to_other).unwrap();
        account.transfer(&visitor, &home).unwrap();
    });
    account.release(&visitor).unwrap();
    timed(g, axis, size, "refresh", || {
        account.refresh(black_box(&agent)).unwrap();
    });
    // One membership change (assigned, then unassigned, in turn), with its
    // refresh list and availability report.
    let (member, far): (String, String) = (agent.clone(), other.clone());
    let mut joined = false;
    timed(g, axis, size, "apply_membership_change", || {
        let change = if joined {
            Change::Unassign { agent: member.clone(), group: far.clone() }
        } else {
            Change::Assign { agent: member.clone(), group: far.clone(), tier: Tier::Normal }
        };
        joined = !joined;
        black_box(account.apply(&change).unwrap().visibility_changed().len());
    });
    if joined {
        account.apply(&Change::Unassign { agent: member.clone(), group: far.clone() }).unwrap();
    }
    account.refresh(&agent).unwrap();
    timed(g, axis, size, "next_agent_ungrouped", || {
        black_box(account.next_agent(black_box(&ungrouped)).is_some());
    });
    timed(g, axis, size, "visible_agents", || {
        black_box(account.visible_agents(black_box(&visitor)).len());
    });
    timed(g, axis, size, "dashboard_fresh", || {
        black_box(account.dashboard(black_box(&agent)).len());
    });
    // Stale by a membership change (the same groups), then by a new group.
    let someone = w.agents.iter().find(|(a, _, _)| *a != agent).unwrap().0.clone();
    account
        .apply(&Change::Assign { agent: someone.parse().unwrap(), group: other.parse().unwrap(), tier: Tier::Normal })
        .unwrap();
    timed(g, axis, size, "dashboard_stale_membership", || {
        black_box(account.dashboard(black_box(&agent)).len());
    });
    account.apply(&Change::AddGroup(GroupSpec::new("brand-new"))).unwrap();
    timed(g, axis, size, "dashboard_stale_new_group", || {
        black_box(account.dashboard(black_box(&agent)).len());
    });
    account.refresh(&agent).unwrap();
}

/// A group in which no agent may take a chat (a limit of 0), with `queued`
/// visitors' chats waiting there.
fn with_queue(account: &mut Account, queued: usize) {
    account.apply(&Change::AddGroup(GroupSpec::new("closed").chat_limit(0))).unwrap();
    for q in 0..queued {
        let v = format!("waiting-{q}");
        account.visit(&v, Some("closed")).unwrap();
        account.route(&v).unwrap();
    }
    assert_eq!(account.queue().len(), queued);
}

/// Ten groups, one agent each with a limit of one chat, all busy, and
/// `queued` chats waiting, spread over the groups, under `least_busy`,
/// with `resident` more visitors browsing the groups' pages. Returns the
/// account and the visitor the first agent holds.
fn backed_up(queued: usize, resident: usize) -> (Account, String) {
    const GROUPS: usize = 10;
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    let mut b = ConfigBuilder::new().policy(policy);
    for g in 0..GROUPS {
        b = b.group(GroupSpec::new(format!("g{g}")));
        b = b.agent(AgentSpec::new(format!("a{g}")).member(format!("g{g}")).chat_limit(1));
    }
    let mut account = Account::new(b.build().unwrap(), 0);
    for g in 0..GROUPS {
        account.set_status(&format!("a{g}"), Status::Online).unwrap();
    }
    let mut visitors = (0..GROUPS).map(|g| (format!("h{g}"), g)).collect::<Vec<_>>();
    visitors.extend((0..queued).map(|q| (format!("q{q}"), q % GROUPS)));
    for (v, g) in &visitors {
        account.visit(v, Some(&format!("g{g}"))).unwrap();
        account.route(v).unwrap();
    }
    for r in 0..resident {
        account.visit(&format!("r{r}"), Some(&format!("g{}", r % GROUPS))).unwrap();
    }
    assert_eq!(account.queue().len(), queued);
    assert_eq!(account.holder("h0").map(|a| a.as_str()), Some("a0"));
    (account, "h0".to_string())
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    g
}

/// One axis: for each size, the large account's shape with `agents`,
/// `groups` and `visitors` as `shape(size)` gives them, every operation at
/// that size.
fn axis(c: &mut Criterion, name: &str, sizes: &[usize], shape: impl Fn(usize) -> (usize, usize, usize)) {
    let mut g = group(c, name);
    for &size in sizes {
        let (agents, groups, visitors) = shape(size);
        let w = Workload::generate(agents, groups, visitors, 42);
        let mut account = w.account(Routing::LeastBusy);
        account.apply(&Change::SetGroupSelection(true)).unwrap();
        event_ops(&mut g, name, &mut account, &w, size);
    }
    g.finish();
}

fn visitors_axis(c: &mut Criterion) {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("GROUPGATE_SCALE_FULL").is_some() {
        sizes.push(1_000_000);
    }
    axis(c, "scale", &sizes, |visitors| (2_000, 200, visitors));
}

fn agents_axis(c: &mut Criterion) {
    axis(c, "scale_agents", &[2_000, 20_000], |agents| (agents, 200, 10_000));
}

fn groups_axis(c: &mut Criterion) {
    axis(c, "scale_groups", &[20, 200, 2_000], |groups| (2_000, groups, 10_000));
}

fn queue_axis(c: &mut Criterion) {
    let mut g = group(c, "scale_queue");
    for queued in [1usize, 10_000, 100_000] {
        let w = Workload::generate(2_000, 200, 10_000, 42);
        let mut account = w.account(Routing::LeastBusy);
        account.apply(&Change::SetGroupSelection(true)).unwrap();
        with_queue(&mut account, queued);
        event_ops(&mut g, "scale_queue", &mut account, &w, queued);
        drop(account);

        // The released chat's agent takes the oldest chat waiting in its
        // group; the released visitor starts a new chat at the back.
        let (mut account, mut held) = backed_up(queued, 100_000);
        timed(&mut g, "scale_queue", queued, "release_serving_queue", || {
            account.release(&held).unwrap();
            // The chat the queue gave the freed agent: the release's
            // `chat_held` notice.
            let next = account.notices().into_iter().find_map(|n| match n.notice {
                Notice::ChatHeld { visitor, .. } => Some(visitor),
                _ => None,
            });
            account.route(&held).unwrap();
            if let Some(next) = next {
                held = next.to_string();
            }
        });
        assert_eq!(account.queue().len(), queued, "the queue kept its length");
    }
    g.finish();
}

criterion_group!(scale, visitors_axis, agents_axis, groups_axis, queue_axis);
criterion_main!(scale);
