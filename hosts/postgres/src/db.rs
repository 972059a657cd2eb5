//! One connection to PostgreSQL that comes back: timeouts on connecting and
//! on every statement, and after a failure a reconnect with backoff. While
//! the database is away, asking for the connection fails at once (no call
//! waits for it), so requests fail fast with a clear error.

use std::str::FromStr;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

use crate::HostError;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The first wait after a failed connection; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A connection, made again when it breaks.
pub struct Db {
    config: postgres::Config,
    client: Option<Client>,
    /// No new attempt to connect before this.
    retry_at: Instant,
    backoff: Duration,
    /// Why the last attempt failed.
    last_error: String,
}

impl Db {
    /// A connection to `url` (a libpq key-value string), made on first use.
    /// Every statement and lock wait is limited to 2 s, and the socket
    /// notices a database that stopped answering.
    ///
    /// # Errors
    ///
    /// [`HostError::Config`] when `url` does not parse.
    pub fn new(url: &str) -> Result<Db, HostError> {
        let mut config = postgres::Config::from_str(url).map_err(|e| HostError::Config(e.to_string()))?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_user_timeout(Duration::from_secs(5))
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .options("-c statement_timeout=2000 -c lock_timeout=2000 -c idle_in_transaction_session_timeout=5000");
        Ok(Db { config, client: None, retry_at: Instant::now(), backoff: FIRST_BACKOFF, last_error: String::new() })
    }

    /// The connection, made now if needed.
    ///
    /// # Errors
    ///
    /// [`HostError::Unavailable`] at once while waiting out the backoff
    /// after a failure, or when connecting fails.
    pub fn client(&mut self) -> Result<&mut Client, HostError> {
        if self.client.as_ref().is_some_and(Client::is_closed) {
            self.client = None;
        }
        if self.client.is_none() {
            if Instant::now() < self.retry_at {
                return Err(HostError::Unavailable(format!("database unavailable: {}", self.last_error)));
            }
            match self.config.connect(NoTls) {
                Ok(client) => {
                    self.client = Some(client);
                    self.backoff = FIRST_BACKOFF;
                }
                Err(e) => {
                    self.last_error = e.to_string();
                    self.retry_at = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    return Err(HostError::Unavailable(format!("database unavailable: {e}")));
                }
            }
        }
        self.client.as_mut().ok_or_else(|| HostError::Unavailable("database unavailable".into()))
    }

    /// Runs `work` on the connection; a failure that broke the connection
    /// drops it, so that the next call connects again (after the backoff).
    ///
    /// # Errors
    ///
    /// [`HostError::Unavailable`] without a connection, else what `work`
    /// gave.
    pub fn with<T>(&mut self, work: impl FnOnce(&mut Client) -> Result<T, HostError>) -> Result<T, HostError> {
        let client = self.client()?;
        match work(client) {
            Ok(out) => Ok(out),
            Err(e) => {
                let broken = matches!(&e, HostError::Db(db) if db.is_closed());
                if broken || self.client.as_ref().is_none_or(Client::is_closed) {
                    self.last_error = e.to_string();
                    self.client = None;
                    self.retry_at = Instant::now() + self.backoff;
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                }
                Err(e)
            }
        }
    }
}
