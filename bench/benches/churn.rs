//! Churn at scale: the large account's shape (2,000 agents, 200 groups, a
//! fifth online, a limit of 4) with 1,000,000 visitors resident and 100,000
//! chats waiting in the queue, then rounds of four events — a new visitor
//! arrives, a resident leaves, a resident's chat is routed, a held chat is
//! released (which serves the queue) — chosen by a seeded generator.
//!
//! Prints events per CPU-second (user + system time of the process, from
//! `/proc/self/stat`, so other load on the machine does not count) and the
//! longest single event with its kind, and the 99.9th percentile. Criterion
//! reports medians, not the worst case, so this is a plain program.
//!
//! The longest event is measured twice: by the wall clock in the throughput
//! rounds, and then, in as many rounds again, by the thread's CPU clock
//! (`CLOCK_THREAD_CPUTIME_ID`, page faults included), which leaves out the
//! time the thread was not running — on a shared machine the wall clock's
//! longest event is usually another process's time slice. Each of the
//! slowest events is printed with its number (the workload is seeded, so an
//! event that is slow by its own work is slow at the same number in every
//! run) and the page faults and context switches the thread had during it.
//!
//! `cargo bench -p groupgate-bench --bench churn` (sizes from
//! `GROUPGATE_CHURN_RESIDENT`, `GROUPGATE_CHURN_QUEUE`,
//! `GROUPGATE_CHURN_ROUNDS`); `cargo test -p groupgate-bench --benches` runs
//! it small, once.
// Bench code may unwrap; reading the thread's CPU clock is a libc call.
#![allow(missing_docs, unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod workload;

use std::time::{Duration, Instant};

use groupgate::{Account, Change, GroupSpec, Routing};
use workload::Workload;

fn env_or(name: &str, full: usize, small: usize, bench: bool) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(if bench { full } else { small })
}

/// CPU time (user + system) this process has used, from `/proc/self/stat`
/// (fields 14 and 15, in clock ticks of 1/100 s); `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// The CPU time this thread has used.
fn thread_cpu() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec; the call only writes it.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(u64::try_from(t.tv_sec).unwrap_or(0), u32::try_from(t.tv_nsec).unwrap_or(0))
}

/// Page faults and context switches of this thread so far.
fn thread_faults_and_switches() -> (i64, i64) {
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `r` is a valid, writable rusage; the call only writes it.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut r) } != 0 {
        return (0, 0);
    }
    (r.ru_minflt + r.ru_majflt, r.ru_nvcsw + r.ru_nivcsw)
}

/// One event timed by the thread's CPU clock.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timed {
    cpu: Duration,
    kind: &'static str,
    number: usize,
    faults: i64,
    switches: i64,
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % n as u64).unwrap()
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let resident = env_or("GROUPGATE_CHURN_RESIDENT", 1_000_000, 10_000, bench);
    let queued = env_or("GROUPGATE_CHURN_QUEUE", 100_000, 1_000, bench);
    let rounds = env_or("GROUPGATE_CHURN_ROUNDS", 250_000, 2_000, bench);

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
    let tags: Vec<Option<String>> = w.visitors.iter().map(|(_, t)| t.clone()).collect();
    let mut held: Vec<String> = Vec::new();
    let mut rng = Rng(11);
    let mut times: Vec<(Duration, &'static str)> = Vec::with_capacity(rounds * 4);
    let mut cpu_times: Vec<Timed> = Vec::with_capacity(rounds * 4);
    let mut timed = |kind: &'static str, f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        times.push((start.elapsed(), kind));
    };
    let mut cpu_timed = |kind: &'static str, f: &mut dyn FnMut()| {
        let (faults, switches) = thread_faults_and_switches();
        let start = thread_cpu();
        f();
        let cpu = thread_cpu() - start;
        let (faults_after, switches_after) = thread_faults_and_switches();
        let (faults, switches) = (faults_after - faults, switches_after - switches);
        cpu_times.push(Timed { cpu, kind, number: cpu_times.len(), faults, switches });
    };
    let mut round = |n: usize, timed: &mut dyn FnMut(&'static str, &mut dyn FnMut())| {
        let i = rng.below(residents.len());
        let tag = tags[rng.below(tags.len())].clone();
        let newcomer = format!("new-{n}");
        timed("visit", &mut || {
            account.visit(&newcomer, tag.as_deref()).unwrap();
        });
        let leaving = std::mem::replace(&mut residents[i], newcomer);
        timed("leave", &mut || account.leave(&leaving).unwrap());
        let j = rng.below(residents.len());
        let mut routed = None;
        timed("route", &mut || routed = account.route(&residents[j]).ok());
        if routed.is_some_and(|r| r.agent().is_some()) {
            held.push(residents[j].clone());
        }
        if !held.is_empty() {
            let k = rng.below(held.len());
            let v = held.swap_remove(k);
            timed("release", &mut || {
                let _ = account.release(&v);
            });
        }
    };

    let (cpu0, wall0) = (cpu_time(), Instant::now());
    for n in 0..rounds {
        round(n, &mut timed);
    }
    let (cpu, wall) = (cpu_time().zip(cpu0).map(|(b, a)| b - a), wall0.elapsed());

    for n in rounds..2 * rounds {
        round(n, &mut cpu_timed);
    }
    let account_queue = account.queue().len();
    let events = times.len();
    times.sort_unstable();
    cpu_times.sort_unstable();
    let worst = times.last().copied().unwrap_or_default();
    let p999 = times.get(events * 999 / 1000).map(|t| t.0).unwrap_or_default();
    println!("churn: {resident} resident, {queued} queued at the start, {rounds} rounds, {events} events");
    println!("  queue at the end: {account_queue} chats");
    if let Some(cpu) = cpu {
        println!("  CPU time {cpu:?} (wall {wall:?}): {:.0} events per CPU-second", events as f64 / cpu.as_secs_f64());
    }
    println!("  longest single event: {:?} ({}); 99.9th percentile {p999:?}", worst.0, worst.1);
    let longest: Vec<String> = times.iter().rev().take(8).map(|(t, kind)| format!("{t:?} {kind}")).collect();
    println!("  the eight longest: {}", longest.join(", "));
    let p999 = cpu_times.get(cpu_times.len() * 999 / 1000).map(|t| t.cpu).unwrap_or_default();
    println!(
        "  by the thread's CPU clock, {} more events: 99.9th percentile {p999:?}; the eight longest:",
        cpu_times.len()
    );
    for t in cpu_times.iter().rev().take(8) {
        println!(
            "    {:?} {} (event #{}, {} page faults, {} context switches)",
            t.cpu, t.kind, t.number, t.faults, t.switches
        );
    }
}
