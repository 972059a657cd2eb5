//! A minimal chat backend server on PostgreSQL: configuration and chats live
//! in the database, every decision is groupgate's, and claims commit with a
//! compare-and-set on the chat's version (R13) plus a guarded load update
//! (R12), so servers racing for one chat cannot both win and no agent goes
//! past its limit. Used by the example `postgres_host` and the load test.

use groupgate::{Account, Change, ChangeReport, Config, Snapshot, Status};
use postgres::{Client, NoTls};

/// What can go wrong talking to the database.
#[derive(Debug)]
pub enum HostError {
    /// The database refused or failed.
    Db(postgres::Error),
    /// The stored configuration does not read back.
    Config(serde_json::Error),
    /// A number does not fit between the database's signed BIGINT and
    /// groupgate's unsigned versions and revisions (never cast with `as`).
    OutOfRange {
        /// What the number is.
        what: &'static str,
        /// The number as it was read or would be written.
        value: i128,
    },
    /// groupgate refused to take in a stored state (an invalid id, versions
    /// exhausted).
    Refused(groupgate::ActionError),
}

/// A version or revision read from a BIGINT column: negative is an error.
pub fn from_db(what: &'static str, value: i64) -> Result<u64, HostError> {
    u64::try_from(value).map_err(|_| HostError::OutOfRange { what, value: i128::from(value) })
}

/// A version or revision to store in a BIGINT column: past `i64::MAX` is an error.
pub fn to_db(what: &'static str, value: u64) -> Result<i64, HostError> {
    i64::try_from(value).map_err(|_| HostError::OutOfRange { what, value: i128::from(value) })
}

impl From<groupgate::ActionError> for HostError {
    fn from(e: groupgate::ActionError) -> Self {
        HostError::Refused(e)
    }
}

impl From<postgres::Error> for HostError {
    fn from(e: postgres::Error) -> Self {
        HostError::Db(e)
    }
}

impl From<serde_json::Error> for HostError {
    fn from(e: serde_json::Error) -> Self {
        HostError::Config(e)
    }
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostError::Db(e) => write!(f, "database: {e}"),
            HostError::Config(e) => write!(f, "stored configuration: {e}"),
            HostError::OutOfRange { what, value } => write!(f, "{what} {value} does not fit a BIGINT or a u64"),
            HostError::Refused(e) => write!(f, "stored state refused: {e}"),
        }
    }
}

impl std::error::Error for HostError {}

/// Creates the schema and loads an account: its configuration as revision 1,
/// its agents, and one unclaimed chat per visitor.
pub fn install(db: &mut Client, config: &Config, visitors: &[(String, Option<String>)]) -> Result<(), HostError> {
    db.batch_execute(
        "DROP TABLE IF EXISTS account, revisions, agents, chats, claims;
         DROP SEQUENCE IF EXISTS chat_versions;
         CREATE TABLE account (id INT PRIMARY KEY, revision BIGINT NOT NULL, config TEXT NOT NULL);
         CREATE TABLE revisions (revision BIGINT PRIMARY KEY, config TEXT NOT NULL);
         CREATE TABLE agents (id TEXT PRIMARY KEY, load INT NOT NULL DEFAULT 0 CHECK (load >= 0));
         CREATE TABLE chats (visitor TEXT PRIMARY KEY, page_group TEXT, holder TEXT REFERENCES agents,
                             version BIGINT NOT NULL, revision BIGINT);
         CREATE TABLE claims (id BIGSERIAL PRIMARY KEY, visitor TEXT NOT NULL, agent TEXT NOT NULL,
                              revision BIGINT NOT NULL);
         CREATE SEQUENCE chat_versions START 1;",
    )?;
    let json = serde_json::to_string(config)?;
    let mut tx = db.transaction()?;
    tx.execute("INSERT INTO account VALUES (1, 1, $1)", &[&json])?;
    tx.execute("INSERT INTO revisions VALUES (1, $1)", &[&json])?;
    for agent in config.agents() {
        tx.execute("INSERT INTO agents (id) VALUES ($1)", &[&agent.id().as_str()])?;
    }
    let insert = tx.prepare("INSERT INTO chats VALUES ($1, $2, NULL, 0, NULL)")?;
    for (visitor, group) in visitors {
        tx.execute(&insert, &[visitor, group])?;
    }
    tx.commit()?;
    Ok(())
}

/// One server: a database connection and an in-memory account kept in step
/// with the database's revision and chats.
pub struct Host {
    /// This server's connection.
    pub db: Client,
    /// This server's view of the account.
    pub account: Account,
}

/// What a claim attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Committed: this server's agent holds the chat.
    Claimed,
    /// Refused, with groupgate's code (`already_claimed` when another server won).
    Refused(&'static str),
    /// The configuration changed meanwhile; try again on the new revision.
    Stale,
}

impl Host {
    /// Connects and loads the current revision and chats.
    pub fn connect(url: &str) -> Result<Host, HostError> {
        let mut db = Client::connect(url, NoTls)?;
        let account = load(&mut db)?;
        Ok(Host { db, account })
    }

    /// Picks up a new revision when another server changed the configuration.
    pub fn sync(&mut self) -> Result<(), HostError> {
        let row = self.db.query_one("SELECT revision FROM account WHERE id = 1", &[])?;
        if from_db("revision", row.get(0))? != self.account.snapshot().revision() {
            self.account = load(&mut self.db)?;
        }
        Ok(())
    }

    /// Claims `visitor`'s chat for `agent`: groupgate decides on this
    /// server's view, the database commits only if the chat is still at the
    /// version that view read and the agent is still under its limit.
    pub fn claim(&mut self, agent: &str, visitor: &str) -> Result<Outcome, HostError> {
        if let Some(reason) = self.account.can_claim(agent, visitor).reason() {
            return Ok(Outcome::Refused(reason.code()));
        }
        let revision = to_db("revision", self.account.snapshot().revision())?;
        let read = to_db("version", self.account.chat_version(visitor).unwrap_or(0))?;
        let limit = self.account.chat_limit(agent, visitor).map(i64::from);
        let mut tx = self.db.transaction()?;
        let current: i64 = tx.query_one("SELECT revision FROM account WHERE id = 1 FOR SHARE", &[])?.get(0);
        if current != revision {
            return Ok(Outcome::Stale);
        }
        let version: i64 = tx.query_one("SELECT nextval('chat_versions')", &[])?.get(0);
        let won = tx.execute(
            "UPDATE chats SET holder = $1, version = $2, revision = $3
             WHERE visitor = $4 AND version = $5 AND holder IS NULL",
            &[&agent, &version, &revision, &visitor, &read],
        )?;
        if won == 0 {
            drop(tx);
            self.reread_chat(visitor)?;
            return Ok(Outcome::Refused("already_claimed"));
        }
        let room = tx.execute(
            "UPDATE agents SET load = load + 1 WHERE id = $1 AND ($2::BIGINT IS NULL OR load < $2)",
            &[&agent, &limit],
        )?;
        if room == 0 {
            drop(tx);
            self.reread_agent(agent)?;
            return Ok(Outcome::Refused("at_capacity"));
        }
        tx.execute(
            "INSERT INTO claims (visitor, agent, revision) VALUES ($1, $2, $3)",
            &[&visitor, &agent, &revision],
        )?;
        tx.commit()?;
        let _ = self.account.restore_chat(visitor, Some(agent), from_db("version", version)?);
        Ok(Outcome::Claimed)
    }

    /// Applies a configuration change as the next revision and publishes
    /// who must refresh (`NOTIFY groupgate_refresh`). `None` when groupgate
    /// refused the change: nothing is written.
    pub fn change(&mut self, change: &Change) -> Result<Option<ChangeReport>, HostError> {
        let mut tx = self.db.transaction()?;
        let revision: i64 = tx.query_one("SELECT revision FROM account WHERE id = 1 FOR UPDATE", &[])?.get(0);
        if from_db("revision", revision)? != self.account.snapshot().revision() {
            drop(tx);
            self.account = load(&mut self.db)?;
            return self.change(change);
        }
        let mut next = self.account.clone();
        let Ok(report) = next.apply(change) else { return Ok(None) };
        let json = serde_json::to_string(next.snapshot().config())?;
        let new = to_db("revision", report.revision())?;
        tx.execute("UPDATE account SET revision = $1, config = $2 WHERE id = 1", &[&new, &json])?;
        tx.execute("INSERT INTO revisions VALUES ($1, $2)", &[&new, &json])?;
        let stale: Vec<&str> = report.visibility_changed().iter().map(|a| a.as_str()).collect();
        tx.execute("SELECT pg_notify('groupgate_refresh', $1)", &[&stale.join(",")])?;
        tx.commit()?;
        self.account = next;
        Ok(Some(report))
    }

    fn reread_chat(&mut self, visitor: &str) -> Result<(), HostError> {
        let row = self.db.query_one("SELECT holder, version FROM chats WHERE visitor = $1", &[&visitor])?;
        let holder: Option<String> = row.get(0);
        let _ = self.account.restore_chat(visitor, holder.as_deref(), from_db("version", row.get(1))?);
        Ok(())
    }

    fn reread_agent(&mut self, agent: &str) -> Result<(), HostError> {
        for row in self.db.query("SELECT visitor, version FROM chats WHERE holder = $1", &[&agent])? {
            let visitor: String = row.get(0);
            let _ = self.account.restore_chat(&visitor, Some(agent), from_db("version", row.get(1))?);
        }
        Ok(())
    }
}

/// The account as the database has it: the current revision, every visitor
/// with its chat; every agent online.
pub fn load(db: &mut Client) -> Result<Account, HostError> {
    let row = db.query_one("SELECT revision, config FROM account WHERE id = 1", &[])?;
    let config: Config = serde_json::from_str(row.get(1))?;
    let mut account = Account::from_snapshot(Snapshot::with_revision(config, from_db("revision", row.get(0))?));
    let agents: Vec<String> = account.snapshot().config().agents().iter().map(|a| a.id().to_string()).collect();
    for agent in &agents {
        let _ = account.set_status(agent, Status::Online);
    }
    for row in db.query("SELECT visitor, page_group, holder, version FROM chats", &[])? {
        let (visitor, group): (String, Option<String>) = (row.get(0), row.get(1));
        // Rows whose ids break R23 name nothing; a bad page code is no code.
        if groupgate::check_id(&visitor).is_err() {
            continue;
        }
        let group = group.filter(|g| groupgate::check_id(g).is_ok());
        account.visit(&visitor, group.as_deref())?;
        let holder: Option<String> = row.get(2);
        let _ = account.restore_chat(&visitor, holder.as_deref(), from_db("version", row.get(3))?);
    }
    Ok(account)
}
