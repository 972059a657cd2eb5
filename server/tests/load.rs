//! The load run (issue 29): server processes sharing one PostgreSQL, many
//! accounts, clients sending whole chats (visit, route, answer, release,
//! leave) as fast as the servers answer, and notice streams on some
//! accounts. Prints events per second, event latency, latency from sending
//! an event to its notice reaching a stream subscriber, and the memory a
//! loaded idle account costs a process. Fails on wrong answers, lost
//! notices or replicas that disagree — never on timing, which depends on
//! the machine.
//!
//! Runs when `GROUPGATE_LOAD=1` and `GROUPGATE_PG` are set (`.ci/run`):
//! `GROUPGATE_LOAD_ACCOUNTS` (1000), `GROUPGATE_LOAD_SERVERS` (4),
//! `GROUPGATE_LOAD_SECS` (30), `GROUPGATE_LOAD_CLIENTS` (96).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN: &str = "load-admin";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A server process this run started, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start(url: &str, n: usize) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_groupgate-server"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--name", &format!("load-{n}")])
        .env("GROUPGATE_DATABASE_URL", url)
        .env("GROUPGATE_ADMIN_TOKEN", ADMIN)
        // Twelve connections in all for a database on two cores: more only
        // add backends competing for them (six each measured p99 33 ms
        // against 28 ms in back-to-back runs).
        .env("GROUPGATE_DB_CONNECTIONS", "3")
        .env("GROUPGATE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Server { child, base: format!("http://127.0.0.1:{port}") }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn account_config() -> Value {
    json!({
        "policy": {"routing": "least_busy", "answer_timeout": 60_000},
        "groups": [{"id": "en"}, {"id": "de", "fallback": "en"}, {"id": "sales"}],
        "agents": [
            {"id": "a1", "groups": ["en"]}, {"id": "a2", "groups": ["en", "de"]},
            {"id": "a3", "groups": ["de"]}, {"id": "a4", "groups": ["sales"]},
            {"id": "a5", "groups": ["sales", "en"]}, {"id": "a6"}
        ]
    })
}

/// What the run measured.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// Second of the phase → (events sent in it, of them over 25 ms): shows
    /// whether a long tail is spread or a few seconds of stall.
    by_second: std::collections::BTreeMap<u64, (u32, u32)>,
    /// (account, seq) → when the event was sent, and whether it has notices
    /// (an answer has none).
    sent: HashMap<(usize, u64), (Instant, bool)>,
    wrong: Vec<String>,
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: Value) -> (u16, Value) {
    match http.post(url).bearer_auth(token).json(&body).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        }
        Err(e) => (0, json!({"transport": e.to_string()})),
    }
}

/// A notice reaching a stream: (account, seq, n, when).
type Arrival = (usize, u64, usize, Instant);

/// What the clients share.
struct Ctx {
    http: reqwest::Client,
    bases: Arc<Vec<String>>,
    ids: Arc<Vec<String>>,
    keys: Arc<Vec<String>>,
    accounts: usize,
    clients: usize,
}

/// One phase of load: `clients` clients sending whole chats for `secs`,
/// every event waiting for its slot when `rate` paces them.
async fn drive(ctx: &Ctx, rate: Option<f64>, secs: u64) -> (Tally, Duration, u64) {
    static PHASE: AtomicU64 = AtomicU64::new(0);
    let phase = PHASE.fetch_add(1, Ordering::Relaxed);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let events = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    // The pacing: the next free slot, in nanoseconds since `started`.
    let next_slot = Arc::new(AtomicU64::new(0));
    let gap = rate.map(|r| (1e9 / r) as u64);
    let mut workers = tokio::task::JoinSet::new();
    for c in 0..ctx.clients {
        let (http, bases, ids, keys) = (ctx.http.clone(), ctx.bases.clone(), ctx.ids.clone(), ctx.keys.clone());
        let (tally, events, next_slot, accounts) = (tally.clone(), events.clone(), next_slot.clone(), ctx.accounts);
        workers.spawn(async move {
            let mut rng = 0x9E37_79B9_7F4A_7C15u64 ^ (c as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let mut chat = 0u64;
            while Instant::now() < until {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let i = (rng % accounts as u64) as usize;
                chat += 1;
                let visitor = format!("p{phase}c{c}-{chat}");
                let page = ["en", "de", "sales"][(rng >> 20) as usize % 3];
                let url = format!("{}/v1/accounts/{}/events", bases[i % bases.len()], ids[i]);
                let mut holder: Option<String> = None;
                for (step, kind) in ["visit", "route", "answer", "release", "leave"].iter().enumerate() {
                    let event = match *kind {
                        "visit" => json!({"visit": {"visitor": visitor, "page_group": page}}),
                        "route" => json!({"route": {"visitor": visitor}}),
                        "answer" => match &holder {
                            Some(h) => json!({"answer": {"visitor": visitor, "agent": h}}),
                            None => continue,
                        },
                        "release" => json!({"release": {"visitor": visitor}}),
                        _ => json!({"leave": {"visitor": visitor}}),
                    };
                    if let Some(gap) = gap {
                        let slot = next_slot.fetch_add(gap, Ordering::Relaxed);
                        let at = started + Duration::from_nanos(slot);
                        if at > until {
                            return;
                        }
                        tokio::time::sleep_until(at.into()).await;
                    }
                    let sent = Instant::now();
                    let (status, body) =
                        post(&http, url.clone(), &keys[i], json!({"id": format!("{visitor}-{step}"), "event": event}))
                            .await;
                    let took = sent.elapsed();
                    let mut t = tally.lock().unwrap();
                    if status != 200 {
                        t.wrong.push(format!("{} {visitor} step {step}: {status} {body}", ids[i]));
                        break;
                    }
                    events.fetch_add(1, Ordering::Relaxed);
                    t.latencies.push(took);
                    let second = t.by_second.entry(sent.duration_since(started).as_secs()).or_default();
                    second.0 += 1;
                    second.1 += u32::from(took > Duration::from_millis(25));
                    let seq = body["seq"].as_u64().unwrap();
                    t.sent.insert((i, seq), (sent, step != 2));
                    if step == 1 {
                        holder = body["outcome"]["routed"]["agent"].as_str().map(String::from);
                    }
                    // The answer and the release of a held chat succeed.
                    if (step == 2 || step == 3) && body["ok"] != true && holder.is_some() {
                        t.wrong.push(format!("{} {visitor} step {step}: {body}", ids[i]));
                    }
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let total = events.load(Ordering::Relaxed);
    let tally = Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap();
    (tally, elapsed, total)
}

fn main() {
    let url = std::env::var("GROUPGATE_PG").ok().filter(|u| !u.is_empty());
    let (Some(url), true) = (url, std::env::var("GROUPGATE_LOAD").is_ok_and(|v| v == "1")) else {
        eprintln!("load: skipped (set GROUPGATE_LOAD=1 and GROUPGATE_PG)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run(url));
}

async fn run(url: String) {
    let accounts = env("GROUPGATE_LOAD_ACCOUNTS", 1_000) as usize;
    let n_servers = env("GROUPGATE_LOAD_SERVERS", 4) as usize;
    let secs = env("GROUPGATE_LOAD_SECS", 30);
    let clients = env("GROUPGATE_LOAD_CLIENTS", 96) as usize;
    let servers: Vec<Server> = (0..n_servers).map(|n| start(&url, n)).collect();
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    for s in &servers {
        let ready = async {
            loop {
                if http.get(format!("{}/readyz", s.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), ready).await.expect("a server did not become ready");
    }
    let bases: Arc<Vec<String>> = Arc::new(servers.iter().map(|s| s.base.clone()).collect());
    let run_id = &groupgate_server::keys::new_key()[3..11];

    // Accounts, each with a home server (where its clients go).
    let ids: Vec<String> = (0..accounts).map(|i| format!("load-{run_id}-{i}")).collect();
    let keys: Arc<Vec<String>> = Arc::new({
        let mut tasks = tokio::task::JoinSet::new();
        for (i, id) in ids.iter().enumerate() {
            let (http, base, id) = (http.clone(), bases[i % n_servers].clone(), id.clone());
            tasks.spawn(async move {
                let (status, body) =
                    post(&http, format!("{base}/v1/accounts"), ADMIN, json!({"id": id, "config": account_config()}))
                        .await;
                assert_eq!(status, 201, "{body}");
                (i, body["key"].as_str().unwrap().to_string())
            });
        }
        let mut keys = vec![String::new(); accounts];
        while let Some(r) = tasks.join_next().await {
            let (i, key) = r.unwrap();
            keys[i] = key;
        }
        keys
    });
    let ids = Arc::new(ids);

    // Memory: each server before and after holding its accounts idle.
    let before: Vec<u64> = servers.iter().map(|s| rss_kib(s.child.id())).collect();
    for (i, id) in ids.iter().enumerate() {
        let r = http
            .get(format!("{}/v1/accounts/{id}/queue", bases[i % n_servers]))
            .bearer_auth(&keys[i])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after: Vec<u64> = servers.iter().map(|s| rss_kib(s.child.id())).collect();
    let per_account_kib: Vec<f64> = before
        .iter()
        .zip(&after)
        .map(|(b, a)| (a.saturating_sub(*b)) as f64 / (accounts as f64 / n_servers as f64))
        .collect();

    // Streams on some accounts, each at a server other than the account's
    // home, so that notices cross servers.
    let streamed: Vec<usize> = (0..accounts).step_by((accounts / 100).max(1)).collect();
    let arrivals: Arc<Mutex<Vec<Arrival>>> = Arc::new(Mutex::new(Vec::new()));
    let mut stream_tasks = Vec::new();
    for &i in &streamed {
        let base = bases[(i + 1) % n_servers].clone();
        let request = http.get(format!("{base}/v1/accounts/{}/notices", ids[i])).bearer_auth(&keys[i]);
        let mut response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let arrivals = arrivals.clone();
        stream_tasks.push(tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                let now = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    for line in block.lines() {
                        if let Some(id) = line.strip_prefix("id: ") {
                            let (seq, n) = id.split_once('.').unwrap();
                            arrivals.lock().unwrap().push((i, seq.parse().unwrap(), n.parse().unwrap(), now));
                        }
                    }
                }
            }
        }));
    }

    // The load: clients sending whole chats on random accounts, first paced
    // at the target rate (the latencies that count), then as fast as the
    // servers answer (the capacity).
    let rate = env("GROUPGATE_LOAD_RATE", 2_000) as f64;
    let ctx = Ctx { http: http.clone(), bases: bases.clone(), ids: ids.clone(), keys: keys.clone(), accounts, clients };
    let paced_from = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let (tally, elapsed, total) = drive(&ctx, Some(rate), secs).await;
    let (mut capacity, capacity_elapsed, capacity_total) = drive(&ctx, None, 10).await;
    capacity.latencies.sort_unstable();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for t in &stream_tasks {
        t.abort();
    }

    let mut tally = tally;
    tally.latencies.sort_unstable();
    let arrivals = arrivals.lock().unwrap().clone();
    // Every event of a streamed account has its notices on the stream: the
    // first notice of each, timed from sending the event.
    let mut first_notice: HashMap<(usize, u64), Instant> = HashMap::new();
    for (i, seq, n, at) in &arrivals {
        if *n == 0 {
            first_notice.entry((*i, *seq)).or_insert(*at);
        }
    }
    let mut notice_latencies: Vec<Duration> = Vec::new();
    let mut missing = 0usize;
    for (&(i, seq), &(sent, noticed)) in &tally.sent {
        if !streamed.contains(&i) || !noticed {
            continue;
        }
        match first_notice.get(&(i, seq)) {
            Some(at) => notice_latencies.push(at.saturating_duration_since(sent)),
            None => missing += 1,
        }
    }
    notice_latencies.sort_unstable();

    // Replicas agree: a sample of accounts read from two servers.
    let mut disagree = 0;
    for &i in streamed.iter().take(20) {
        let seq: u64 =
            tally.sent.keys().chain(capacity.sent.keys()).filter(|(a, _)| *a == i).map(|(_, s)| *s).max().unwrap_or(0);
        let mut saved = Vec::new();
        for base in bases.iter().take(2) {
            let r = http
                .get(format!("{base}/v1/accounts/{}/saved?after={seq}", ids[i]))
                .bearer_auth(&keys[i])
                .send()
                .await
                .unwrap();
            saved.push(r.text().await.unwrap());
        }
        if saved[0] != saved[1] {
            disagree += 1;
        }
    }

    // The servers' own view: mean time an append transaction took.
    for base in bases.iter() {
        let text = http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        let value =
            |name: &str| -> f64 { text.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or(0.0) };
        let (sum, count) = (value("groupgate_append_seconds_sum"), value("groupgate_append_seconds_count"));
        let raced = value("groupgate_appends_raced_total");
        println!(
            "load: {base}: {count} append transactions, mean {:.2} ms; {raced} fast appends found the log moved",
            sum / count.max(1.0) * 1e3
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "load: {n_servers} servers, {accounts} accounts, {clients} clients, paced at {rate:.0} events/s for {:.1} s",
        elapsed.as_secs_f64()
    );
    println!("load: {total} events, {:.0} events/s", total as f64 / elapsed.as_secs_f64());
    println!(
        "load: event latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&tally.latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&tally.latencies, 0.9).as_secs_f64() * 1e3,
        percentile(&tally.latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&tally.latencies, 1.0).as_secs_f64() * 1e3,
    );
    println!(
        "load: send to notice on a stream at another server ({} notices): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        notice_latencies.len(),
        percentile(&notice_latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&notice_latencies, 0.99).as_secs_f64() * 1e3,
        percentile(&notice_latencies, 1.0).as_secs_f64() * 1e3,
    );
    println!(
        "load: memory per loaded idle account: {} KiB (per server, RSS growth / accounts held)",
        per_account_kib.iter().map(|k| format!("{k:.1}")).collect::<Vec<_>>().join(", ")
    );
    let mut seconds: Vec<(u64, (u32, u32))> = tally.by_second.iter().map(|(s, c)| (*s, *c)).collect();
    seconds.sort_by_key(|(s, (_, slow))| (std::cmp::Reverse(*slow), *s));
    let slow: u32 = seconds.iter().map(|(_, (_, slow))| slow).sum();
    println!(
        "load: {slow} events over 25 ms; the seconds with most (from {:.3} s since 1970): {}",
        paced_from.as_secs_f64(),
        seconds.iter().take(4).map(|(s, (n, slow))| format!("s{s} {slow} of {n}")).collect::<Vec<_>>().join(", ")
    );
    println!(
        "load: capacity, unpaced: {:.0} events/s, latency p50 {:.1} ms, p99 {:.1} ms",
        capacity_total as f64 / capacity_elapsed.as_secs_f64(),
        percentile(&capacity.latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&capacity.latencies, 0.99).as_secs_f64() * 1e3,
    );
    println!("load: load average {}", load.trim());
    assert!(
        capacity.wrong.is_empty(),
        "{} wrong answers unpaced, first: {:?}",
        capacity.wrong.len(),
        capacity.wrong.first()
    );
    assert!(tally.wrong.is_empty(), "{} wrong answers, first: {:?}", tally.wrong.len(), tally.wrong.first());
    // Every event of a streamed account that has notices reached its stream.
    assert_eq!(missing, 0, "{missing} events of streamed accounts never reached their stream");
    assert_eq!(disagree, 0, "servers disagree on {disagree} accounts");
}
