//! The fault test (issue 29): four `groupgate-server` processes on one
//! PostgreSQL, 200 accounts under a steady load of random events sent to
//! random servers (retried with the same id, at another server, when a
//! server or the database is away), while: a server is SIGKILLed and
//! started again 20 times; a server is SIGSTOPped for 20 s; PostgreSQL is
//! crashed (`-m immediate`) and stays down 30 s; one server runs with its
//! clock 2 h ahead (`faketime`); one id is sent twice in one batch and at
//! two servers at once; an id is reused with another event; a snapshot is
//! corrupted in the database; bodies over 1 MiB arrive; 3,000 idle
//! connections sit on one server; a client never reads its stream.
//!
//! Afterwards: every acknowledged event is in the log exactly once, with
//! the answer the client got; every server's saved account of every account
//! is byte-identical to a fresh replay of the log here; no event is stamped
//! past the database's clock (so no deadline fired early) and times never go
//! back; no server died but those killed; and clients were answered
//! throughout — at the stopped server too, once it ran again.
//!
//! Runs when `GROUPGATE_FAULT=1`, `GROUPGATE_PG`, `GROUPGATE_PG_CRASH` and
//! `GROUPGATE_PG_START` are set (`.ci/run`); prints what happened.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN: &str = "fault-admin";
const SERVERS: usize = 4;
const ACCOUNTS: usize = 200;
const DRIVERS: usize = 16;
/// Each driver's pause between events: about 16 × 1000/50 = 320 events/s.
const PAUSE: Duration = Duration::from_millis(50);
/// The server whose clock is 2 h ahead.
const AHEAD: usize = 3;
/// Debian's libfaketime (package `faketime`), multi-threaded.
const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

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

/// The server processes, by slot; each restarts on its own port.
struct Servers {
    url: String,
    dir: std::path::PathBuf,
    ports: Vec<u16>,
    children: Mutex<Vec<Child>>,
}

impl Servers {
    fn spawn(&self, slot: usize) -> Child {
        let bin = env!("CARGO_BIN_EXE_groupgate-server");
        // libfaketime in the server's own process (the `faketime` command
        // would fork, and a kill would miss the server).
        let faketime =
            if slot == AHEAD { format!("export LD_PRELOAD={FAKETIME_LIB} FAKETIME=+2h; ") } else { String::new() };
        let log = self.dir.join(format!("server-{slot}.log"));
        let script = format!(
            "ulimit -n 20000 2>/dev/null; {faketime}exec {bin} serve --listen 127.0.0.1:{} --name fault-{slot} >>{} 2>&1",
            self.ports[slot],
            log.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .env("GROUPGATE_DATABASE_URL", &self.url)
            .env("GROUPGATE_ADMIN_TOKEN", ADMIN)
            .env("GROUPGATE_DB_CONNECTIONS", "6")
            .env("GROUPGATE_SNAPSHOT_EVERY", "50")
            .env("GROUPGATE_RETENTION_SECS", "86400")
            .env("GROUPGATE_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .unwrap()
    }

    fn base(&self, slot: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[slot])
    }

    fn pid(&self, slot: usize) -> u32 {
        self.children.lock().unwrap()[slot].id()
    }

    fn signal(&self, slot: usize, signal: &str) {
        let pid = self.pid(slot).to_string();
        assert!(Command::new("kill").args([signal, &pid]).status().unwrap().success());
    }

    fn kill_and_restart(&self, slot: usize) {
        let mut children = self.children.lock().unwrap();
        let _ = children[slot].kill();
        let _ = children[slot].wait();
        children[slot] = self.spawn(slot);
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for child in self.children.lock().unwrap().iter_mut() {
            let _ = Command::new("kill").args(["-CONT", &child.id().to_string()]).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn account_config() -> Value {
    json!({
        "policy": {"routing": "least_busy", "answer_timeout": 2000, "offline_requeue_after": 3000, "default_chat_limit": 3},
        "groups": [{"id": "g0", "fallback": "g1"}, {"id": "g1"}, {"id": "g2"}],
        "agents": [
            {"id": "a0", "groups": ["g0"]}, {"id": "a1", "groups": ["g0", "g1"]}, {"id": "a2", "groups": ["g1"]},
            {"id": "a3", "groups": ["g2"]}, {"id": "a4", "groups": ["g2", "g0"]}, {"id": "a5"}
        ]
    })
}

fn random_event(rng: &mut Rng) -> Value {
    let v = format!("v{}", rng.below(40));
    let a = format!("a{}", rng.below(7));
    match rng.below(100) {
        0..=24 => json!({"visit": {"visitor": v, "page_group": format!("g{}", rng.below(3))}}),
        25..=31 => json!({"leave": {"visitor": v}}),
        32..=51 => json!({"route": {"visitor": v}}),
        52..=59 => json!({"claim": {"agent": a, "visitor": v}}),
        60..=69 => json!({"release": {"visitor": v}}),
        70..=79 => json!({"answer": {"visitor": v}}),
        80..=84 => json!({"decline": {"visitor": v}}),
        _ => {
            let status = ["online", "online", "away", "offline"][rng.below(4)];
            json!({"set_status": {"agent": a, "status": status}})
        }
    }
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    /// (account, event id) → the answer acknowledged.
    acked: BTreeMap<(usize, String), Value>,
    in_doubt: usize,
    wrong: Vec<String>,
    /// (when, server, how long) of every request.
    requests: Vec<(Duration, usize, Duration)>,
}

async fn post(http: &reqwest::Client, url: String, token: &str, body: String) -> Result<(u16, String), String> {
    let response = http
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    Ok((status, response.text().await.map_err(|e| e.to_string())?))
}

fn main() {
    let vars = ["GROUPGATE_PG", "GROUPGATE_PG_CRASH", "GROUPGATE_PG_START"]
        .map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    let [Some(url), Some(crash), Some(start)] = vars else {
        eprintln!("fault: skipped (set GROUPGATE_FAULT=1, GROUPGATE_PG, GROUPGATE_PG_CRASH, GROUPGATE_PG_START)");
        return;
    };
    if std::env::var("GROUPGATE_FAULT").ok().as_deref() != Some("1") {
        eprintln!("fault: skipped (set GROUPGATE_FAULT=1)");
        return;
    }
    assert!(
        std::path::Path::new(FAKETIME_LIB).exists(),
        "the fault test needs libfaketime (apt-get install faketime) for the server whose clock is ahead"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run(url, crash, start));
}

async fn run(url: String, crash: String, start: String) {
    let dir = std::env::temp_dir().join(format!("groupgate-fault-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let servers = Arc::new(Servers {
        url: url.clone(),
        dir: dir.clone(),
        ports: (0..SERVERS).map(|_| free_port()).collect(),
        children: Mutex::new(Vec::new()),
    });
    {
        let children: Vec<Child> = (0..SERVERS).map(|s| servers.spawn(s)).collect();
        *servers.children.lock().unwrap() = children;
    }
    let http = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
    for s in 0..SERVERS {
        let mut ready = false;
        for _ in 0..100 {
            if http.get(format!("{}/readyz", servers.base(s))).send().await.is_ok_and(|r| r.status().is_success()) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "server {s} did not start; its log is in {}", dir.display());
    }

    let run_id = &groupgate_server::keys::new_key()[3..11];
    let ids: Arc<Vec<String>> = Arc::new((0..ACCOUNTS).map(|i| format!("fault-{run_id}-{i}")).collect());
    let mut keys = Vec::new();
    for id in ids.iter() {
        let body = json!({"id": id, "config": account_config()}).to_string();
        let (status, text) = post(&http, format!("{}/v1/accounts", servers.base(0)), ADMIN, body).await.unwrap();
        assert_eq!(status, 201, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        keys.push(v["key"].as_str().unwrap().to_string());
    }
    let keys = Arc::new(keys);

    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let stopped_server = Arc::new(AtomicU64::new(u64::MAX));
    let mut drivers = tokio::task::JoinSet::new();
    for d in 0..DRIVERS {
        let (http, servers, ids, keys, seen, stop) =
            (http.clone(), servers.clone(), ids.clone(), keys.clone(), seen.clone(), stop.clone());
        drivers.spawn(async move {
            let mut rng = Rng(d as u64 * 7919 + 1);
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let account = rng.below(ACCOUNTS);
                let id = format!("d{d}-{n}");
                let body = json!({"id": id, "event": random_event(&mut rng)}).to_string();
                let mut acked = None;
                for _attempt in 0..60 {
                    let slot = rng.below(SERVERS);
                    let url = format!("{}/v1/accounts/{}/events", servers.base(slot), ids[account]);
                    let sent = Instant::now();
                    let result = post(&http, url, &keys[account], body.clone()).await;
                    let took = sent.elapsed();
                    seen.lock().unwrap().requests.push((sent - started, slot, took));
                    match result {
                        Ok((200, text)) => {
                            acked = Some(serde_json::from_str::<Value>(&text).unwrap());
                            break;
                        }
                        Ok((503 | 504, _)) | Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
                        Ok((status, text)) => {
                            seen.lock().unwrap().wrong.push(format!("{id}: {status} {text}"));
                            break;
                        }
                    }
                }
                {
                    let mut s = seen.lock().unwrap();
                    match acked {
                        Some(answer) => {
                            s.acked.insert((account, id), answer);
                        }
                        None => s.in_doubt += 1,
                    }
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }

    // The faults, on a schedule.
    let t = |secs: f64| started + Duration::from_secs_f64(secs);
    let sleep_until = |at: Instant| tokio::time::sleep_until(at.into());
    let mut log: Vec<String> = Vec::new();
    let mut note = |what: String| {
        let line = format!("{:6.1} s  {what}", started.elapsed().as_secs_f64());
        eprintln!("fault: {line}");
        log.push(line);
    };

    sleep_until(t(3.0)).await;
    // Bodies over 1 MiB: 413, nothing else.
    let huge = format!(r#"{{"id": "huge", "event": {{"visit": {{"visitor": "{}"}}}}}}"#, "x".repeat(2 << 20));
    let (status, _) =
        post(&http, format!("{}/v1/accounts/{}/events", servers.base(0), ids[0]), &keys[0], huge).await.unwrap();
    assert_eq!(status, 413);
    note("a 2 MiB body: 413".into());
    // An id sent twice in one batch: one event, answered twice alike.
    let batch = json!({"events": [
        {"id": "twice", "event": {"visit": {"visitor": "w1"}}},
        {"id": "twice", "event": {"visit": {"visitor": "w1"}}}
    ]})
    .to_string();
    let (status, text) =
        post(&http, format!("{}/v1/accounts/{}/events:batch", servers.base(1), ids[1]), &keys[1], batch).await.unwrap();
    let answers: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status, 200, "{text}");
    assert_eq!(answers["answers"][0], answers["answers"][1]);
    seen.lock().unwrap().acked.insert((1, "twice".into()), answers["answers"][0].clone());
    // One id at two servers at once: one event, the same answer.
    let body = json!({"id": "together", "event": {"visit": {"visitor": "w2"}}}).to_string();
    let (a, b) = tokio::join!(
        post(&http, format!("{}/v1/accounts/{}/events", servers.base(0), ids[2]), &keys[2], body.clone()),
        post(&http, format!("{}/v1/accounts/{}/events", servers.base(2), ids[2]), &keys[2], body.clone())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.0, b.0), (200, 200), "{a:?} {b:?}");
    assert_eq!(serde_json::from_str::<Value>(&a.1).unwrap(), serde_json::from_str::<Value>(&b.1).unwrap());
    seen.lock().unwrap().acked.insert((2, "together".into()), serde_json::from_str(&a.1).unwrap());
    // The id again with another event: 409.
    let other = json!({"id": "together", "event": {"leave": {"visitor": "w2"}}}).to_string();
    let (status, _) =
        post(&http, format!("{}/v1/accounts/{}/events", servers.base(1), ids[2]), &keys[2], other).await.unwrap();
    assert_eq!(status, 409);
    note("one id twice in a batch and at two servers at once: one event; reused with another event: 409".into());

    // 3,000 idle connections on server 2, and a stream on server 0 that is
    // never read.
    let mut idle = Vec::new();
    for _ in 0..3_000 {
        if let Ok(c) = tokio::net::TcpStream::connect(("127.0.0.1", servers.ports[2])).await {
            idle.push(c);
        }
    }
    let mut unread = tokio::net::TcpStream::connect(("127.0.0.1", servers.ports[0])).await.unwrap();
    let request =
        format!("GET /v1/accounts/{}/notices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", ids[0], keys[0]);
    tokio::io::AsyncWriteExt::write_all(&mut unread, request.as_bytes()).await.unwrap();
    note(format!("{} idle connections on server 2; a stream on server 0 never read", idle.len()));

    // 20 SIGKILLs, one every 3 s from 6 s; server 1 stopped 15–35 s; the
    // database crashed at 68 s and back at 98 s; a snapshot corrupted at 50 s.
    let mut rng = Rng(42);
    let mut kills = 0;
    let mut stopped_at = None;
    let mut corrupted = None;
    let mut crashed = false;
    let mut database_back = None;
    while kills < 20 || database_back.is_none() || stopped_at.is_some() {
        let now = started.elapsed().as_secs_f64();
        if stopped_at.is_none() && (15.0..16.0).contains(&now) {
            servers.signal(1, "-STOP");
            stopped_server.store(1, Ordering::Relaxed);
            stopped_at = Some(now);
            note("server 1 SIGSTOPped".into());
        }
        if let Some(at) = stopped_at
            && now >= at + 20.0
        {
            servers.signal(1, "-CONT");
            stopped_server.store(u64::MAX, Ordering::Relaxed);
            stopped_at = None;
            note("server 1 SIGCONTed after 20 s".into());
        }
        if kills < 20 && now >= 6.0 + 3.0 * kills as f64 {
            let slot = loop {
                let s = rng.below(SERVERS);
                if stopped_at.is_none() || s != 1 {
                    break s;
                }
            };
            servers.kill_and_restart(slot);
            kills += 1;
            note(format!("server {slot} SIGKILLed and started again ({kills})"));
        }
        if corrupted.is_none() && now >= 50.0 {
            corrupted = corrupt_a_snapshot(&url, &format!("fault-{run_id}-%")).await;
            note(format!("snapshot corrupted in the database: {corrupted:?}"));
        }
        if !crashed && now >= 68.0 {
            run_shell(&crash);
            crashed = true;
            note("PostgreSQL crashed (-m immediate)".into());
        }
        if crashed && database_back.is_none() && now >= 98.0 {
            run_shell(&start);
            database_back = Some(now);
            note("PostgreSQL started again after 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A quiet while: everything catches up.
    sleep_until(Instant::now() + Duration::from_secs(10)).await;
    stop.store(true, Ordering::Relaxed);
    while drivers.join_next().await.is_some() {}
    drop(idle);
    drop(unread);
    let database_back = database_back.unwrap();

    // ----- the checks -----------------------------------------------------
    let seen = Arc::try_unwrap(seen).ok().unwrap().into_inner().unwrap();
    assert!(seen.wrong.is_empty(), "unexpected answers: {:?}", &seen.wrong[..seen.wrong.len().min(5)]);
    let pool = groupgate_server::db::pool(&url, 2).unwrap();
    let client = pool.get().await.unwrap();

    // Every acknowledged event is in the log once, with the answer given.
    let mut acked_checked = 0;
    for ((account, event_id), answer) in &seen.acked {
        let rows = client
            .query("SELECT answer FROM gg_events WHERE account = $1 AND event_id = $2", &[&ids[*account], event_id])
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{event_id} of {} is in the log {} times", ids[*account], rows.len());
        let stored: Value = serde_json::from_str(rows[0].get::<_, &str>(0)).unwrap();
        assert_eq!(&stored, answer, "{event_id}: the stored answer differs from the one given");
        acked_checked += 1;
    }

    // Server 0 afresh: it loads every account it is asked about now.
    servers.kill_and_restart(0);
    for _ in 0..100 {
        if http.get(format!("{}/readyz", servers.base(0))).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every server's saved account is byte-identical to a replay here; no
    // event is stamped past the database's clock, and times never go back.
    let mut events_total = 0u64;
    let mut deadline_advances = 0u64;
    for (i, id) in ids.iter().enumerate() {
        let row = groupgate_server::db::account(&client, id).await.unwrap().unwrap();
        let mut replica = groupgate_server::replica::Replica::start(&row).unwrap();
        let mut after = 0;
        let mut last_at = 0;
        loop {
            let rows = groupgate_server::db::read_log(&client, id, after, None, 1_000).await.unwrap();
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                replica.apply_logged(r).unwrap();
                assert!(r.at >= last_at, "{id}: event {} goes back in time", r.seq);
                last_at = r.at;
                deadline_advances += u64::from(r.event_id.starts_with("deadline-"));
                if let Some(due) = r.event_id.strip_prefix("deadline-").and_then(|d| d.parse::<u64>().ok()) {
                    assert!(r.at >= due, "{id}: the deadline {due} was advanced at {}", r.at);
                }
            }
            after = rows.last().unwrap().seq;
            events_total += rows.len() as u64;
        }
        let stamped_ahead: i64 = client
            .query_one(
                "SELECT count(*) FROM gg_events WHERE account = $1
                 AND at > (extract(epoch from appended) * 1000)::bigint + 1",
                &[id],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(stamped_ahead, 0, "{id}: events stamped past the database's clock");
        let want = serde_json::to_string(&replica.account.save()).unwrap();
        for s in 0..SERVERS {
            let r = http
                .get(format!("{}/v1/accounts/{id}/saved?after={after}", servers.base(s)))
                .bearer_auth(&keys[i])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200, "server {s}, {id}");
            let text = r.text().await.unwrap();
            let got: Box<serde_json::value::RawValue> =
                serde_json::from_str::<HashMap<String, Box<serde_json::value::RawValue>>>(&text)
                    .unwrap()
                    .remove("saved")
                    .unwrap();
            assert!(got.get() == want, "server {s} holds another account {id} than a replay of the log");
        }
    }

    // No server died but those killed; each still answers.
    for s in 0..SERVERS {
        let alive = servers.children.lock().unwrap()[s].try_wait().unwrap().is_none();
        assert!(alive, "server {s} died; its log is in {}", dir.display());
    }
    // Only the corrupted snapshot is ever marked bad, and it is never used:
    // it is marked bad, or a newer verified one is the one loaded (server 0
    // was started afresh before the comparison above, so it loaded every
    // account from its newest verified snapshot whose checksum holds).
    let pattern = format!("fault-{run_id}-%");
    let bad_rows =
        client.query("SELECT account, seq FROM gg_snapshots WHERE bad AND account LIKE $1", &[&pattern]).await.unwrap();
    let bad: Vec<(String, i64)> = bad_rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert!(
        bad.iter().all(|b| Some(b) == corrupted.as_ref()),
        "snapshots marked bad: {bad:?}, corrupted: {corrupted:?}"
    );
    if let Some((account, seq)) = &corrupted {
        let newer: i64 = client
            .query_one(
                "SELECT count(*) FROM gg_snapshots WHERE account = $1 AND seq > $2 AND verified AND NOT bad",
                &[account, seq],
            )
            .await
            .unwrap()
            .get(0);
        assert!(!bad.is_empty() || newer > 0, "the corrupted snapshot is still the newest usable one");
    }
    let bad = bad.len();

    // Clients were answered throughout: outside the database's outage and
    // the stopped server's 20 s, every request got an answer within 10 s.
    let outage = (68.0, database_back + 3.0);
    let mut slow = 0;
    let mut longest = Duration::ZERO;
    for &(at, _slot, took) in &seen.requests {
        let at = at.as_secs_f64();
        let during_outage = at + took.as_secs_f64() >= outage.0 && at <= outage.1;
        let at_stopped = _slot == 1 && at + took.as_secs_f64() >= 15.0 && at <= 36.0;
        if !during_outage && !at_stopped {
            longest = longest.max(took);
            slow += usize::from(took > Duration::from_secs(10));
        }
    }
    println!("fault: {}", log.join("\nfault: "));
    println!(
        "fault: {} events acknowledged ({acked_checked} checked in the log), {} left in doubt, {events_total} in the log ({deadline_advances} deadline advances), {} requests",
        seen.acked.len(),
        seen.in_doubt,
        seen.requests.len()
    );
    println!("fault: {ACCOUNTS} accounts × {SERVERS} servers byte-identical to a replay; {bad} snapshots marked bad");
    println!("fault: longest request outside the outage and the stopped server: {:.2} s", longest.as_secs_f64());
    assert_eq!(slow, 0, "{slow} requests took over 10 s outside the outage");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Corrupts one verified snapshot in the database (its text changes, its
/// checksum stays); gives which.
async fn corrupt_a_snapshot(url: &str, pattern: &str) -> Option<(String, i64)> {
    let pool = groupgate_server::db::pool(url, 1).ok()?;
    let client = pool.get().await.ok()?;
    let row = client
        .query_opt(
            "UPDATE gg_snapshots SET saved = replace(saved, '\"a1\"', '\"a9\"')
             WHERE (account, seq) = (SELECT account, seq FROM gg_snapshots WHERE verified AND account LIKE $1
                                     ORDER BY seq DESC LIMIT 1)
             RETURNING account, seq",
            &[&pattern],
        )
        .await
        .ok()??;
    Some((row.get(0), row.get(1)))
}

fn run_shell(command: &str) {
    let status = Command::new("sh").args(["-c", command]).status().unwrap();
    assert!(status.success(), "`{command}` failed");
}
