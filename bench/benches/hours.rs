//! Business hours (R30) on the hot path and at a boundary. Goals: `is_online`,
//! `route` (`next_agent`) and `candidates` on the large account (see
//! `workload`) with a schedule on every group within 10 % of the same
//! account without schedules, in the same run — deciding reads a flag the
//! state keeps, never converts a time; and what an `advance` across one
//! boundary at which all 200 groups close costs (each schedule's next
//! change looked for again, availability, the queue).
//!
//! `cargo bench -p groupgate-bench --bench hours`.
// Bench code may unwrap.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod workload;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use groupgate::{Account, Routing, ScheduleSpec};
use workload::Workload;

/// 2026-11-25T12:00:00Z, a Wednesday: every group of
/// `Workload::builder_with_schedules` is open.
const WEDNESDAY_NOON: u64 = 1_796_040_000_000;
/// 2026-11-25T17:00:00Z: when the office schedules of the boundary case close.
const WEDNESDAY_17: u64 = WEDNESDAY_NOON + 5 * 3_600_000;

fn benches(c: &mut Criterion) {
    let w = Workload::large();
    let without = w.load(w.builder(Routing::LeastBusy), WEDNESDAY_NOON);
    let with = w.load(w.builder_with_schedules(Routing::LeastBusy), WEDNESDAY_NOON);
    let fresh = w.visitors.iter().rev().find(|(_, g)| g.is_some()).unwrap().0.clone();
    let page = w.visitors.iter().rev().find_map(|(_, g)| g.clone()).unwrap();
    // The same answers, every group open.
    for g in &w.groups {
        assert!(with.group_hours(g).unwrap().open());
        assert_eq!(with.is_online(Some(g)), without.is_online(Some(g)));
    }
    assert_eq!(with.next_agent(&fresh), without.next_agent(&fresh));
    assert!(with.next_agent(&fresh).is_some());
    assert_eq!(with.candidates(&fresh), without.candidates(&fresh));

    for (name, account) in [("without_schedules", &without), ("with_schedules", &with)] {
        let mut g = c.benchmark_group("hours/is_online");
        g.bench_function(name, |b| b.iter(|| account.is_online(black_box(Some(page.as_str())))));
        g.finish();
        let mut g = c.benchmark_group("hours/route");
        g.bench_function(name, |b| b.iter(|| account.next_agent(black_box(&fresh)).is_some()));
        g.finish();
        let mut g = c.benchmark_group("hours/candidates");
        g.bench_function(name, |b| b.iter(|| account.candidates(black_box(&fresh)).agents().len()));
        g.finish();
    }

    // 200 groups, each with an office schedule of its own in UTC, all
    // closing at 17:00; the large workload's agents and visitors, and the
    // clock a millisecond before.
    let mut raw = w.builder(Routing::LeastBusy);
    for (i, g) in raw.groups.iter_mut().enumerate() {
        g.schedule = Some(format!("office-{i}"));
    }
    for i in 0..w.groups.len() {
        let mut spec = ScheduleSpec::new(format!("office-{i}"), "UTC");
        for day in ["mon", "tue", "wed", "thu", "fri"] {
            spec = spec.day(day, &[("08:00", "17:00")]);
        }
        raw = raw.schedule(spec);
    }
    let before: Account = w.load(raw, WEDNESDAY_17 - 1);
    assert_eq!(before.next_deadline(), Some(WEDNESDAY_17));
    let mut check = before.clone();
    check.advance_to(WEDNESDAY_17).unwrap();
    assert!(w.groups.iter().all(|g| !check.group_hours(g).unwrap().open()));
    println!("hours: the boundary gives {} notices", check.notices().len());
    let mut g = c.benchmark_group("hours/advance");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    // The account is returned, so that dropping it is not timed.
    let advanced = |to: u64| {
        move |mut a: Account| {
            a.advance_to(black_box(to)).unwrap();
            a
        }
    };
    g.bench_function("across_a_boundary_of_200_groups", |b| {
        b.iter_batched(|| before.clone(), advanced(WEDNESDAY_17), BatchSize::LargeInput)
    });
    g.bench_function("none_due", |b| {
        b.iter_batched(|| before.clone(), advanced(WEDNESDAY_17 - 1), BatchSize::LargeInput)
    });
    g.finish();
}

criterion_group!(hours, benches);
criterion_main!(hours);
