//! The log: for each account, its events in one agreed order (R33), with a
//! gap-free sequence, and saved accounts (R32) at some of its sequence
//! numbers.
//!
//! Appends to one account take the account's row lock (`SELECT … FOR
//! UPDATE`) and hold it until they commit, so event N commits before event
//! N + 1 is numbered: a reader never sees N + 1 without N, and reading
//! `seq > applied ORDER BY seq` loses nothing. Each event carries an id its
//! sender chose, unique in the account's log: appending an id that is already there
//! gives that event's sequence number instead of a second copy, which is
//! how a retry after an in-doubt commit is recognized.

use groupgate::Config;
use postgres::Client;

use crate::HostError;

/// The channel `NOTIFY` wakes followers on; the payload is the account id.
pub const CHANNEL: &str = "groupgate_log";

/// Creates the tables if they are missing and the account with its
/// configuration at revision 1 and the clock it starts at (R26).
///
/// # Errors
///
/// The database's error (an account that exists already is one).
pub fn install(db: &mut Client, account: &str, config: &Config, start: u64) -> Result<(), HostError> {
    db.batch_execute(
        "CREATE TABLE IF NOT EXISTS accounts (
             id TEXT PRIMARY KEY, config TEXT NOT NULL, start BIGINT NOT NULL, next_seq BIGINT NOT NULL);
         CREATE TABLE IF NOT EXISTS events (
             account TEXT NOT NULL REFERENCES accounts, seq BIGINT NOT NULL, event_id TEXT NOT NULL,
             body TEXT NOT NULL, PRIMARY KEY (account, seq), UNIQUE (account, event_id));
         CREATE TABLE IF NOT EXISTS snapshots (
             account TEXT NOT NULL REFERENCES accounts, seq BIGINT NOT NULL, saved TEXT NOT NULL,
             PRIMARY KEY (account, seq));",
    )?;
    let json = serde_json::to_string(config).map_err(|e| HostError::Stored(e.to_string()))?;
    db.execute("INSERT INTO accounts VALUES ($1, $2, $3, 1)", &[&account, &json, &to_db(start)?])?;
    Ok(())
}

/// A sequence number or instant to store in a BIGINT column.
///
/// # Errors
///
/// [`HostError::Stored`] past `i64::MAX` (never cast with `as`).
pub fn to_db(value: u64) -> Result<i64, HostError> {
    i64::try_from(value).map_err(|_| HostError::Stored(format!("{value} does not fit a BIGINT")))
}

/// A sequence number or instant read from a BIGINT column.
///
/// # Errors
///
/// [`HostError::Stored`] when negative.
pub fn from_db(value: i64) -> Result<u64, HostError> {
    u64::try_from(value).map_err(|_| HostError::Stored(format!("{value} is negative")))
}

/// Appends events (each an id and its JSON body) to the account's log, in
/// the order given, and gives each one's sequence number; an id already in
/// the log gets the number it has, and is not added again.
///
/// One statement, committed on its own: it takes the account's row lock,
/// numbers the new events from the account's next number, inserts them,
/// moves the number on and notifies followers, so the lock is held for one
/// statement and its commit, whatever the batch. An id committed by a
/// concurrent append after the statement began is caught by the table's
/// uniqueness (an error; appending again finds it).
///
/// # Errors
///
/// The database's error. After an error at the commit the events may or
/// may not be in the log: appending the same ids again says which.
pub fn append(db: &mut Client, account: &str, events: &[(String, String)]) -> Result<Vec<u64>, HostError> {
    let ids: Vec<&str> = events.iter().map(|(id, _)| id.as_str()).collect();
    let bodies: Vec<&str> = events.iter().map(|(_, body)| body.as_str()).collect();
    let rows = db.query(
        "WITH acct AS (
             SELECT next_seq FROM accounts WHERE id = $1 FOR UPDATE
         ), old AS (
             SELECT event_id, seq FROM events WHERE account = $1 AND event_id = ANY($2)
         ), fresh AS (
             SELECT t.i, t.b, (SELECT next_seq FROM acct) + row_number() OVER (ORDER BY t.o) - 1 AS seq
             FROM unnest($2::TEXT[], $3::TEXT[]) WITH ORDINALITY AS t(i, b, o)
             WHERE t.i NOT IN (SELECT event_id FROM old)
         ), ins AS (
             INSERT INTO events (account, seq, event_id, body) SELECT $1, seq, i, b FROM fresh RETURNING event_id, seq
         ), moved AS (
             UPDATE accounts SET next_seq = next_seq + (SELECT count(*) FROM fresh) WHERE id = $1
             RETURNING pg_notify($4, $1)
         )
         SELECT event_id, seq FROM ins UNION ALL SELECT event_id, seq FROM old",
        &[&account, &ids, &bodies, &CHANNEL],
    )?;
    // For lookups only (R25).
    let seqs: std::collections::HashMap<String, i64> = rows.into_iter().map(|r| (r.get(0), r.get(1))).collect();
    ids.iter()
        .map(|id| match seqs.get(*id) {
            Some(seq) => from_db(*seq),
            None => Err(HostError::Stored(format!("event `{id}` was not appended"))),
        })
        .collect()
}

/// One event of the log.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Its place in the order, from 1.
    pub seq: u64,
    /// The id its sender chose.
    pub event_id: String,
    /// A [`groupgate::Timed`] event as JSON.
    pub body: String,
}

/// Up to `limit` events after `after`, in order.
///
/// # Errors
///
/// The database's error, or a stored number out of range.
pub fn read(db: &mut Client, account: &str, after: u64, limit: i64) -> Result<Vec<Logged>, HostError> {
    let rows = db.query(
        "SELECT seq, event_id, body FROM events WHERE account = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        &[&account, &to_db(after)?, &limit],
    )?;
    rows.into_iter().map(|r| Ok(Logged { seq: from_db(r.get(0))?, event_id: r.get(1), body: r.get(2) })).collect()
}

/// The last sequence number of the account's log (0 when empty).
///
/// # Errors
///
/// The database's error.
pub fn last_seq(db: &mut Client, account: &str) -> Result<u64, HostError> {
    let next: i64 = db.query_one("SELECT next_seq FROM accounts WHERE id = $1", &[&account])?.get(0);
    Ok(from_db(next)?.saturating_sub(1))
}

/// The account's configuration at revision 1 and the clock it starts at.
///
/// # Errors
///
/// The database's error, or a configuration that does not read back.
pub fn initial(db: &mut Client, account: &str) -> Result<(Config, u64), HostError> {
    let row = db.query_one("SELECT config, start FROM accounts WHERE id = $1", &[&account])?;
    let config: Config = serde_json::from_str(row.get(0)).map_err(|e| HostError::Stored(e.to_string()))?;
    Ok((config, from_db(row.get(1))?))
}

/// The latest saved account and the sequence number it was saved at.
///
/// # Errors
///
/// The database's error.
pub fn latest_snapshot(db: &mut Client, account: &str) -> Result<Option<(u64, String)>, HostError> {
    let row =
        db.query_opt("SELECT seq, saved FROM snapshots WHERE account = $1 ORDER BY seq DESC LIMIT 1", &[&account])?;
    row.map(|r| Ok((from_db(r.get(0))?, r.get(1)))).transpose()
}

/// Stores a saved account at `seq`; another server's copy at the same
/// number (equal, the log being one order) is kept.
///
/// # Errors
///
/// The database's error.
pub fn store_snapshot(db: &mut Client, account: &str, seq: u64, saved: &str) -> Result<(), HostError> {
    db.execute("INSERT INTO snapshots VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&account, &to_db(seq)?, &saved])?;
    Ok(())
}
