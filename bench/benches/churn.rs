//! The longest single event, counted by the thread's CPU clock, in two runs
//! on the large account's shape (2,000 agents, 200 groups, a fifth online, a
//! limit of 4):
//!
//! - **growth**: an account with no visitors grows to 2,000,000, one visit
//!   at a time;
//! - **churn**: 1,000,000 visitors resident and 100,000 chats waiting in the
//!   queue, then 10,000,000 events chosen by a seeded generator — a newcomer
//!   visits and a resident leaves (so the number resident stays), a resident
//!   moves to another group's page, a resident's chat is routed, an agent
//!   claims a resident's chat, a held chat is released (which serves the
//!   queue), an agent goes away or comes back.
//!
//! Every event is timed by `CLOCK_THREAD_CPUTIME_ID`, which leaves out the
//! time the thread was not running (on a shared machine the wall clock's
//! longest event is another process's time slice) but counts page faults, and
//! the thread's page faults during the event are counted with it. On a
//! virtual machine a first touch of a page the host has not backed yet can
//! take hundreds of microseconds by itself, so the report also times exactly
//! that — fresh pages touched one at a time — and gives the longest event
//! with and without a page fault: a long event without one is the engine's
//! own work — and times a fixed piece of arithmetic as often as the growth
//! has events, to show what the machine adds to events that do nothing
//! but compute. Criterion reports medians, not the worst case, so this is a
//! plain program.
//!
//! `cargo bench -p groupgate-bench --bench churn`; sizes from
//! `GROUPGATE_GROWTH_VISITORS`, `GROUPGATE_CHURN_RESIDENT`,
//! `GROUPGATE_CHURN_QUEUE` and `GROUPGATE_CHURN_EVENTS`; `cargo test -p
//! groupgate-bench --benches` runs it small, once.
// Bench code may unwrap; reading the thread's page faults is a libc call.
#![allow(missing_docs, unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod workload;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use groupgate::{Account, Change, GroupSpec, Routing, Status};
use workload::{Rng, Workload, thread_cpu};

fn env_or(name: &str, full: usize, small: usize, bench: bool) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(if bench { full } else { small })
}

/// Page faults of this thread so far.
fn thread_faults() -> i64 {
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is a valid, writable rusage; the call only writes it.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut r) } != 0 {
        return 0;
    }
    r.ru_minflt + r.ru_majflt
}

/// One event: its CPU time, kind, number and page faults.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Timed {
    cpu: Duration,
    kind: &'static str,
    number: usize,
    faults: i64,
}

/// What a run keeps of its events: a histogram for the percentiles (10 ns
/// buckets up to 1 ms, one above), the longest few, the longest without a
/// page fault, the longest of each kind, and how many passed 100 µs.
struct Times {
    buckets: Vec<u64>,
    count: usize,
    total: Duration,
    longest: Vec<Timed>,
    longest_without_fault: Option<Timed>,
    by_kind: BTreeMap<&'static str, (usize, Duration, Timed)>,
    over_100us: usize,
    over_100us_without_fault: usize,
    /// The numbers of the first 200 events over 100 µs without a page
    /// fault: an event slow by its own work is slow at the same number in
    /// every run (the workload is seeded); noise is not.
    slow_numbers: Vec<usize>,
}

const BUCKET_NS: u128 = 10;
const BUCKETS: usize = 100_000;

impl Times {
    fn new() -> Self {
        Times {
            buckets: vec![0; BUCKETS + 1],
            count: 0,
            total: Duration::ZERO,
            longest: Vec::new(),
            longest_without_fault: None,
            by_kind: BTreeMap::new(),
            over_100us: 0,
            over_100us_without_fault: 0,
            slow_numbers: Vec::new(),
        }
    }

    /// Runs `f` as event `kind`, timed.
    fn time<T>(&mut self, kind: &'static str, f: impl FnOnce() -> T) -> T {
        let faults = thread_faults();
        let start = thread_cpu();
        let out = f();
        let cpu = thread_cpu() - start;
        let faults = thread_faults() - faults;
        self.record(Timed { cpu, kind, number: self.count, faults });
        out
    }

    fn record(&mut self, t: Timed) {
        let bucket = usize::try_from(t.cpu.as_nanos() / BUCKET_NS).unwrap_or(BUCKETS).min(BUCKETS);
        self.buckets[bucket] += 1;
        self.count += 1;
        self.total += t.cpu;
        if t.cpu > Duration::from_micros(100) {
            self.over_100us += 1;
            self.over_100us_without_fault += usize::from(t.faults == 0);
            if t.faults == 0 && self.slow_numbers.len() < 200 {
                self.slow_numbers.push(t.number);
            }
        }
        if t.faults == 0 && self.longest_without_fault.is_none_or(|w| t.cpu > w.cpu) {
            self.longest_without_fault = Some(t);
        }
        let kind = self.by_kind.entry(t.kind).or_insert((0, Duration::ZERO, t));
        kind.0 += 1;
        kind.1 += t.cpu;
        if t.cpu > kind.2.cpu {
            kind.2 = t;
        }
        if self.longest.len() < 8 || t.cpu > self.longest[7].cpu {
            self.longest.push(t);
            self.longest.sort_unstable_by_key(|t| std::cmp::Reverse(t.cpu));
            self.longest.truncate(8);
        }
    }

    /// The quantile `ppm` parts per million, to its bucket's upper edge.
    fn quantile(&self, ppm: usize) -> Duration {
        let rank = (self.count * ppm).div_ceil(1_000_000).max(1);
        let mut seen = 0u64;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank as u64 {
                return Duration::from_nanos(((i as u64) + 1) * BUCKET_NS as u64);
            }
        }
        Duration::MAX
    }

    fn report(&self, title: &str) {
        println!("{title}: {} events, {:?} CPU", self.count, self.total);
        if self.count == 0 {
            return;
        }
        println!(
            "  median {:?}, 99th percentile {:?}, 99.9th {:?}, 99.99th {:?}",
            self.quantile(500_000),
            self.quantile(990_000),
            self.quantile(999_000),
            self.quantile(999_900)
        );
        let t = self.longest[0];
        println!("  longest: {:?} {} (event #{}, {} page faults)", t.cpu, t.kind, t.number, t.faults);
        match self.longest_without_fault {
            Some(t) => println!("  longest without a page fault: {:?} {} (event #{})", t.cpu, t.kind, t.number),
            None => println!("  every event had a page fault"),
        }
        println!(
            "  over 100 µs: {} events, {} of them without a page fault",
            self.over_100us, self.over_100us_without_fault
        );
        for (kind, (n, total, worst)) in &self.by_kind {
            println!(
                "    {kind:<8} {n:>9} events, mean {:>9?}, longest {:>10?} ({} page faults)",
                *total / u32::try_from(*n).unwrap_or(u32::MAX).max(1),
                worst.cpu,
                worst.faults
            );
        }
        let longest: Vec<String> =
            self.longest.iter().map(|t| format!("{:?} {} ({}f)", t.cpu, t.kind, t.faults)).collect();
        println!("  the eight longest: {}", longest.join(", "));
        if !self.slow_numbers.is_empty() {
            let numbers: Vec<String> = self.slow_numbers.iter().map(ToString::to_string).collect();
            println!("  events over 100 µs without a page fault, by number: {}", numbers.join(" "));
        }
    }
}

/// The machine's own cost of a page fault: `mib` MiB of fresh memory, a
/// byte written to each page in turn, each write timed like an event.
fn fresh_pages(mib: usize) -> Times {
    let mut times = Times::new();
    let mut memory = vec![0u8; mib << 20];
    for page in (0..memory.len()).step_by(4096) {
        times.time("touch", || memory[page] = black_box(1));
    }
    black_box(&memory);
    times
}

/// The machine's own noise: `events` events of the same fixed arithmetic
/// (about a microsecond), touching no memory, each timed like an event —
/// what interrupts and the hypervisor add to a thread's CPU clock.
fn fixed_work(events: usize) -> Times {
    let mut times = Times::new();
    let mut x = 1u64;
    for _ in 0..events {
        times.time("fixed", || {
            for _ in 0..300 {
                x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
            }
        });
    }
    times
}

fn growth(visitors: usize) -> Times {
    let w = Workload::generate(2_000, 200, 0, 42);
    let mut account = w.account(Routing::LeastBusy);
    let mut rng = Rng::new(5);
    let ids: Vec<String> = (0..visitors).map(|v| format!("visitor-{v}")).collect();
    let mut times = Times::new();
    for id in &ids {
        let tag = (!rng.chance(10)).then(|| &w.groups[rng.below(w.groups.len())]);
        times.time("visit", || account.visit(id, tag.map(String::as_str)).unwrap());
    }
    assert_eq!(account.visitors().count(), visitors);
    times
}

fn churn(resident: usize, queued: usize, events: usize) -> (Times, usize) {
    let w = Workload::generate(2_000, 200, resident, 7);
    let mut account: Account = w.account(Routing::LeastBusy);
    account.apply(&Change::AddGroup(GroupSpec::new("closed").chat_limit(0))).unwrap();
    for q in 0..queued {
        let v = format!("waiting-{q}");
        account.visit(&v, Some("closed")).unwrap();
        account.route(&v).unwrap();
    }
    // Residents by index; a slot is refilled by the next newcomer.
    let mut residents: Vec<String> = w.visitors.iter().map(|(v, _)| v.clone()).collect();
    let agents: Vec<&str> = w.agents.iter().map(|(a, _, _)| a.as_str()).collect();
    let mut held: Vec<String> = w.chats.iter().map(|(_, v)| w.visitors[*v].0.clone()).collect();
    let mut rng = Rng::new(11);
    let mut times = Times::new();
    let mut newcomers = 0usize;
    while times.count < events {
        match rng.below(100) {
            // A newcomer arrives on a page (a tenth untagged), and a
            // resident leaves.
            0..=39 => {
                let tag = (!rng.chance(10)).then(|| w.groups[rng.below(w.groups.len())].as_str());
                let newcomer = format!("new-{newcomers}");
                newcomers += 1;
                times.time("visit", || account.visit(&newcomer, tag).unwrap());
                let i = rng.below(residents.len());
                let leaving = std::mem::replace(&mut residents[i], newcomer);
                times.time("leave", || account.leave(&leaving).unwrap());
            }
            // A resident moves to another group's page.
            40..=54 => {
                let v = &residents[rng.below(residents.len())];
                let tag = w.groups[rng.below(w.groups.len())].as_str();
                times.time("move", || account.visit(v, Some(tag)).unwrap());
            }
            55..=69 => {
                let v = &residents[rng.below(residents.len())];
                let routed = times.time("route", || account.route(v));
                if routed.is_ok_and(|r| r.agent().is_some()) {
                    held.push(v.clone());
                }
            }
            // An agent claims a resident's chat (refused when it may not).
            70..=74 => {
                let v = &residents[rng.below(residents.len())];
                let a = agents[rng.below(agents.len())];
                if times.time("claim", || account.claim(a, v)).is_ok() {
                    held.push(v.clone());
                }
            }
            75..=94 => {
                if !held.is_empty() {
                    let v = held.swap_remove(rng.below(held.len()));
                    // Refused when the visitor left meanwhile.
                    let _ = times.time("release", || account.release(&v));
                }
            }
            _ => {
                let a = agents[rng.below(agents.len())];
                let status = if rng.chance(50) { Status::Online } else { Status::Away };
                times.time("status", || account.set_status(a, status).unwrap());
            }
        }
    }
    (times, account.queue().len())
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let grow_to = env_or("GROUPGATE_GROWTH_VISITORS", 2_000_000, 20_000, bench);
    let resident = env_or("GROUPGATE_CHURN_RESIDENT", 1_000_000, 10_000, bench);
    let queued = env_or("GROUPGATE_CHURN_QUEUE", 100_000, 1_000, bench);
    let events = env_or("GROUPGATE_CHURN_EVENTS", 10_000_000, 20_000, bench);

    let started = Instant::now();
    fresh_pages(if bench { 256 } else { 4 }).report("fresh pages touched one at a time (the machine's page faults)");
    fixed_work(grow_to).report("fixed work, as many events as the growth (the machine's noise)");
    growth(grow_to).report(&format!("growth from 0 to {grow_to} visitors"));
    let (times, queue) = churn(resident, queued, events);
    times.report(&format!("churn: {resident} resident, {queued} queued at the start ({queue} at the end)"));
    println!("(wall time of the whole run {:?})", started.elapsed());
}
