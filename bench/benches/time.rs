//! Time (R26–R29) with many pending deadlines. Goals: `advance` with
//! 100,000 deadlines pending and none due ≤ 1 µs (against an account with
//! none, in the same run); processing due deadlines costs O(log n) each,
//! so 100,000 answer timeouts or overflows take about ten times as long as
//! 10,000 (each case also printed per deadline).
//!
//! `cargo bench -p groupgate-bench --bench time`.
// Bench code may unwrap.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use groupgate::{
    Account, AfterMissed, AgentSpec, ConfigBuilder, GroupSpec, Hours, Policy, Routing, ScheduleSpec, Status,
};

/// How long a picked chat has to be answered: far beyond any run.
const TIMEOUT: u64 = 1_000_000_000;
/// How long a chat waits in `en` before it overflows to `de`.
const OVERFLOW: u64 = 60_000;

/// `n` chats held unanswered by two agents in turn (round robin), each
/// with its answer deadline at [`TIMEOUT`]; a miss hands the chat to the
/// other agent, whose new deadline is due later.
fn held(n: usize) -> Account {
    let mut policy = Policy::default();
    policy.routing = Routing::RoundRobin;
    policy.answer_timeout = Some(TIMEOUT);
    policy.after_missed = AfterMissed::Stay;
    let config =
        ConfigBuilder::new().policy(policy).agent(AgentSpec::new("a0")).agent(AgentSpec::new("a1")).build().unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("a0", Status::Online).unwrap();
    account.set_status("a1", Status::Online).unwrap();
    for i in 0..n {
        let v = format!("v{i}");
        account.visit(&v, None).unwrap();
        account.route(&v).unwrap();
    }
    account
}

/// `n` chats waiting in `en`, which overflows to `de` after [`OVERFLOW`];
/// nobody is online, so each still waits after its move.
fn waiting(n: usize) -> Account {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    let config = ConfigBuilder::new()
        .policy(policy)
        .group(GroupSpec::new("en").fallback("de").overflow_after(OVERFLOW))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("a0").member("de"))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    for i in 0..n {
        let v = format!("v{i}");
        account.visit(&v, Some("en")).unwrap();
        account.route(&v).unwrap();
    }
    account
}

fn per_deadline(what: &str, n: usize, mut account: Account, to: u64) {
    let start = std::time::Instant::now();
    account.advance_to(to).unwrap();
    let took = start.elapsed();
    assert_eq!(account.notices().is_empty(), n == 0);
    println!("time/{what}/{n}: one run {took:?}, {:.0} ns a deadline", took.as_nanos() as f64 / n.max(1) as f64);
}

/// What evaluating business hours (R30) costs, for the state's cache of
/// each group's open flag and next boundary: one answer at an instant, and
/// the next change after it (a weekday office, so a few days looked at).
fn hours(c: &mut Criterion) {
    let mut spec = ScheduleSpec::new("office-cz", "Europe/Prague").exception("2026-12-24", &[]);
    for day in ["mon", "tue", "wed", "thu", "fri"] {
        spec = spec.day(day, &[("08:00", "12:00"), ("13:00", "17:00")]);
    }
    let office = Hours::new(&spec).unwrap();
    let friday_evening = 1_795_795_200_000; // 2026-11-27T17:00:00+01:00
    let mut g = c.benchmark_group("time/hours");
    g.bench_function("is_open_at", |b| b.iter(|| office.is_open_at(black_box(friday_evening))));
    g.bench_function("next_change_after_a_weekend", |b| {
        b.iter(|| office.next_change_after(black_box(friday_evening)).unwrap())
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("time/advance_none_due");
    for n in [0, 100_000] {
        let mut account = held(n);
        assert_eq!(account.next_deadline(), (n > 0).then_some(TIMEOUT));
        let mut t = 0;
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                t += 1;
                account.advance_to(black_box(t)).unwrap();
            })
        });
        assert_eq!(account.next_deadline(), (n > 0).then_some(TIMEOUT), "no deadline came due");
    }
    g.finish();

    let mut g = c.benchmark_group("time/due");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [10_000, 100_000] {
        let account = held(n);
        per_deadline("answer_deadlines", n, account.clone(), TIMEOUT);
        g.bench_with_input(BenchmarkId::new("answer_deadlines", n), &n, |b, _| {
            b.iter_batched(|| account.clone(), |mut a| a.advance_to(TIMEOUT).unwrap(), BatchSize::LargeInput)
        });
        let account = waiting(n);
        per_deadline("overflows", n, account.clone(), OVERFLOW);
        g.bench_with_input(BenchmarkId::new("overflows", n), &n, |b, _| {
            b.iter_batched(|| account.clone(), |mut a| a.advance_to(OVERFLOW).unwrap(), BatchSize::LargeInput)
        });
    }
    g.finish();
}

criterion_group!(time, hours, benches);
criterion_main!(time);
