//! A server: an account replica fed by the log, answering requests.
//!
//! A request's event is appended to the log (its order decided there), then
//! the server applies the log in order up to it and answers with what that
//! event did on this replica — which is what it did on every replica, the
//! engine being deterministic (R25). Between requests a follower applies
//! what other servers appended (woken by `NOTIFY`, and every half second
//! anyway, so a notification missed while the database was away loses
//! nothing). When the account's next deadline (R26) is due, the server
//! appends an `advance` event. Every `snapshot_every` events it stores the
//! saved account; on start it loads the latest and replays the rest.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use groupgate::{Account, ErrorCode, Event, Saved, Timed};

use postgres::fallible_iterator::FallibleIterator;

use crate::HostError;
use crate::db::Db;
use crate::log::{self, Logged};
use crate::proto::{Outcome, Request, Response};

/// How a server runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The database, as a libpq key-value string.
    pub url: String,
    /// The account this server replicates.
    pub account: String,
    /// This server's name, in the ids of the events it appends itself.
    pub name: String,
    /// Store the saved account every this many events.
    pub snapshot_every: u64,
}

/// How many outcomes of recent events a server keeps, to answer retries.
const REMEMBERED: usize = 100_000;

/// The account as this server has applied the log.
struct Replica {
    account: Account,
    /// The last sequence number applied.
    seq: u64,
    /// Outcomes of recent events by their ids.
    outcomes: HashMap<String, (u64, Outcome)>,
    recent: VecDeque<String>,
}

impl Replica {
    /// Applies one logged event, which must be the next.
    fn apply(&mut self, row: &Logged) -> Result<(), HostError> {
        if row.seq != self.seq + 1 {
            return Err(HostError::Stored(format!("the log skips from {} to {}", self.seq, row.seq)));
        }
        let timed: Timed = serde_json::from_str(&row.body).map_err(|e| HostError::Stored(e.to_string()))?;
        let applied = self.account.apply_event_at(timed.at, &timed.event);
        let outcome = match applied.outcome {
            Ok(_) => {
                let notices = applied.notices.into_iter().map(|n| n.notice).collect();
                Outcome { ok: true, notices, code: None, message: None }
            }
            Err(e) => {
                Outcome { ok: false, notices: Vec::new(), code: Some(e.code().into()), message: Some(e.to_string()) }
            }
        };
        self.seq = row.seq;
        if self.outcomes.insert(row.event_id.clone(), (row.seq, outcome)).is_none() {
            self.recent.push_back(row.event_id.clone());
        }
        while self.recent.len() > REMEMBERED {
            if let Some(old) = self.recent.pop_front() {
                self.outcomes.remove(&old);
            }
        }
        Ok(())
    }
}

/// One server.
pub struct Server {
    opts: Options,
    replica: Mutex<Replica>,
    /// The appender's connection (and the start's, and `Save`'s).
    db: Mutex<Db>,
    /// The connection the log is read on, so that reading never waits
    /// behind an append waiting for the account's lock.
    reads: Mutex<Db>,
    /// Held while applying the log, so that one thread at a time does.
    catching_up: Mutex<()>,
    paused: AtomicBool,
    ticks: AtomicU64,
    /// Events for the appender.
    appends: Mutex<mpsc::Sender<Append>>,
    /// Its end, until the appender starts.
    waiting: Mutex<Option<mpsc::Receiver<Append>>>,
}

/// An event to append, and where to say its sequence number.
struct Append {
    id: String,
    body: String,
    reply: mpsc::Sender<Result<u64, HostError>>,
}

/// The wall clock, in milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Server {
    /// Loads the account — the latest saved one and the log after it, or
    /// the log from the start — waiting up to `wait` for the database.
    ///
    /// # Errors
    ///
    /// The database stayed away, or what it stores does not load.
    pub fn start(opts: Options, wait: Duration) -> Result<Arc<Server>, HostError> {
        let mut db = Db::new(&opts.url)?;
        let started = std::time::Instant::now();
        let (initial, snapshot) = loop {
            let loaded = db.with(|c| {
                let initial = log::initial(c, &opts.account)?;
                Ok((initial, log::latest_snapshot(c, &opts.account)?))
            });
            match loaded {
                Ok(found) => break found,
                Err(e @ (HostError::Unavailable(_) | HostError::Db(_))) if started.elapsed() < wait => {
                    eprintln!("{}: waiting for the database: {e}", opts.name);
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(e),
            }
        };
        let (account, seq) = match snapshot {
            Some((seq, text)) => {
                let saved: Saved = serde_json::from_str(&text).map_err(|e| HostError::Stored(e.to_string()))?;
                (Account::from_saved(saved).map_err(|e| HostError::Stored(e.to_string()))?, seq)
            }
            None => (Account::new(initial.0, initial.1), 0),
        };
        let replica = Replica { account, seq, outcomes: HashMap::new(), recent: VecDeque::new() };
        let (appends, waiting) = mpsc::channel();
        let reads = Mutex::new(Db::new(&opts.url)?);
        let server = Arc::new(Server {
            opts,
            replica: Mutex::new(replica),
            reads,
            db: Mutex::new(db),
            catching_up: Mutex::new(()),
            paused: AtomicBool::new(false),
            ticks: AtomicU64::new(0),
            appends: Mutex::new(appends),
            waiting: Mutex::new(Some(waiting)),
        });
        server.catch_up()?;
        Ok(server)
    }

    /// The last sequence number applied.
    pub fn seq(&self) -> u64 {
        lock(&self.replica).seq
    }

    /// Applies the log from where this replica is to its end, storing a
    /// saved account at every multiple of `snapshot_every`. Gives the
    /// sequence number reached.
    ///
    /// # Errors
    ///
    /// The database is away, or the log does not apply.
    pub fn catch_up(&self) -> Result<u64, HostError> {
        let _one = lock(&self.catching_up);
        loop {
            let after = lock(&self.replica).seq;
            let rows = lock(&self.reads).with(|c| log::read(c, &self.opts.account, after, 1000))?;
            if rows.is_empty() {
                return Ok(after);
            }
            let mut snapshots = Vec::new();
            {
                let mut replica = lock(&self.replica);
                for row in &rows {
                    replica.apply(row)?;
                    if self.opts.snapshot_every > 0 && row.seq % self.opts.snapshot_every == 0 {
                        let saved = serde_json::to_string(&replica.account.save())
                            .map_err(|e| HostError::Stored(e.to_string()))?;
                        snapshots.push((row.seq, saved));
                    }
                }
            }
            for (seq, saved) in snapshots {
                // A snapshot that is not stored now is stored by another server.
                let _ = lock(&self.reads).with(|c| log::store_snapshot(c, &self.opts.account, seq, &saved));
            }
        }
    }

    /// Appends an event through this server's appender, which writes the
    /// events waiting together in one transaction; gives its sequence
    /// number.
    fn append(&self, id: &str, event: Event) -> Result<u64, HostError> {
        let body =
            serde_json::to_string(&Timed { at: now_ms(), event }).map_err(|e| HostError::Stored(e.to_string()))?;
        let (reply, answer) = mpsc::channel();
        lock(&self.appends)
            .send(Append { id: id.to_string(), body, reply })
            .map_err(|_| HostError::Stored("the appender stopped".into()))?;
        answer.recv().map_err(|_| HostError::Stored("the appender stopped".into()))?
    }

    /// The appender: takes every event waiting (up to 512), appends them in
    /// one transaction, trying three times over about a third of a second
    /// when the database fails (the same ids, so a commit that succeeded
    /// unseen is found, not repeated), and answers each.
    fn appender(&self, waiting: mpsc::Receiver<Append>) {
        while let Ok(first) = waiting.recv() {
            let mut batch = vec![first];
            while batch.len() < 512 {
                match waiting.try_recv() {
                    Ok(more) => batch.push(more),
                    Err(_) => break,
                }
            }
            let events: Vec<(String, String)> = batch.iter().map(|a| (a.id.clone(), a.body.clone())).collect();
            let mut result = Err(HostError::Unavailable("database unavailable".into()));
            for attempt in 0..3u64 {
                if attempt > 0 {
                    std::thread::sleep(Duration::from_millis(60 * attempt));
                }
                result = lock(&self.db).with(|c| log::append(c, &self.opts.account, &events));
                if result.is_ok() {
                    break;
                }
            }
            match result {
                Ok(seqs) => {
                    // Applied here once for all of them, if the database lets.
                    let _ = self.catch_up();
                    for (a, seq) in batch.into_iter().zip(seqs) {
                        let _ = a.reply.send(Ok(seq));
                    }
                }
                Err(e) => {
                    eprintln!("{}: appending {} events: {e}", self.opts.name, batch.len());
                    let why = e.to_string();
                    for a in batch {
                        let _ = a.reply.send(Err(HostError::Unavailable(why.clone())));
                    }
                }
            }
        }
    }

    /// Catches up until `seq` is applied.
    fn reach(&self, seq: u64) -> Result<(), HostError> {
        let mut at = 0;
        for _ in 0..100 {
            // Another thread may have applied it meanwhile.
            if lock(&self.replica).seq >= seq {
                return Ok(());
            }
            at = self.catch_up()?;
            if at >= seq {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Err(HostError::Stored(format!("the log did not reach {seq}: it ends at {at}")))
    }

    /// Answers one request.
    pub fn handle(&self, request: Request) -> Response {
        let unavailable = |e: HostError| match e {
            HostError::Unavailable(_) | HostError::Db(_) => Response::Unavailable { error: e.to_string() },
            other => Response::Failed { error: other.to_string() },
        };
        match request {
            Request::Event { id, event } => {
                let seq = match self.append(&id, event) {
                    Ok(seq) => seq,
                    Err(e) => return unavailable(e),
                };
                if let Err(e) = self.reach(seq) {
                    return unavailable(e);
                }
                let replica = lock(&self.replica);
                let outcome = replica.outcomes.get(&id).filter(|(at, _)| *at == seq).map(|(_, o)| o.clone());
                Response::Applied { seq, outcome }
            }
            Request::Save => {
                let last = match lock(&self.db).with(|c| log::last_seq(c, &self.opts.account)) {
                    Ok(last) => last,
                    Err(e) => return unavailable(e),
                };
                if let Err(e) = self.reach(last) {
                    return unavailable(e);
                }
                let replica = lock(&self.replica);
                match serde_json::to_string(&replica.account.save()) {
                    Ok(saved) => Response::Saved { seq: replica.seq, saved },
                    Err(e) => Response::Failed { error: e.to_string() },
                }
            }
            Request::Pause => {
                self.paused.store(true, Ordering::SeqCst);
                Response::Paused
            }
        }
    }

    /// Appends an `advance` when the account's next deadline is due.
    fn tick(&self) {
        if self.paused.load(Ordering::SeqCst) {
            return;
        }
        let due = lock(&self.replica).account.next_deadline();
        if due.is_some_and(|d| d <= now_ms()) {
            let n = self.ticks.fetch_add(1, Ordering::SeqCst);
            let id = format!("{}-{}-tick-{n}", self.opts.name, std::process::id());
            if self.append(&id, Event::AdvanceBy(0)).is_ok() {
                let _ = self.catch_up();
            }
        }
    }

    /// Serves requests on `listener` until the process ends, with a
    /// follower of the log and a watcher of deadlines beside.
    pub fn serve(self: &Arc<Self>, listener: TcpListener) {
        if let Some(waiting) = lock(&self.waiting).take() {
            let appender = Arc::clone(self);
            std::thread::spawn(move || appender.appender(waiting));
        }
        let follower = Arc::clone(self);
        std::thread::spawn(move || follower.follow());
        let ticker = Arc::clone(self);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(20));
                ticker.tick();
            }
        });
        for stream in listener.incoming().flatten() {
            let server = Arc::clone(self);
            std::thread::spawn(move || server.connection(stream));
        }
    }

    /// Applies what other servers append, woken by `NOTIFY` or every half
    /// second.
    fn follow(&self) {
        let Ok(mut listen) = Db::new(&self.opts.url) else { return };
        loop {
            let woke = listen.with(|c| {
                c.batch_execute(&format!("LISTEN {}", log::CHANNEL))?;
                let mut notifications = c.notifications();
                let mut waiting = notifications.timeout_iter(Duration::from_millis(500));
                waiting.next()?;
                Ok(())
            });
            if woke.is_err() {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = self.catch_up();
        }
    }

    /// One client's requests, a JSON object per line each way.
    fn connection(&self, stream: TcpStream) {
        // Answers are small: send each at once.
        let _ = stream.set_nodelay(true);
        let Ok(mut out) = stream.try_clone() else { return };
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            let response = match serde_json::from_str::<Request>(&line) {
                Ok(request) => self.handle(request),
                Err(e) => Response::Failed { error: format!("not a request: {e}") },
            };
            let Ok(mut text) = serde_json::to_string(&response) else { return };
            text.push('\n');
            if out.write_all(text.as_bytes()).is_err() {
                return;
            }
        }
    }
}
