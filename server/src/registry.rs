//! The accounts a process holds. An account is loaded on first use — from
//! its newest verified snapshot and the log after it — and kept in step by
//! its notification channel (`gg_a<num>`), which only the processes holding
//! it listen to; it is unloaded when idle. Appends go through here: one
//! transaction per batch of events, holding the account's row lock, in
//! which the server catches its copy up with the log, applies the new
//! events at the database's clock, and stores each with its answer.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use deadpool_postgres::Pool;
use groupgate::{Account, Event, Saved};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::db::{self, AccountRow, Logged};
use crate::error::{ApiError, ServerError};
use crate::replica::{Replica, Told};

/// Events read from the log per statement when catching up.
const READ_CHUNK: i64 = 1_000;
/// How long a read waits for the log to be applied up to its `after`.
const READ_WAIT: Duration = Duration::from_secs(2);
/// Notices kept for streams that fall behind; one that falls further
/// behind reads the log instead.
const TOLD_BUFFER: usize = 32;

/// One event to append: the client's id, the event, and its serde form as
/// stored (what a retry is compared with).
#[derive(Debug, Clone)]
pub struct Item {
    /// The client's id for the event.
    pub id: String,
    /// The event.
    pub event: Event,
    /// The event's serde form.
    pub body: String,
    /// A deadline's advance: appended only once the database's clock has
    /// reached this instant.
    pub not_before: Option<u64>,
}

/// What appending one item gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemAnswer {
    /// The event's answer (JSON), new or as stored for its id.
    Answer(String),
    /// The id is in the log with another event.
    Conflict,
    /// A deadline's advance before its time: not appended.
    NotYet,
}

/// How an append reaches the log.
///
/// `Fast`: the copy is taken to be current — its next log number and
/// clock are the head's, the database's clock is the last reading plus the
/// time since (a time it has certainly reached) — the events are applied
/// and written by one statement that checks all of that and commits
/// (`db::append_if_head`): one round trip, no lock held across it. When
/// the check fails (another server appended, an id is in the log already,
/// a clock disagrees) nothing is written, the copy — which applied events
/// that are not in the log — is dropped, and the append goes again
/// `Locked`: the account's row locked, its head, clock and the ids already
/// logged read, the events applied and inserted, committed — it cannot
/// race. An append naming an id this server appended lately (a retry) or
/// found taken goes `Locked` at once, so a client resending an id costs a
/// lookup, not a reload of the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Fast,
    Locked,
}

/// The database's clock as last read, and when the answer came: a lower
/// bound of its clock now is that value plus the time since (it was read
/// before the answer came). Readings older than [`DbClock::FRESH`] are not
/// used (clocks drift; the check in the statement is the guard).
#[derive(Default)]
struct DbClock(Mutex<Option<(u64, Instant)>>);

impl DbClock {
    const FRESH: Duration = Duration::from_secs(5);

    fn observe(&self, now: u64) {
        *lock(&self.0) = Some((now, Instant::now()));
    }

    /// A time the database's clock has reached, from a fresh reading.
    fn reached(&self) -> Option<u64> {
        let (at, when) = (*lock(&self.0))?;
        let age = when.elapsed();
        (age < Self::FRESH).then(|| at.saturating_add(u64::try_from(age.as_millis()).unwrap_or(u64::MAX)))
    }
}

/// Hashes of the last [`Recent::LEN`] event ids, a ring searched whole.
#[derive(Default)]
struct Recent {
    hashes: Vec<u64>,
    next: usize,
}

impl Recent {
    const LEN: usize = 64;

    fn holds(&self, hash: u64) -> bool {
        self.hashes.contains(&hash)
    }

    fn add(&mut self, hashes: &[u64]) {
        for h in hashes {
            if self.hashes.len() < Self::LEN {
                self.hashes.push(*h);
            } else if let Some(slot) = self.hashes.get_mut(self.next) {
                *slot = *h;
            }
            self.next = (self.next + 1) % Self::LEN;
        }
    }
}

/// Changes of the notification channels a process listens to.
#[derive(Debug)]
pub enum Listen {
    /// Listen to this account's channel.
    Add(i64),
    /// Stop listening to it.
    Remove(i64),
}

struct Pending {
    items: Vec<Item>,
    reply: oneshot::Sender<Result<Vec<ItemAnswer>, ApiError>>,
}

/// One account this process holds.
pub struct Loaded {
    /// Its id.
    pub id: String,
    row: AccountRow,
    state: tokio::sync::Mutex<Option<Replica>>,
    applied: watch::Sender<u64>,
    told: broadcast::Sender<Arc<Told>>,
    wake: mpsc::Sender<()>,
    last_used: AtomicU64,
    pending: Mutex<Vec<Pending>>,
    gone: AtomicBool,
    /// Hashes of the ids this server appended last, or found taken: an
    /// append naming one goes under the lock at once (see `Mode`).
    recent: Mutex<Recent>,
}

impl Loaded {
    /// The last log number applied here.
    pub fn applied(&self) -> u64 {
        *self.applied.borrow()
    }

    /// Notices as this server applies events, for a stream.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Told>> {
        self.told.subscribe()
    }

    /// Asks this account's follower to catch up with the log.
    pub fn wake(&self) {
        let _ = self.wake.try_send(());
    }

    /// Whether the account was deleted.
    pub fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Relaxed)
    }
}

/// The accounts this process holds, and what it needs to load more.
pub struct Registry {
    pool: Pool,
    snapshot_every: u64,
    idle: Duration,
    started: Instant,
    /// By id; for lookups only (no order of it reaches an output).
    accounts: Mutex<HashMap<String, Arc<Loaded>>>,
    by_num: Mutex<HashMap<i64, Weak<Loaded>>>,
    /// Key hash → its account (`None`: nobody's), forgotten whenever any
    /// key changes.
    keys: Mutex<HashMap<String, Option<String>>>,
    listen: mpsc::UnboundedSender<Listen>,
    /// Appended heads for the notifier: (account number, last log number).
    appended: mpsc::UnboundedSender<(i64, u64)>,
    /// The database's clock as last read.
    clock: DbClock,
    /// Keys for hashing event ids into [`Recent`].
    ids: std::hash::RandomState,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Registry {
    /// A registry on `pool`; changes of the channels to listen to go to
    /// `listen` (the listener task), appended heads to `appended` (the
    /// notifier, [`notifier`]).
    pub fn new(
        pool: Pool,
        snapshot_every: u64,
        idle: Duration,
        listen: mpsc::UnboundedSender<Listen>,
        appended: mpsc::UnboundedSender<(i64, u64)>,
    ) -> Self {
        Registry {
            appended,
            clock: DbClock::default(),
            ids: std::hash::RandomState::new(),
            pool,
            snapshot_every: snapshot_every.max(1),
            idle,
            started: Instant::now(),
            accounts: Mutex::new(HashMap::new()),
            by_num: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            listen,
        }
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// How many accounts are held.
    pub fn len(&self) -> usize {
        lock(&self.accounts).len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The channels of every held account (to listen to again after the
    /// listener reconnects), and a wake for each.
    pub fn channels(&self) -> Vec<i64> {
        let accounts = lock(&self.accounts);
        let mut nums: Vec<i64> = accounts.values().map(|l| l.row.num).collect();
        for l in accounts.values() {
            l.wake();
        }
        nums.sort_unstable();
        nums
    }

    /// A notification arrived on an account's channel: `payload` is the
    /// last log number appended, `0` when the account was deleted.
    pub fn notified(&self, num: i64, payload: &str) {
        let Some(loaded) = lock(&self.by_num).get(&num).and_then(Weak::upgrade) else { return };
        if payload == "0" {
            loaded.gone.store(true, Ordering::Relaxed);
            self.unload(&loaded.id);
        }
        // This server's own appends are applied already.
        if payload.parse::<u64>().is_ok_and(|seq| seq <= loaded.applied()) {
            return;
        }
        loaded.wake();
    }

    /// A reading of the database's clock taken just now (`db::NOW_MS`), for
    /// the appends that stamp events without reading it (see `Mode`).
    pub fn observe_db_clock(&self, now: u64) {
        self.clock.observe(now);
    }

    /// Forgets every cached key (one changed somewhere).
    pub fn keys_changed(&self) {
        lock(&self.keys).clear();
    }

    /// The account a key hash belongs to, `None` when it is nobody's.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn key_owner(&self, hash: &str) -> Result<Option<String>, ServerError> {
        if let Some(owner) = lock(&self.keys).get(hash) {
            return Ok(owner.clone());
        }
        let client = self.pool.get().await?;
        let row = client.query_opt("SELECT id FROM gg_accounts WHERE key_hash = $1", &[&hash]).await?;
        let id: Option<String> = row.map(|r| r.get(0));
        // Kept whether it is somebody's or nobody's: a client that keeps
        // sending a wrong key is answered without the database. Any key
        // created, rotated or deleted anywhere clears the cache (the
        // `gg_keys` notification, and a listener that reconnects).
        let mut keys = lock(&self.keys);
        if keys.len() > 100_000 {
            keys.clear();
        }
        keys.insert(hash.to_string(), id.clone());
        Ok(id)
    }

    /// The account `id`, held from now on if it was not.
    ///
    /// # Errors
    ///
    /// `404 unknown_account`; `503` when the database is away.
    pub async fn get(self: &Arc<Self>, id: &str) -> Result<Arc<Loaded>, ApiError> {
        if let Some(l) = lock(&self.accounts).get(id) {
            l.last_used.store(self.now(), Ordering::Relaxed);
            return Ok(l.clone());
        }
        let client = self.pool.get().await.map_err(ServerError::from)?;
        let row = db::account(&client, id).await?.ok_or_else(|| ApiError::unknown_account(id))?;
        drop(client);
        let (wake, woken) = mpsc::channel(1);
        let loaded = Arc::new(Loaded {
            id: id.to_string(),
            row,
            state: tokio::sync::Mutex::new(None),
            applied: watch::Sender::new(0),
            told: broadcast::Sender::new(TOLD_BUFFER),
            wake,
            last_used: AtomicU64::new(self.now()),
            pending: Mutex::new(Vec::new()),
            gone: AtomicBool::new(false),
            recent: Mutex::new(Recent::default()),
        });
        let loaded = {
            let mut accounts = lock(&self.accounts);
            if let Some(l) = accounts.get(id) {
                return Ok(l.clone());
            }
            accounts.insert(id.to_string(), loaded.clone());
            crate::metrics::accounts_loaded(accounts.len());
            loaded
        };
        lock(&self.by_num).insert(loaded.row.num, Arc::downgrade(&loaded));
        let _ = self.listen.send(Listen::Add(loaded.row.num));
        tokio::spawn(follow(self.clone(), Arc::downgrade(&loaded), woken));
        Ok(loaded)
    }

    /// Stops holding `id`.
    pub fn unload(&self, id: &str) {
        let removed = {
            let mut accounts = lock(&self.accounts);
            let removed = accounts.remove(id);
            crate::metrics::accounts_loaded(accounts.len());
            removed
        };
        if let Some(l) = removed {
            lock(&self.by_num).remove(&l.row.num);
            let _ = self.listen.send(Listen::Remove(l.row.num));
        }
    }

    /// Unloads the accounts nobody used for the idle time and nobody
    /// streams. Returns how many went.
    pub fn sweep(&self) -> usize {
        let now = self.now();
        let idle = u64::try_from(self.idle.as_millis()).unwrap_or(u64::MAX);
        let stale: Vec<String> = lock(&self.accounts)
            .values()
            .filter(|l| {
                now.saturating_sub(l.last_used.load(Ordering::Relaxed)) > idle
                    && l.told.receiver_count() == 0
                    && lock(&l.pending).is_empty()
            })
            .map(|l| l.id.clone())
            .collect();
        for id in &stale {
            self.unload(id);
        }
        stale.len()
    }

    /// Loads the account's copy when it has none: the newest snapshot
    /// whose checksum holds and that was verified by replay, then the log
    /// after it.
    async fn ensure(&self, loaded: &Loaded, state: &mut Option<Replica>) -> Result<(), ServerError> {
        if state.is_none() {
            self.ensure_loaded(loaded, state).await?;
        }
        self.catch_up(loaded, state).await
    }

    /// Loads the account's copy when it has none, without reading the log
    /// after the snapshot (the caller does).
    async fn ensure_loaded(&self, loaded: &Loaded, state: &mut Option<Replica>) -> Result<(), ServerError> {
        if state.is_none() {
            let replica = self.load(loaded).await?;
            let seq = replica.seq;
            *state = Some(replica);
            loaded.applied.send_if_modified(|applied| {
                let later = seq > *applied;
                *applied = (*applied).max(seq);
                later
            });
        }
        Ok(())
    }

    async fn load(&self, loaded: &Loaded) -> Result<Replica, ServerError> {
        let client = self.pool.get().await?;
        let mut replica = None;
        for snap in db::snapshots(&client, &loaded.id).await? {
            if !crate::keys::same_hash(&crate::keys::hash(&snap.saved), &snap.checksum) {
                crate::metrics::verification_failed("checksum");
                tracing::error!(account = %loaded.id, seq = snap.seq, "a snapshot's checksum fails: marked bad, not loaded");
                db::mark_snapshot(&client, &loaded.id, snap.seq, false).await?;
                continue;
            }
            if !snap.verified {
                continue;
            }
            let saved: Saved = serde_json::from_str(&snap.saved)
                .map_err(|e| ServerError::Stored(format!("snapshot {}: {e}", snap.seq)))?;
            let account =
                Account::from_saved(saved).map_err(|e| ServerError::Stored(format!("snapshot {}: {e}", snap.seq)))?;
            replica = Some(Replica { account, seq: snap.seq });
            break;
        }
        let replica = match replica {
            Some(r) => r,
            None => Replica::start(&loaded.row)?,
        };
        let head = db::next_seq(&client, &loaded.id).await?.unwrap_or(1);
        crate::metrics::snapshot_age(head.saturating_sub(1).saturating_sub(replica.seq));
        tracing::info!(account = %loaded.id, from = replica.seq, "loaded");
        Ok(replica)
    }

    /// Applies the log after the copy's position, publishing notices.
    async fn catch_up(&self, loaded: &Loaded, state: &mut Option<Replica>) -> Result<(), ServerError> {
        if state.is_none() {
            return Ok(());
        }
        let client = self.pool.get().await?;
        Self::catch_up_with(&client, loaded, state).await
    }

    /// [`Self::catch_up`] on a connection the caller holds (an append's,
    /// inside its lock: it must not wait for a second connection while it
    /// holds the first, nor leave its transaction idle).
    async fn catch_up_with(
        client: &impl deadpool_postgres::GenericClient,
        loaded: &Loaded,
        state: &mut Option<Replica>,
    ) -> Result<(), ServerError> {
        let Some(replica) = state.as_mut() else { return Ok(()) };
        loop {
            let rows = db::read_log(client, &loaded.id, replica.seq, None, READ_CHUNK).await?;
            if rows.is_empty() {
                return Ok(());
            }
            if let Some(first) = rows.first()
                && first.seq != replica.seq + 1
            {
                return Err(ServerError::Stored(format!(
                    "the log after {} starts at {}: pruned past this copy",
                    replica.seq, first.seq
                )));
            }
            for row in &rows {
                let started = Instant::now();
                let told = match replica.apply_logged(row) {
                    Ok(told) => told,
                    Err(e) => {
                        // This copy is wrong: load it again next time.
                        *state = None;
                        return Err(e);
                    }
                };
                crate::metrics::apply_latency(started.elapsed());
                publish(loaded, told);
            }
            crate::metrics::applied(rows.len());
        }
    }

    /// Catches the account up with the log (its follower's work).
    pub async fn follow_once(&self, loaded: &Loaded) {
        let mut state = loaded.state.lock().await;
        if let Err(e) = self.ensure(loaded, &mut state).await {
            tracing::warn!(account = %loaded.id, error = %e, "catching up failed");
            if matches!(e, ServerError::Stored(_)) {
                *state = None;
            }
        }
    }

    /// The account's copy, once it has applied the log at least up to
    /// `after` (read your own writes), waiting at most 2 s.
    ///
    /// # Errors
    ///
    /// `504` when the log was not applied that far in time; `503` when the
    /// database is away.
    pub async fn read<'a>(
        &self,
        loaded: &'a Loaded,
        after: Option<u64>,
    ) -> Result<tokio::sync::MutexGuard<'a, Option<Replica>>, ApiError> {
        if let Some(after) = after
            && loaded.applied() < after
        {
            let mut seen = loaded.applied.subscribe();
            loaded.wake();
            let reached = tokio::time::timeout(READ_WAIT, seen.wait_for(|seq| *seq >= after)).await;
            if !matches!(reached, Ok(Ok(_))) {
                return Err(ApiError::timeout(&format!("the log was not applied up to {after} within 2 s")));
            }
        }
        let mut state = loaded.state.lock().await;
        if state.is_none() {
            self.ensure(loaded, &mut state).await?;
        }
        Ok(state)
    }

    /// Appends `items` to the account's log, in order, and gives each one's
    /// answer. Concurrent appends to one account share a transaction.
    ///
    /// # Errors
    ///
    /// `404` when the account was deleted; `503` when the database is away
    /// (the events may or may not be in the log: sending them again with
    /// the same ids says which).
    pub async fn append(self: &Arc<Self>, loaded: &Arc<Loaded>, items: Vec<Item>) -> Result<Vec<ItemAnswer>, ApiError> {
        let (reply, answer) = oneshot::channel();
        lock(&loaded.pending).push(Pending { items, reply });
        // The work runs in a task of its own: a request dropped half way
        // (its client gone, its time up) must not leave this copy with
        // events applied and no commit to match.
        let (registry, loaded) = (self.clone(), loaded.clone());
        tokio::spawn(async move {
            let mut state = loaded.state.lock().await;
            let batch = std::mem::take(&mut *lock(&loaded.pending));
            if !batch.is_empty() {
                registry.commit(&loaded, &mut state, batch).await;
            }
        });
        answer.await.map_err(|_| ApiError::from(ServerError::Pool("the append was dropped".into())))?
    }

    async fn commit(&self, loaded: &Loaded, state: &mut Option<Replica>, batch: Vec<Pending>) {
        let started = Instant::now();
        let items: Vec<&Item> = batch.iter().flat_map(|p| p.items.iter()).collect();
        let hashes: Vec<u64> = items.iter().map(|i| self.ids.hash_one(&i.id)).collect();
        let known = hashes.iter().any(|h| lock(&loaded.recent).holds(*h));
        let mode = if known { Mode::Locked } else { Mode::Fast };
        let mut result = self.transact(loaded, state, &items, mode).await;
        if result.is_err() && state.is_none() && !loaded.is_gone() {
            // The copy was dropped (another server appended in between, an
            // id was in the log, the copy was ahead of the log, or a
            // commit's fate is unknown): once more from the log as it is,
            // under the account's lock. Events whose commit went through
            // after all are found by their ids.
            lock(&loaded.recent).add(&hashes);
            result = self.transact(loaded, state, &items, Mode::Locked).await;
        }
        crate::metrics::append_latency(started.elapsed());
        match result {
            Ok(mut answers) => {
                lock(&loaded.recent).add(&hashes);
                for p in batch {
                    let rest = answers.split_off(p.items.len().min(answers.len()));
                    let _ = p.reply.send(Ok(answers));
                    answers = rest;
                }
            }
            Err(e) => {
                for p in batch {
                    let _ = p.reply.send(Err(e.clone()));
                }
            }
        }
    }

    /// One append of `items`: the new events applied to the copy at the
    /// database's clock, then written. See [`Mode`] for the two ways.
    async fn transact(
        &self,
        loaded: &Loaded,
        state: &mut Option<Replica>,
        items: &[&Item],
        mode: Mode,
    ) -> Result<Vec<ItemAnswer>, ApiError> {
        if loaded.is_gone() {
            return Err(ApiError::unknown_account(&loaded.id));
        }
        let had_copy = state.is_some();
        self.ensure_loaded(loaded, state).await?;
        if mode == Mode::Locked || !had_copy {
            // A copy just loaded is at its snapshot: brought to the log's
            // end here, before any lock (a fast write would find the head
            // moved at once; a locked one would replay the log while its
            // lock holds every other server's appends up).
            self.catch_up(loaded, state).await?;
        }
        // Fast only with a fresh reading of the database's clock.
        let reached = self.clock.reached();
        let client = self.pool.get().await.map_err(ServerError::from)?;
        let (head, locked) = match (mode, state.as_ref(), reached) {
            (Mode::Fast, Some(replica), Some(now)) => (
                db::Head { next_seq: replica.seq + 1, last_at: replica.account.clock(), now, known: Vec::new() },
                false,
            ),
            _ => {
                let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
                match db::begin_and_lock(&client, &loaded.id, &ids).await {
                    Ok(Some(head)) => {
                        self.clock.observe(head.now);
                        (head, true)
                    }
                    Ok(None) => {
                        let _ = db::rollback(&client).await;
                        loaded.gone.store(true, Ordering::Relaxed);
                        return Err(ApiError::unknown_account(&loaded.id));
                    }
                    Err(e) => {
                        let _ = db::rollback(&client).await;
                        return Err(e.into());
                    }
                }
            }
        };
        let expected = head.next_seq;
        let (answers, fresh, told, last_at) = match self.apply_items(&client, loaded, state, head, items).await {
            Ok(applied) => applied,
            Err(e) => {
                if locked {
                    let _ = db::rollback(&client).await;
                }
                return Err(e);
            }
        };
        if fresh.is_empty() {
            if locked {
                let _ = db::rollback(&client).await;
            }
            return Ok(answers);
        }
        let next_deadline = state.as_ref().and_then(|r| r.account.next_deadline());
        let written = if locked {
            db::insert_and_commit(&client, &loaded.id, &fresh, last_at, next_deadline).await.map(|()| None)
        } else {
            db::append_if_head(&client, &loaded.id, expected, &fresh, next_deadline).await.map(Some)
        };
        match written {
            Ok(None) => {}
            Ok(Some(db::Written::Done { now })) => self.clock.observe(now),
            Ok(Some(refused)) => {
                // Nothing was written: the copy applied events that are
                // not in the log.
                if let db::Written::Moved { now } = refused {
                    self.clock.observe(now);
                }
                *state = None;
                crate::metrics::append_raced();
                return Err(ServerError::Raced("the log moved on during the append".into()).into());
            }
            Err(e) => {
                // The copy applied events that may not be in the log.
                *state = None;
                if locked {
                    let _ = db::rollback(&client).await;
                }
                return Err(e.into());
            }
        }
        drop(client);
        let last = fresh.last().map_or(0, |l| l.seq);
        let _ = self.appended.send((loaded.row.num, last));
        crate::metrics::appended(fresh.len());
        for t in told {
            publish(loaded, t);
        }
        let (first, last) = (fresh.first().map_or(0, |l| l.seq), fresh.last().map_or(0, |l| l.seq));
        if first.saturating_sub(1) / self.snapshot_every != last / self.snapshot_every
            && let Some(replica) = state.as_ref()
        {
            self.snapshot(&loaded.id, replica).await;
        }
        Ok(answers)
    }

    /// Between the head read and the write: catches the copy up with what
    /// others appended before the head was read, then applies the new items at the
    /// database's clock. Gives each item's answer, the new log rows, their
    /// notices, and the clock after them.
    async fn apply_items(
        &self,
        client: &impl deadpool_postgres::GenericClient,
        loaded: &Loaded,
        state: &mut Option<Replica>,
        head: db::Head,
        items: &[&Item],
    ) -> Result<(Vec<ItemAnswer>, Vec<Logged>, Vec<Told>, u64), ApiError> {
        if state.as_ref().is_some_and(|r| r.seq + 1 < head.next_seq) {
            Self::catch_up_with(client, loaded, state).await?;
        }
        let Some(replica) = state.as_mut() else {
            return Err(ServerError::Stored("the account's copy was dropped".into()).into());
        };
        if replica.seq + 1 != head.next_seq {
            // The log holds more than the head said: the head was read under
            // a lock that no longer holds (PostgreSQL ends a transaction
            // left idle 2 s), and another server appended. Nothing is
            // written; the client may send it again.
            let message = format!("this copy is at {} while the log's next is {}", replica.seq, head.next_seq);
            *state = None;
            return Err(ServerError::Raced(message).into());
        }
        // For lookups only.
        let mut known: HashMap<String, (String, String)> =
            head.known.into_iter().map(|(id, body, answer)| (id, (body, answer))).collect();
        let mut fresh: Vec<Logged> = Vec::new();
        let mut told: Vec<Told> = Vec::new();
        let mut answers = Vec::with_capacity(items.len());
        let mut last_at = head.last_at;
        for item in items {
            if let Some((body, answer)) = known.get(&item.id) {
                answers.push(if *body == item.body {
                    ItemAnswer::Answer(answer.clone())
                } else {
                    ItemAnswer::Conflict
                });
                continue;
            }
            let at = last_at.max(head.now);
            if item.not_before.is_some_and(|t| at < t) {
                answers.push(ItemAnswer::NotYet);
                continue;
            }
            let seq = replica.seq + 1;
            let started = Instant::now();
            let (answer, t) = replica.apply(seq, at, &item.event);
            crate::metrics::apply_latency(started.elapsed());
            last_at = at;
            known.insert(item.id.clone(), (item.body.clone(), answer.clone()));
            fresh.push(Logged { seq, event_id: item.id.clone(), at, body: item.body.clone(), answer: answer.clone() });
            told.push(t);
            answers.push(ItemAnswer::Answer(answer));
        }
        Ok((answers, fresh, told, last_at))
    }

    /// Writes a snapshot of `replica` (verified later, by replay).
    async fn snapshot(&self, account: &str, replica: &Replica) {
        let saved = match serde_json::to_string(&replica.account.save()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(account, error = %e, "a saved account did not write");
                return;
            }
        };
        let checksum = crate::keys::hash(&saved);
        let written = async {
            let client = self.pool.get().await?;
            db::store_snapshot(&client, account, replica.seq, &saved, &checksum).await
        }
        .await;
        if let Err(e) = written {
            tracing::warn!(account, seq = replica.seq, error = %e, "a snapshot was not written");
        }
    }
}

impl Registry {
    /// Compares the heads of every held account with what this server
    /// applied, and wakes those behind: what a lost notification (a server
    /// that died between its commit and its notification) would leave
    /// behind is caught up within one check. Returns how many were woken.
    ///
    /// # Errors
    ///
    /// The database's error.
    pub async fn check_heads(&self) -> Result<usize, ServerError> {
        let held: Vec<(String, Arc<Loaded>)> =
            lock(&self.accounts).iter().map(|(id, l)| (id.clone(), l.clone())).collect();
        if held.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = held.iter().map(|(id, _)| id.clone()).collect();
        let client = self.pool.get().await?;
        let heads: HashMap<String, u64> = db::heads(&client, &ids).await?.into_iter().collect();
        let mut woken = 0;
        let mut lag = 0;
        for (id, l) in &held {
            let last = heads.get(id).map_or(0, |next| next.saturating_sub(1));
            if last > l.applied() {
                lag += last - l.applied();
                l.wake();
                woken += 1;
            }
        }
        crate::metrics::log_lag(lag);
        Ok(woken)
    }
}

/// Tells other servers of this server's appends: gathers the heads
/// appended for up to 2 ms after the first, keeps each account's last, and
/// sends them as one statement — one notification commit for many appends.
pub async fn notifier(pool: Pool, mut appended: mpsc::UnboundedReceiver<(i64, u64)>) {
    while let Some(first) = appended.recv().await {
        let mut heads: HashMap<i64, u64> = HashMap::from([first]);
        let until = tokio::time::Instant::now() + Duration::from_millis(2);
        while let Ok(Some((num, seq))) = tokio::time::timeout_at(until, appended.recv()).await {
            let e = heads.entry(num).or_insert(seq);
            *e = (*e).max(seq);
        }
        let mut heads: Vec<(i64, u64)> = heads.into_iter().collect();
        heads.sort_unstable();
        let sent = async {
            let client = pool.get().await?;
            db::notify(&client, &heads).await
        }
        .await;
        if let Err(e) = sent {
            // The others catch up at their next check of heads.
            tracing::warn!(error = %e, accounts = heads.len(), "notifying other servers failed");
        }
    }
}

/// Publishes one applied event's notices and position.
fn publish(loaded: &Loaded, told: Told) {
    let seq = told.seq;
    let _ = loaded.told.send(Arc::new(told));
    loaded.applied.send_replace(seq);
}

/// An account's follower: catches up whenever woken, until the account is
/// unloaded.
async fn follow(registry: Arc<Registry>, loaded: Weak<Loaded>, mut woken: mpsc::Receiver<()>) {
    while woken.recv().await.is_some() {
        let Some(l) = loaded.upgrade() else { break };
        registry.follow_once(&l).await;
    }
}
