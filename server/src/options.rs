//! The command line: `serve`, `account create|delete|rotate-key`,
//! `migrate`. Every flag also reads an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

/// groupgate-server: group routing for live chat as a service.
#[derive(Debug, clap::Parser)]
#[command(name = "groupgate-server", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serves the HTTP API.
    Serve(ServeOptions),
    /// Creates, deletes or gives a new key to an account.
    Account {
        /// The database, as a libpq key-value string or a URL.
        #[arg(long, env = "GROUPGATE_DATABASE_URL")]
        database_url: String,
        /// What to do.
        #[command(subcommand)]
        action: AccountAction,
    },
    /// Creates or updates the schema, then exits.
    Migrate {
        /// The database, as a libpq key-value string or a URL.
        #[arg(long, env = "GROUPGATE_DATABASE_URL")]
        database_url: String,
    },
}

/// Account administration from the command line.
#[derive(Debug, clap::Subcommand)]
pub enum AccountAction {
    /// Creates an account and prints its key, once.
    Create {
        /// The account's id.
        id: String,
        /// The configuration, as a scenario file's `account` (JSON).
        #[arg(long)]
        config: PathBuf,
        /// When its clock starts (RFC 3339 or milliseconds); the
        /// database's clock now when left out.
        #[arg(long)]
        start: Option<String>,
    },
    /// Deletes an account, its log, snapshots and key.
    Delete {
        /// The account's id.
        id: String,
    },
    /// Gives an account a new key and prints it; the old one stops working.
    RotateKey {
        /// The account's id.
        id: String,
    },
}

/// `serve`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// The database, as a libpq key-value string or a URL.
    #[arg(long, env = "GROUPGATE_DATABASE_URL")]
    pub database_url: String,
    /// Where to listen.
    #[arg(long, env = "GROUPGATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The admin token (hashed when read; the admin API answers 401
    /// without one).
    #[arg(long, env = "GROUPGATE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// This server's name among those sharing the database (leadership of
    /// deadlines); the listen address and process id when left out.
    #[arg(long, env = "GROUPGATE_NAME")]
    pub name: Option<String>,
    /// Database connections this process uses at most, whatever the number
    /// of accounts (one more listens for notifications).
    #[arg(long, env = "GROUPGATE_DB_CONNECTIONS", default_value_t = 8)]
    pub db_connections: usize,
    /// Open client connections at most; more wait in the kernel's queue.
    #[arg(long, env = "GROUPGATE_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Notice streams at most.
    #[arg(long, env = "GROUPGATE_MAX_SUBSCRIBERS", default_value_t = 5_000)]
    pub max_subscribers: usize,
    /// Milliseconds a request may take (streams aside).
    #[arg(long, env = "GROUPGATE_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,
    /// Milliseconds a connection may take to send a request's headers,
    /// counted from when the server waits for it — so also how long an idle
    /// connection is kept between requests. A stream being written is not
    /// waiting for a request and is not cut.
    #[arg(long, env = "GROUPGATE_HEADER_TIMEOUT_MS", default_value_t = 30_000)]
    pub header_timeout_ms: u64,
    /// A snapshot every this many events of an account.
    #[arg(long, env = "GROUPGATE_SNAPSHOT_EVERY", default_value_t = 1_000)]
    pub snapshot_every: u64,
    /// Seconds an account stays loaded without use and without streams.
    #[arg(long, env = "GROUPGATE_IDLE_SECS", default_value_t = 300)]
    pub idle_secs: u64,
    /// Seconds events covered by a verified snapshot are kept (and so the
    /// answers to their ids).
    #[arg(long, env = "GROUPGATE_RETENTION_SECS", default_value_t = 7 * 86_400)]
    pub retention_secs: u64,
}
