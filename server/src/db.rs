//! The schema and every statement. Every table is keyed by account first
//! and no transaction touches two accounts, so accounts can be spread over
//! several PostgreSQL clusters by account (see the README).
//!
//! - `gg_accounts`: one row per account — its initial state (the account
//!   file: configuration and statuses), its start, its key's hash, the next
//!   log number, the clock after its last event, its next deadline and the
//!   server leading its deadlines. Appends lock this row, so an account's
//!   events are numbered one at a time and a reader never sees N + 1
//!   without N.
//! - `gg_events`: the log, gap-free per account, with the client's event
//!   id (unique per account) and the answer the event got, so that a retry
//!   is answered the same on any server at any time.
//! - `gg_snapshots`: saved accounts (R32) at log numbers, with a checksum,
//!   verified by replay before use.
//! - `gg_servers`: each process's heartbeat, by which leadership of
//!   deadlines passes on when a process dies.
//!
//! Times in the tables are the database's: milliseconds since 1970 by its
//! `clock_timestamp()`.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::error::ServerError;

/// The schema's version; `migrate` brings a database to it.
pub const SCHEMA_VERSION: i32 = 1;

/// The database's clock in milliseconds since 1970, as SQL.
pub const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// A pool of at most `size` connections to `url` (a libpq key-value string
/// or a `postgres://` URL). Statements and lock waits are limited to 5 s;
/// waiting for a connection to 2 s, so a request fails rather than hangs
/// while the database is away.
///
/// # Errors
///
/// [`ServerError::Config`] when `url` does not parse.
pub fn pool(url: &str, size: usize) -> Result<Pool, ServerError> {
    let config = pg_config(url)?;
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(2)))
        .create_timeout(Some(Duration::from_secs(2)))
        .recycle_timeout(Some(Duration::from_secs(2)))
        .build()
        .map_err(|e| ServerError::Config(e.to_string()))
}

/// The connection settings for `url`, with the server's timeouts.
///
/// # Errors
///
/// [`ServerError::Config`] when `url` does not parse.
pub fn pg_config(url: &str) -> Result<tokio_postgres::Config, ServerError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| ServerError::Config(e.to_string()))?;
    config
        .connect_timeout(Duration::from_secs(2))
        .tcp_user_timeout(Duration::from_secs(5))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(5))
        .options("-c statement_timeout=5000 -c lock_timeout=3000 -c idle_in_transaction_session_timeout=2000 -c plan_cache_mode=force_generic_plan");
    Ok(config)
}

/// Creates the tables, or checks that they are at [`SCHEMA_VERSION`];
/// several processes starting together migrate one at a time.
///
/// # Errors
///
/// The database's error, or a database whose schema is newer than this
/// server's.
pub async fn migrate(pool: &Pool) -> Result<(), ServerError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // One migration at a time, whatever the number of processes.
    tx.execute("SELECT pg_advisory_xact_lock(7468270)", &[]).await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS gg_meta (key TEXT PRIMARY KEY, value INT NOT NULL);
         CREATE TABLE IF NOT EXISTS gg_accounts (
             id TEXT PRIMARY KEY,
             num BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
             initial TEXT NOT NULL,
             start_at BIGINT NOT NULL,
             key_hash TEXT NOT NULL,
             next_seq BIGINT NOT NULL DEFAULT 1,
             last_at BIGINT NOT NULL,
             next_deadline BIGINT,
             leader TEXT,
             created TIMESTAMPTZ NOT NULL DEFAULT now());
         -- Every append updates its account's row: half of each page is
         -- left free so that the new version goes on the same page (a HOT
         -- update: no index entry, the old version pruned with the page
         -- instead of waiting for a vacuum).
         ALTER TABLE gg_accounts SET (fillfactor = 50);
         CREATE INDEX IF NOT EXISTS gg_accounts_by_deadline ON gg_accounts (next_deadline)
             WHERE next_deadline IS NOT NULL;
         CREATE TABLE IF NOT EXISTS gg_events (
             account TEXT NOT NULL REFERENCES gg_accounts ON DELETE CASCADE,
             seq BIGINT NOT NULL,
             event_id TEXT NOT NULL,
             at BIGINT NOT NULL,
             body TEXT NOT NULL,
             answer TEXT NOT NULL,
             appended TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
             PRIMARY KEY (account, seq),
             UNIQUE (account, event_id));
         -- Only the account and the number are ever compared in ranges;
         -- ids are looked up one by one through their unique index, and
         -- the rest is never searched: no statistics for them, so an
         -- ANALYZE of the log (autovacuum's, while appends go on) does not
         -- spend a fifth of a second of processor sorting their text.
         ALTER TABLE gg_events ALTER COLUMN body SET STATISTICS 0, ALTER COLUMN answer SET STATISTICS 0,
             ALTER COLUMN event_id SET STATISTICS 0, ALTER COLUMN at SET STATISTICS 0,
             ALTER COLUMN appended SET STATISTICS 0;
         CREATE TABLE IF NOT EXISTS gg_snapshots (
             account TEXT NOT NULL REFERENCES gg_accounts ON DELETE CASCADE,
             seq BIGINT NOT NULL,
             saved TEXT NOT NULL,
             checksum TEXT NOT NULL,
             verified BOOLEAN NOT NULL DEFAULT false,
             bad BOOLEAN NOT NULL DEFAULT false,
             written TIMESTAMPTZ NOT NULL DEFAULT now(),
             PRIMARY KEY (account, seq));
         CREATE TABLE IF NOT EXISTS gg_servers (
             name TEXT PRIMARY KEY,
             alive_until TIMESTAMPTZ NOT NULL);",
    )
    .await?;
    let version: Option<i32> =
        tx.query_opt("SELECT value FROM gg_meta WHERE key = 'schema'", &[]).await?.map(|r| r.get(0));
    match version {
        None => {
            tx.execute("INSERT INTO gg_meta VALUES ('schema', $1)", &[&SCHEMA_VERSION]).await?;
        }
        Some(v) if v > SCHEMA_VERSION => {
            return Err(ServerError::Config(format!(
                "the database's schema is version {v}, newer than this server's {SCHEMA_VERSION}"
            )));
        }
        Some(_) => {}
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the schema is this server's version (for `/readyz`).
///
/// # Errors
///
/// The database's error.
pub async fn schema_current(client: &impl GenericClient) -> Result<bool, ServerError> {
    let row = client.query_opt("SELECT value FROM gg_meta WHERE key = 'schema'", &[]).await?;
    Ok(row.is_some_and(|r| r.get::<_, i32>(0) == SCHEMA_VERSION))
}

/// A log number or instant to store in a BIGINT column.
///
/// # Errors
///
/// [`ServerError::Stored`] past `i64::MAX` (never cast with `as`).
pub fn to_db(value: u64) -> Result<i64, ServerError> {
    i64::try_from(value).map_err(|_| ServerError::Stored(format!("{value} does not fit a BIGINT")))
}

/// A log number or instant read from a BIGINT column.
///
/// # Errors
///
/// [`ServerError::Stored`] when negative.
pub fn from_db(value: i64) -> Result<u64, ServerError> {
    u64::try_from(value).map_err(|_| ServerError::Stored(format!("{value} is negative")))
}

/// The database's clock, in milliseconds since 1970.
///
/// # Errors
///
/// The database's error.
pub async fn now_ms(client: &impl GenericClient) -> Result<u64, ServerError> {
    from_db(client.query_one(&format!("SELECT {NOW_MS}"), &[]).await?.get(0))
}

// ----- accounts -------------------------------------------------------------

/// An account as stored: what it starts from.
#[derive(Debug, Clone)]
pub struct AccountRow {
    /// Its number, for the notification channel's name.
    pub num: i64,
    /// The account file (configuration and statuses) as JSON.
    pub initial: String,
    /// The clock it started at (R26).
    pub start: u64,
}

/// Creates an account; `start` `None` is the database's clock now. `false`
/// when the id is taken.
///
/// # Errors
///
/// The database's error.
pub async fn create_account(
    client: &impl GenericClient,
    id: &str,
    initial: &str,
    start: Option<u64>,
    key_hash: &str,
) -> Result<bool, ServerError> {
    let start = start.map(to_db).transpose()?;
    let n = client
        .execute(
            &format!(
                "INSERT INTO gg_accounts (id, initial, start_at, key_hash, last_at)
                 SELECT $1, $2, s, $4, s FROM (SELECT coalesce($3, {NOW_MS}) AS s) AS t
                 ON CONFLICT (id) DO NOTHING"
            ),
            &[&id, &initial, &start, &key_hash],
        )
        .await?;
    Ok(n == 1)
}

/// The account's starting point, `None` when there is no such account.
///
/// # Errors
///
/// The database's error.
pub async fn account(client: &impl GenericClient, id: &str) -> Result<Option<AccountRow>, ServerError> {
    let row = client.query_opt("SELECT num, initial, start_at FROM gg_accounts WHERE id = $1", &[&id]).await?;
    row.map(|r| Ok(AccountRow { num: r.get(0), initial: r.get(1), start: from_db(r.get(2))? })).transpose()
}

/// Deletes an account with its log, snapshots and key; `false` when there
/// was none. Tells the servers holding it.
///
/// # Errors
///
/// The database's error.
pub async fn delete_account(client: &impl GenericClient, id: &str) -> Result<bool, ServerError> {
    let rows = client
        .query(
            "WITH gone AS (DELETE FROM gg_accounts WHERE id = $1 RETURNING num)
             SELECT pg_notify('gg_keys', $1), pg_notify('gg_a' || num, '0') FROM gone",
            &[&id],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Replaces the account's key hash; `false` when there is no such account.
/// Tells every server, so that the old key stops working everywhere.
///
/// # Errors
///
/// The database's error.
pub async fn set_key(client: &impl GenericClient, id: &str, key_hash: &str) -> Result<bool, ServerError> {
    let rows = client
        .query(
            "WITH changed AS (UPDATE gg_accounts SET key_hash = $2 WHERE id = $1 RETURNING id)
             SELECT pg_notify('gg_keys', id) FROM changed",
            &[&id, &key_hash],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// The account's key hash, `None` when there is no such account.
///
/// # Errors
///
/// The database's error.
pub async fn key_hash(client: &impl GenericClient, id: &str) -> Result<Option<String>, ServerError> {
    Ok(client.query_opt("SELECT key_hash FROM gg_accounts WHERE id = $1", &[&id]).await?.map(|r| r.get(0)))
}

// ----- the log --------------------------------------------------------------

/// One event of the log.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Its place, from 1.
    pub seq: u64,
    /// The id its sender chose.
    pub event_id: String,
    /// When it happened, by the database's clock.
    pub at: u64,
    /// The event, as its serde form.
    pub body: String,
    /// The answer it got, as JSON.
    pub answer: String,
}

fn logged(r: &tokio_postgres::Row) -> Result<Logged, ServerError> {
    Ok(Logged { seq: from_db(r.get(0))?, event_id: r.get(1), at: from_db(r.get(2))?, body: r.get(3), answer: r.get(4) })
}

/// Up to `limit` events after `after`, and up to `until` when given, in
/// order.
///
/// # Errors
///
/// The database's error, or a stored number out of range.
pub async fn read_log(
    client: &impl GenericClient,
    account: &str,
    after: u64,
    until: Option<u64>,
    limit: i64,
) -> Result<Vec<Logged>, ServerError> {
    let until = to_db(until.unwrap_or(i64::MAX.unsigned_abs()).min(i64::MAX.unsigned_abs()))?;
    let statement = client
        .prepare_cached(
            "SELECT seq, event_id, at, body, answer FROM gg_events
             WHERE account = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
        )
        .await?;
    let rows = client.query(&statement, &[&account, &to_db(after)?, &until, &limit]).await?;
    rows.iter().map(logged).collect()
}

/// The head of an account's log, locked for an append until the
/// transaction ends, and what the log already holds under the ids about to
/// be appended.
#[derive(Debug, Clone)]
pub struct Head {
    /// The number the next event gets.
    pub next_seq: u64,
    /// The clock after the last event (the start for none).
    pub last_at: u64,
    /// The database's clock now.
    pub now: u64,
    /// The logged events among the ids asked about: (id, body, answer).
    pub known: Vec<(String, String, String)>,
}

/// Locks the account's row for an append, and reads which of `ids` the log
/// holds: opens a transaction, locks, then reads the ids — three
/// statements pipelined, one round trip. The ids are read by a statement of
/// their own, after the lock is held, so that (read committed) it sees an
/// event another server committed while this one waited for the lock.
/// `None` when there is no such account (the transaction stays open:
/// [`rollback`] it).
///
/// # Errors
///
/// The database's error (the transaction may be open: [`rollback`] it).
pub async fn begin_and_lock(
    client: &deadpool_postgres::Object,
    account: &str,
    ids: &[&str],
) -> Result<Option<Head>, ServerError> {
    let lock = client
        .prepare_cached(&format!("SELECT next_seq, last_at, {NOW_MS} FROM gg_accounts WHERE id = $1 FOR UPDATE"))
        .await?;
    let known = client
        .prepare_cached(
            // One index lookup per id: OFFSET 0 keeps the planner from turning
            // this into a scan of the account's whole log.
            "SELECT e.event_id, e.body, e.answer FROM unnest($2::TEXT[]) AS i(id),
             LATERAL (SELECT event_id, body, answer FROM gg_events
                      WHERE account = $1 AND event_id = i.id OFFSET 0) e",
        )
        .await?;
    let lock_params: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&account];
    let known_params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&account, &ids];
    let (begun, head, rows) = tokio::join!(
        client.batch_execute("BEGIN"),
        client.query_opt(&lock, &lock_params),
        client.query(&known, &known_params)
    );
    begun?;
    let Some(r) = head? else { return Ok(None) };
    let known = rows?.iter().map(|k| (k.get(0), k.get(1), k.get(2))).collect();
    Ok(Some(Head { next_seq: from_db(r.get(0))?, last_at: from_db(r.get(1))?, now: from_db(r.get(2))?, known }))
}

/// New log rows as the column arrays an `INSERT … SELECT … unnest(…)`
/// takes.
struct Columns<'a> {
    seqs: Vec<i64>,
    ats: Vec<i64>,
    ids: Vec<&'a str>,
    bodies: Vec<&'a str>,
    answers: Vec<&'a str>,
}

impl<'a> Columns<'a> {
    fn of(events: &'a [Logged]) -> Result<Self, ServerError> {
        Ok(Columns {
            seqs: events.iter().map(|e| to_db(e.seq)).collect::<Result<_, _>>()?,
            ats: events.iter().map(|e| to_db(e.at)).collect::<Result<_, _>>()?,
            ids: events.iter().map(|e| e.event_id.as_str()).collect(),
            bodies: events.iter().map(|e| e.body.as_str()).collect(),
            answers: events.iter().map(|e| e.answer.as_str()).collect(),
        })
    }
}

/// What [`append_if_head`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The events are in the log.
    Done {
        /// The database's clock when they were written.
        now: u64,
    },
    /// Nothing was written: the head had moved, or the first stamp was
    /// behind the log's clock or the last ahead of the database's.
    Moved {
        /// The database's clock then.
        now: u64,
    },
    /// Nothing was written: an id is in the log already.
    Taken,
}

/// Appends `events` — numbered from `expected_next`, stamped by the
/// caller — if the account's head is still `expected_next`, the log's
/// clock is at most the first stamp and the database's clock has reached
/// the last; moves the head on with the clock and the next deadline. One
/// statement in a transaction of its own, one round trip: the whole of an
/// append whose copy is current and whose ids are new, with no lock held
/// across a round trip.
///
/// # Errors
///
/// The database's error; the events may or may not be committed after a
/// connection error (appending the same ids again says which).
pub async fn append_if_head(
    client: &impl GenericClient,
    account: &str,
    expected_next: u64,
    events: &[Logged],
    next_deadline: Option<u64>,
) -> Result<Written, ServerError> {
    let Columns { seqs, ats, ids, bodies, answers } = Columns::of(events)?;
    let last = seqs.last().copied().unwrap_or(0);
    let (first_at, last_at) = (ats.first().copied().unwrap_or(0), ats.last().copied().unwrap_or(0));
    let next_deadline = next_deadline.map(to_db).transpose()?;
    let statement = client
        .prepare_cached(&format!(
            // The UPDATE waits for a concurrent append's row lock and then
            // reads the row it committed: a moved head matches no row, and
            // nothing is inserted.
            "WITH head AS (
                 UPDATE gg_accounts SET next_seq = $7::BIGINT + 1, last_at = $8, next_deadline = $9
                 WHERE id = $1 AND next_seq = $10 AND last_at <= $11 AND $8 <= {NOW_MS}
                 RETURNING 1
             ), ins AS (
                 INSERT INTO gg_events (account, seq, event_id, at, body, answer)
                 SELECT $1, t.* FROM unnest($2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::TEXT[]) AS t
                 WHERE EXISTS (SELECT 1 FROM head)
             )
             SELECT (SELECT count(*) FROM head), {NOW_MS}"
        ))
        .await?;
    let expected = to_db(expected_next)?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 11] =
        [&account, &seqs, &ids, &ats, &bodies, &answers, &last, &last_at, &next_deadline, &expected, &first_at];
    // BEGIN, the statement, COMMIT, pipelined: one round trip. The answer
    // counts only once the COMMIT's has come: a statement left to commit
    // on its own would not commit on a connection that is, for whatever
    // reason, inside a transaction block — and its rows would be answered
    // all the same. (The fault test once saw a copy ahead of the log, an
    // append answered that was not in it; this closes that door whatever
    // opened it.)
    let (begun, row, committed) = tokio::join!(
        client.batch_execute("BEGIN"),
        client.query_one(&statement, &params),
        client.batch_execute("COMMIT")
    );
    begun?;
    // A failed statement aborts the transaction, and the COMMIT after it
    // rolls back.
    let row = match row {
        Ok(row) => row,
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            committed?;
            return Ok(Written::Taken);
        }
        Err(e) => return Err(e.into()),
    };
    committed?;
    let now = from_db(row.get(1))?;
    Ok(if row.get::<_, i64>(0) == 1 { Written::Done { now } } else { Written::Moved { now } })
}

/// Ends the transaction [`begin_and_lock`] opened without writing.
///
/// # Errors
///
/// The database's error.
pub async fn rollback(client: &deadpool_postgres::Object) -> Result<(), ServerError> {
    client.batch_execute("ROLLBACK").await?;
    Ok(())
}

/// Inserts new events (numbered from the head's `next_seq`, in order),
/// moves the head on, records the account's next deadline, and commits the
/// transaction [`begin_and_lock`] opened: one prepared statement and the
/// commit, pipelined — one round trip. The servers holding the account are
/// told afterwards, by [`notify`]: a `NOTIFY` inside every append would
/// serialize all appends on PostgreSQL's notification lock at commit.
///
/// # Errors
///
/// The database's error; the events may or may not be committed after an
/// error at the commit (appending the same ids again says which).
pub async fn insert_and_commit(
    client: &deadpool_postgres::Object,
    account: &str,
    events: &[Logged],
    last_at: u64,
    next_deadline: Option<u64>,
) -> Result<(), ServerError> {
    let Columns { seqs, ats, ids, bodies, answers } = Columns::of(events)?;
    let last = seqs.last().copied().unwrap_or(0);
    let next_deadline = next_deadline.map(to_db).transpose()?;
    let statement = client
        .prepare_cached(
            "WITH ins AS (
                 INSERT INTO gg_events (account, seq, event_id, at, body, answer)
                 SELECT $1, * FROM unnest($2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::TEXT[])
             )
             UPDATE gg_accounts SET next_seq = $7::BIGINT + 1, last_at = $8, next_deadline = $9 WHERE id = $1",
        )
        .await?;
    let last_at = to_db(last_at)?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] =
        [&account, &seqs, &ids, &ats, &bodies, &answers, &last, &last_at, &next_deadline];
    let (inserted, committed) = tokio::join!(client.execute(&statement, &params), client.batch_execute("COMMIT"));
    // A failed insert aborts the transaction, and the COMMIT after it
    // rolls back.
    inserted?;
    committed?;
    Ok(())
}

/// Tells the servers holding these accounts (by number) that their logs
/// reached these numbers: one statement, one commit, however many.
///
/// # Errors
///
/// The database's error.
pub async fn notify(client: &impl GenericClient, heads: &[(i64, u64)]) -> Result<(), ServerError> {
    let nums: Vec<i64> = heads.iter().map(|(n, _)| *n).collect();
    let seqs = heads.iter().map(|(_, s)| to_db(*s)).collect::<Result<Vec<i64>, _>>()?;
    let statement = client
        .prepare_cached(
            "SELECT count(pg_notify('gg_a' || n, s::TEXT)) FROM unnest($1::BIGINT[], $2::BIGINT[]) AS t(n, s)",
        )
        .await?;
    client.query_one(&statement, &[&nums, &seqs]).await?;
    Ok(())
}

/// The next log numbers of these accounts, for a server checking that it
/// missed no notification.
///
/// # Errors
///
/// The database's error.
pub async fn heads(client: &impl GenericClient, accounts: &[String]) -> Result<Vec<(String, u64)>, ServerError> {
    let statement = client.prepare_cached("SELECT id, next_seq FROM gg_accounts WHERE id = ANY($1)").await?;
    let rows = client.query(&statement, &[&accounts]).await?;
    rows.iter().map(|r| Ok((r.get(0), from_db(r.get(1))?))).collect()
}

/// The account's next log number (one past its last event); `None` when
/// there is no such account.
///
/// # Errors
///
/// The database's error.
pub async fn next_seq(client: &impl GenericClient, account: &str) -> Result<Option<u64>, ServerError> {
    let row = client.query_opt("SELECT next_seq FROM gg_accounts WHERE id = $1", &[&account]).await?;
    row.map(|r| from_db(r.get(0))).transpose()
}

// ----- snapshots ------------------------------------------------------------

/// A saved account in the database.
#[derive(Debug, Clone)]
pub struct SnapshotRow {
    /// The log number it was saved at.
    pub seq: u64,
    /// The saved account, JSON.
    pub saved: String,
    /// The SHA-256 of `saved`, hex, as written.
    pub checksum: String,
    /// Whether a replay from the previous one gave the same.
    pub verified: bool,
}

/// The account's snapshots not known to be bad, newest first.
///
/// # Errors
///
/// The database's error.
pub async fn snapshots(client: &impl GenericClient, account: &str) -> Result<Vec<SnapshotRow>, ServerError> {
    let rows = client
        .query(
            "SELECT seq, saved, checksum, verified FROM gg_snapshots
             WHERE account = $1 AND NOT bad ORDER BY seq DESC",
            &[&account],
        )
        .await?;
    rows.iter()
        .map(|r| Ok(SnapshotRow { seq: from_db(r.get(0))?, saved: r.get(1), checksum: r.get(2), verified: r.get(3) }))
        .collect()
}

/// Stores a saved account at `seq`, not yet verified; another server's
/// copy at the same number is kept.
///
/// # Errors
///
/// The database's error.
pub async fn store_snapshot(
    client: &impl GenericClient,
    account: &str,
    seq: u64,
    saved: &str,
    checksum: &str,
) -> Result<(), ServerError> {
    client
        .execute(
            "INSERT INTO gg_snapshots (account, seq, saved, checksum) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[&account, &to_db(seq)?, &saved, &checksum],
        )
        .await?;
    Ok(())
}

/// Marks a snapshot verified (`true`) or bad (`false`).
///
/// # Errors
///
/// The database's error.
pub async fn mark_snapshot(
    client: &impl GenericClient,
    account: &str,
    seq: u64,
    good: bool,
) -> Result<(), ServerError> {
    client
        .execute(
            "UPDATE gg_snapshots SET verified = $3, bad = NOT $3 WHERE account = $1 AND seq = $2",
            &[&account, &to_db(seq)?, &good],
        )
        .await?;
    Ok(())
}

/// Snapshots written but not yet verified, oldest first, of any account.
///
/// # Errors
///
/// The database's error.
pub async fn unverified_snapshots(client: &impl GenericClient, limit: i64) -> Result<Vec<(String, u64)>, ServerError> {
    let rows = client
        .query(
            "SELECT account, seq FROM gg_snapshots WHERE NOT verified AND NOT bad ORDER BY written LIMIT $1",
            &[&limit],
        )
        .await?;
    rows.iter().map(|r| Ok((r.get(0), from_db(r.get(1))?))).collect()
}

/// Removes what the account's newest verified snapshots make unneeded:
/// snapshots older than the second newest verified one, and the events up
/// to it appended more than `retention` ago (their answers stay until
/// then). Returns how many events went.
///
/// # Errors
///
/// The database's error.
pub async fn prune(client: &impl GenericClient, account: &str, retention: Duration) -> Result<u64, ServerError> {
    let keep: Option<i64> = client
        .query_opt(
            "SELECT seq FROM gg_snapshots WHERE account = $1 AND verified ORDER BY seq DESC OFFSET 1 LIMIT 1",
            &[&account],
        )
        .await?
        .map(|r| r.get(0));
    let Some(keep) = keep else { return Ok(0) };
    client.execute("DELETE FROM gg_snapshots WHERE account = $1 AND seq < $2", &[&account, &keep]).await?;
    let secs = f64::from(u32::try_from(retention.as_secs()).unwrap_or(u32::MAX));
    let gone = client
        .execute(
            "DELETE FROM gg_events WHERE account = $1 AND seq <= $2
             AND appended < now() - make_interval(secs => $3)",
            &[&account, &keep, &secs],
        )
        .await?;
    Ok(gone)
}

// ----- servers and deadlines ------------------------------------------------

/// Records that server `name` is alive for `lease` more, by the
/// database's clock.
///
/// # Errors
///
/// The database's error.
pub async fn heartbeat(client: &impl GenericClient, name: &str, lease: Duration) -> Result<(), ServerError> {
    let secs = lease.as_secs_f64();
    client
        .execute(
            "INSERT INTO gg_servers (name, alive_until) VALUES ($1, now() + make_interval(secs => $2))
             ON CONFLICT (name) DO UPDATE SET alive_until = excluded.alive_until",
            &[&name, &secs],
        )
        .await?;
    Ok(())
}

/// An account whose deadline is due (or nearly), led by this server.
#[derive(Debug, Clone)]
pub struct Due {
    /// The account.
    pub account: String,
    /// Its next deadline.
    pub at: u64,
}

/// The accounts whose next deadline is due by `horizon` ms from the
/// database's clock and that `me` leads or may take over (no leader, or
/// one whose heartbeat lapsed) — taking them over — with the database's
/// clock now. At most `limit`, earliest first.
///
/// # Errors
///
/// The database's error.
pub async fn take_due(
    client: &impl GenericClient,
    me: &str,
    horizon: u64,
    limit: i64,
) -> Result<(u64, Vec<Due>), ServerError> {
    let rows = client
        .query(
            &format!(
                "WITH now AS (SELECT {NOW_MS} AS ms),
                 due AS (
                     SELECT a.id FROM gg_accounts a
                     WHERE a.next_deadline IS NOT NULL AND a.next_deadline <= (SELECT ms FROM now) + $2
                       AND (a.leader = $1 OR a.leader IS NULL OR NOT EXISTS (
                           SELECT 1 FROM gg_servers s WHERE s.name = a.leader AND s.alive_until >= now()))
                     ORDER BY a.next_deadline LIMIT $3
                     FOR UPDATE SKIP LOCKED)
                 UPDATE gg_accounts a SET leader = $1 FROM due WHERE a.id = due.id
                 RETURNING a.id, a.next_deadline, (SELECT ms FROM now)"
            ),
            &[&me, &to_db(horizon)?, &limit],
        )
        .await?;
    let mut now = 0;
    let mut due = Vec::with_capacity(rows.len());
    for r in &rows {
        now = from_db(r.get(2))?;
        due.push(Due { account: r.get(0), at: from_db(r.get(1))? });
    }
    if rows.is_empty() {
        now = now_ms(client).await?;
    }
    due.sort_by(|a, b| (a.at, &a.account).cmp(&(b.at, &b.account)));
    Ok((now, due))
}
