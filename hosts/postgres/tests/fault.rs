//! The fault test (R33): four `groupgate-server` processes replicate one
//! account through the log in PostgreSQL while driver threads send them
//! visits, leaves, routes, claims, releases, answers, status changes and
//! configuration changes (agents disabled, enabled, removed, added,
//! assigned, unassigned); deadlines (answer timeouts, offline agents) pass
//! on the wall clock. During the run one server is killed with SIGKILL and
//! started again, and PostgreSQL itself is restarted. Afterwards every
//! server's saved account, at the log's last sequence number, must be
//! byte-identical to what replaying the whole log in this process gives;
//! every event the drivers saw acknowledged is in the log once, every one
//! left in doubt at most once; and the invariants hold on the way and at
//! the end (one holder per chat, loads equal chats held, limits kept,
//! every holder saw its chat when it got it, no chat held by a disabled or
//! removed agent). Then a saturation phase measures throughput, and a
//! server is started on a snapshot of a large account.
//!
//! Needs `GROUPGATE_PG` (set by `.ci/run`, which starts PostgreSQL; with
//! `GROUPGATE_PG_RESTART` the command that restarts it); without it the
//! test says it was skipped. `GROUPGATE_FAULT_SEED` picks the seed (printed).

// Test code: helpers outside #[test] fns may unwrap and index too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use groupgate::{
    Account, AgentSpec, Change, Config, ConfigBuilder, Event, GroupSpec, Notice, Policy, Routing, Status, Timed,
};
use groupgate_postgres::log;
use groupgate_postgres::proto::{Request, Response};
use groupgate_postgres::server::now_ms;
use postgres::{Client, NoTls};

const SERVERS: usize = 4;
/// Driver threads in the paced phase, and in the saturation phase.
const DRIVERS: usize = 16;
const SATURATING: usize = 48;
const VISITORS: usize = 300;
const AGENTS: usize = 12;
const GROUPS: usize = 4;
/// The paced phase: about this many requests a second in all.
const PACE: u64 = 500;
const LIMIT: u32 = 3;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn config() -> Config {
    let mut policy = Policy::default();
    policy.routing = Routing::LeastBusy;
    policy.default_chat_limit = Some(LIMIT);
    policy.answer_timeout = Some(1_500);
    policy.offline_requeue_after = Some(2_000);
    let mut b = ConfigBuilder::new().policy(policy);
    for g in 0..GROUPS {
        let mut spec = GroupSpec::new(format!("g{g}"));
        if g + 1 < GROUPS {
            spec = spec.fallback(format!("g{}", g + 1));
        }
        b = b.group(spec);
    }
    for a in 0..AGENTS {
        b = b.agent(AgentSpec::new(format!("a{a}")).member(format!("g{}", a % GROUPS)));
    }
    b.build().unwrap()
}

fn id<T: std::str::FromStr>(s: String) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

/// A random event of the drivers' mix.
fn event(rng: &mut Rng) -> Event {
    let v = format!("v{}", rng.below(VISITORS));
    let agent = format!("a{}", rng.below(AGENTS + 3));
    let a = agent.clone();
    match rng.below(100) {
        0..=24 => Event::Visit(groupgate::event::Visit {
            visitor: v,
            page_group: (rng.below(5) != 0).then(|| id(format!("g{}", rng.below(GROUPS)))),
        }),
        25..=31 => Event::Leave(groupgate::event::VisitorOnly { visitor: v }),
        32..=51 => Event::Route(groupgate::event::VisitorOnly { visitor: v }),
        52..=59 => Event::Claim(groupgate::event::AgentVisitor { agent: a, visitor: v }),
        60..=69 => Event::Release(groupgate::event::ChatAction { visitor: v, agent: None }),
        70..=77 => Event::Answer(groupgate::event::ChatAction { visitor: v, agent: None }),
        78..=89 => {
            let status = [Status::Online, Status::Online, Status::Away, Status::Offline][rng.below(4)];
            Event::SetStatus(groupgate::event::SetStatus { agent: a, status })
        }
        90..=92 => Event::Change(Change::SetEnabled { agent: a, enabled: rng.below(2) == 0 }),
        93..=94 => Event::Change(Change::RemoveAgent { agent: a }),
        95..=96 => Event::Change(Change::AddAgent(
            AgentSpec::new(agent).member(format!("g{}", rng.below(GROUPS))).chat_limit(LIMIT),
        )),
        97..=98 => Event::Change(Change::Assign {
            agent: a,
            group: id(format!("g{}", rng.below(GROUPS))),
            tier: groupgate::Tier::Normal,
        }),
        _ => Event::Change(Change::Unassign { agent: a, group: id(format!("g{}", rng.below(GROUPS))) }),
    }
}

/// A running server process.
struct Server {
    child: Child,
    addr: String,
}

fn spawn(url: &str, account: &str, name: &str) -> (Server, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_groupgate-server"))
        .args(["--db", url, "--account", account, "--name", name, "--snapshot-every", "500"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(format!("/tmp/fault-{name}.err")).map_or_else(|_| Stdio::null(), Stdio::from))
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split_whitespace().nth(1).unwrap_or_else(|| panic!("{name} said {line:?}")).to_string();
    (Server { child, addr }, started.elapsed())
}

/// One request on a fresh or kept connection, with a 5 s timeout.
fn call(conns: &mut HashMap<String, BufReader<TcpStream>>, addr: &str, request: &Request) -> Option<Response> {
    let conn = match conns.get_mut(addr) {
        Some(c) => c,
        None => {
            let stream = TcpStream::connect_timeout(&addr.parse().ok()?, Duration::from_secs(1)).ok()?;
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            stream.set_nodelay(true).ok()?;
            conns.insert(addr.to_string(), BufReader::new(stream));
            conns.get_mut(addr)?
        }
    };
    let mut text = serde_json::to_string(request).unwrap();
    text.push('\n');
    let answer = conn.get_mut().write_all(text.as_bytes()).ok().and_then(|()| {
        let mut line = String::new();
        conn.read_line(&mut line).ok().filter(|n| *n > 0)?;
        serde_json::from_str(&line).ok()
    });
    if answer.is_none() {
        conns.remove(addr);
    }
    answer
}

#[derive(Default)]
struct Tally {
    acked: Vec<(String, u64)>,
    in_doubt: Vec<String>,
    latencies: Vec<Duration>,
    refused_unavailable: u64,
    /// Events sent more than once (no answer, or `unavailable`) before an
    /// answer came.
    retried: u64,
}

/// Drives requests until `stop`, about `pace` a second per thread (0: as
/// fast as it can).
fn drive(
    n: usize,
    seed: u64,
    addrs: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    pace: u64,
    tally: Arc<Mutex<Tally>>,
    counter: Arc<AtomicU64>,
) {
    let mut rng = Rng(seed ^ (n as u64) << 32);
    let mut conns = HashMap::new();
    while !stop.load(Ordering::SeqCst) {
        let began = Instant::now();
        let id = format!("{seed}-d{n}-{}", counter.fetch_add(1, Ordering::SeqCst));
        let request = Request::Event { id: id.clone(), event: event(&mut rng) };
        let mut done = None;
        let mut tries = 0;
        // Sent again with the same id after a failure: the log answers.
        for attempt in 0..4 {
            tries += 1;
            let addr = {
                let addrs = addrs.lock().unwrap();
                addrs[rng.below(addrs.len())].clone()
            };
            match call(&mut conns, &addr, &request) {
                Some(Response::Applied { seq, .. }) => {
                    done = Some(seq);
                    break;
                }
                Some(Response::Unavailable { .. }) => tally.lock().unwrap().refused_unavailable += 1,
                Some(other) => panic!("{id}: {other:?}"),
                None => {}
            }
            std::thread::sleep(Duration::from_millis(100 * (attempt + 1)));
        }
        let mut t = tally.lock().unwrap();
        match done {
            Some(seq) => {
                t.retried += u64::from(tries > 1);
                t.acked.push((id, seq));
                t.latencies.push(began.elapsed());
            }
            None => t.in_doubt.push(id),
        }
        drop(t);
        if let Some(gap) = (1_000_000 * DRIVERS as u64).checked_div(pace) {
            std::thread::sleep(Duration::from_micros(gap).saturating_sub(began.elapsed()));
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The invariants of one account state; `held` lists the `chat_held`
/// notices of the event just applied, whose holders must see their chats.
fn check_invariants(account: &Account, notices: &[Notice], at: u64) {
    for n in notices {
        if let Notice::ChatHeld { visitor, agent } = n {
            assert!(
                account.sees(agent.as_str(), visitor.as_str()).is_visible(),
                "seq {at}: {agent} holds {visitor} unseen"
            );
        }
    }
    let config = account.snapshot().config();
    let mut held: HashMap<String, u32> = HashMap::new();
    for v in account.visitors() {
        if let Some(h) = account.holder(v) {
            *held.entry(h.to_string()).or_default() += 1;
            let agent = config.agents().find(|a| a.id() == h.as_str());
            let agent = agent.unwrap_or_else(|| panic!("seq {at}: {v} held by removed agent {h}"));
            assert!(agent.enabled(), "seq {at}: {v} held by disabled agent {h}");
        }
    }
    for agent in config.agents() {
        let load = account.load(agent.id().as_str()).unwrap();
        assert_eq!(load, held.get(agent.id().as_str()).copied().unwrap_or(0), "seq {at}: load of {}", agent.id());
        assert!(load <= LIMIT, "seq {at}: {} holds {load}, over its limit", agent.id());
    }
}

#[test]
fn servers_agree_through_the_log_across_kills_and_a_database_restart() {
    let url = std::env::var("GROUPGATE_PG").unwrap_or_default();
    if url.is_empty() {
        println!("skipped: GROUPGATE_PG is not set (.ci/run starts PostgreSQL and sets it)");
        return;
    }
    let seed = std::env::var("GROUPGATE_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(now_ms);
    println!("fault test seed {seed} (GROUPGATE_FAULT_SEED={seed} runs it again)");
    let account = format!("fault-{seed}");
    let config = config();
    let start = now_ms();
    let mut db = Client::connect(&url, NoTls).unwrap();
    log::install(&mut db, &account, &config, start).unwrap();

    let mut servers: Vec<Server> = (0..SERVERS).map(|i| spawn(&url, &account, &format!("s{i}")).0).collect();
    let addrs = Arc::new(Mutex::new(servers.iter().map(|s| s.addr.clone()).collect::<Vec<_>>()));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let counter = Arc::new(AtomicU64::new(0));
    let paced_start = Instant::now();
    let drivers: Vec<_> = (0..DRIVERS)
        .map(|n| {
            let (addrs, stop, tally, counter) = (addrs.clone(), stop.clone(), tally.clone(), counter.clone());
            std::thread::spawn(move || drive(n, seed, addrs, stop, PACE, tally, counter))
        })
        .collect();

    // Faults: a server killed and started again; PostgreSQL restarted.
    std::thread::sleep(Duration::from_secs(5));
    servers[1].child.kill().unwrap();
    servers[1].child.wait().unwrap();
    let killed_at = Instant::now();
    addrs.lock().unwrap().retain(|a| *a != servers[1].addr);
    std::thread::sleep(Duration::from_secs(2));
    let (back, catch_up) = spawn(&url, &account, "s1");
    println!("fault: s1 killed with SIGKILL, started again {:?} later, caught up in {catch_up:?}", killed_at.elapsed());
    addrs.lock().unwrap().push(back.addr.clone());
    servers[1] = back;
    std::thread::sleep(Duration::from_secs(3));
    match std::env::var("GROUPGATE_PG_RESTART") {
        Ok(cmd) if !cmd.is_empty() => {
            let began = Instant::now();
            let status = Command::new("sh").args(["-c", &cmd]).status().unwrap();
            assert!(status.success(), "restarting PostgreSQL failed");
            println!("fault: PostgreSQL restarted in {:?}", began.elapsed());
        }
        _ => println!("fault: PostgreSQL not restarted (GROUPGATE_PG_RESTART is not set)"),
    }
    std::thread::sleep(Duration::from_secs(6));
    stop.store(true, Ordering::SeqCst);
    for d in drivers {
        d.join().unwrap();
    }
    let paced_for = paced_start.elapsed();

    // Saturation: no faults, every driver as fast as it can.
    let fast = Arc::new(Mutex::new(Tally::default()));
    stop.store(false, Ordering::SeqCst);
    let fast_start = Instant::now();
    let drivers: Vec<_> = (0..SATURATING)
        .map(|n| {
            let (addrs, stop, fast, counter) = (addrs.clone(), stop.clone(), fast.clone(), counter.clone());
            std::thread::spawn(move || drive(n + DRIVERS, seed, addrs, stop, 0, fast, counter))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(4));
    stop.store(true, Ordering::SeqCst);
    for d in drivers {
        d.join().unwrap();
    }
    let fast_for = fast_start.elapsed();

    // Quiet: no server appends deadlines any more; then each saves at the
    // log's end.
    let mut conns = HashMap::new();
    for s in &servers {
        assert!(matches!(call(&mut conns, &s.addr, &Request::Pause), Some(Response::Paused)));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut db = Client::connect(&url, NoTls).unwrap();
    let last = log::last_seq(&mut db, &account).unwrap();
    let saves: Vec<(u64, String)> = servers
        .iter()
        .map(|s| match call(&mut conns, &s.addr, &Request::Save) {
            Some(Response::Saved { seq, saved }) => (seq, saved),
            other => panic!("save from {}: {other:?}", s.addr),
        })
        .collect();

    // The whole log replayed here, the invariants checked after every event.
    let rows = log::read(&mut db, &account, 0, i64::MAX).unwrap();
    assert_eq!(rows.len() as u64, last, "the log is gap-free up to its last number");
    let replay_start = Instant::now();
    let mut replica = Account::new(config.clone(), start);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.seq, i as u64 + 1);
        let timed: Timed = serde_json::from_str(&row.body).unwrap();
        let applied = replica.apply_event_at(timed.at, &timed.event);
        let notices: Vec<Notice> =
            if applied.outcome.is_ok() { applied.notices.into_iter().map(|n| n.notice).collect() } else { Vec::new() };
        check_invariants(&replica, &notices, row.seq);
    }
    let replayed_in = replay_start.elapsed();
    let whole = serde_json::to_string(&replica.save()).unwrap();
    for ((seq, saved), s) in saves.iter().zip(&servers) {
        assert_eq!(*seq, last, "{} saved at {seq}, the log ends at {last}", s.addr);
        assert!(saved == &whole, "{} differs from the replayed log", s.addr);
    }

    // Exactly once: every acknowledged event once, at its number; every
    // event in doubt at most once (the ids are unique in the table).
    let logged: HashMap<&str, u64> = rows.iter().map(|r| (r.event_id.as_str(), r.seq)).collect();
    assert_eq!(logged.len(), rows.len(), "an event id twice in the log");
    let (t, f) = (tally.lock().unwrap(), fast.lock().unwrap());
    for (id, seq) in t.acked.iter().chain(&f.acked) {
        assert_eq!(logged.get(id.as_str()), Some(seq), "acknowledged {id} at {seq}");
    }
    let doubt: HashSet<&String> = t.in_doubt.iter().chain(&f.in_doubt).collect();
    let doubt_in_log = doubt.iter().filter(|id| logged.contains_key(id.as_str())).count();

    let ticks = rows.iter().filter(|r| r.event_id.contains("-tick-")).count();
    println!(
        "log: {last} events ({} from drivers acknowledged, {} of them after sending again with the same id; {ticks} deadline advances), {} left in doubt ({doubt_in_log} of them in the log), {} answers `unavailable` on the way",
        t.acked.len() + f.acked.len(),
        t.retried + f.retried,
        doubt.len(),
        t.unavailable() + f.unavailable(),
    );
    println!("paced phase with the faults: {}", t.summary(paced_for));
    println!("saturation, appended and applied on every server: {}", f.summary(fast_for));
    println!("replaying the whole log in one process: {replayed_in:?}; every server's save equals it, byte for byte");
    drop(servers);

    // A server starting on a snapshot of the large account.
    let (large, config, start) = large_account();
    let name = format!("large-{seed}");
    log::install(&mut db, &name, &config, start).unwrap();
    let saved = serde_json::to_string(&large.save()).unwrap();
    log::store_snapshot(&mut db, &name, 0, &saved).unwrap();
    let (server, took) = spawn(&url, &name, "large");
    println!(
        "a server started on a snapshot of the large account (2,000 agents, 200 groups, 100,000 visitors; {:.1} MB of JSON) in {took:?}",
        saved.len() as f64 / 1e6
    );
    let mut conns = HashMap::new();
    match call(&mut conns, &server.addr, &Request::Save) {
        Some(Response::Saved { seq: 0, saved: again }) => {
            assert!(again == saved, "the large account came back different")
        }
        other => panic!("large: {other:?}"),
    }
}

/// The benchmarks' large account: 2,000 agents in 200 groups, a fifth of
/// them online, 100,000 visitors (90 % tagged), some chats held.
fn large_account() -> (Account, Config, u64) {
    let mut rng = Rng(42);
    let mut b = ConfigBuilder::new();
    for g in 0..200 {
        b = b.group(GroupSpec::new(format!("group-{g}")));
    }
    for a in 0..2_000 {
        b = b.agent(AgentSpec::new(format!("agent-{a}")).member(format!("group-{}", a % 200)).chat_limit(4));
    }
    let config = b.build().unwrap();
    let start = now_ms();
    let mut account = Account::new(config.clone(), start);
    for a in (0..2_000).step_by(5) {
        account.set_status(&format!("agent-{a}"), Status::Online).unwrap();
    }
    for v in 0..100_000 {
        let tag = (rng.below(10) != 0).then(|| format!("group-{}", rng.below(200)));
        account.visit(&format!("visitor-{v}"), tag.as_deref()).unwrap();
    }
    for v in (0..100_000).step_by(50) {
        let _ = account.route(&format!("visitor-{v}"));
    }
    (account, config, start)
}

/// Servers are killed when the test ends, passing or not.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Tally {
    fn unavailable(&self) -> u64 {
        self.refused_unavailable
    }

    /// `N events in T (R/s), latency p50 … p99 …`.
    fn summary(&self, took: Duration) -> String {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        format!(
            "{} events in {took:.1?} ({:.0}/s), latency p50 {:?} p99 {:?}",
            self.acked.len(),
            self.acked.len() as f64 / took.as_secs_f64(),
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
        )
    }
}
