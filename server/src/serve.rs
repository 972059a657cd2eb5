//! A running server: the pool, the schema, the listener for notifications,
//! the deadline leader, the sweeper of idle accounts, the snapshot
//! verifier, and the HTTP API — started together, stopped together.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

use crate::error::ServerError;
use crate::http::{self, AppState, Limited};
use crate::options::ServeOptions;
use crate::registry::Registry;
use crate::{db, keys, leader, listener, snapshots};

/// A server started by [`start`].
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its name among the servers sharing the database.
    pub name: String,
    stop: watch::Sender<bool>,
    http: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops it: streams end, requests in flight finish, background work
    /// stops.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.http.await;
        for task in self.background {
            task.abort();
        }
    }

    /// Runs until the HTTP server ends (it does not, short of `stop`).
    pub async fn wait(self) {
        let _ = self.http.await;
    }
}

/// Starts a server with `opts`: migrates the schema, binds, and runs.
///
/// # Errors
///
/// [`ServerError::Config`] for options that do not work (an address that
/// cannot be bound, a database URL that does not parse); the database's
/// error when migrating fails.
pub async fn start(opts: ServeOptions) -> Result<Running, ServerError> {
    let pool = db::pool(&opts.database_url, opts.db_connections)?;
    db::migrate(&pool).await?;
    let (listen_tx, listen_rx) = mpsc::unbounded_channel();
    let (appended_tx, appended_rx) = mpsc::unbounded_channel();
    let registry = Arc::new(Registry::new(
        pool.clone(),
        opts.snapshot_every,
        Duration::from_secs(opts.idle_secs),
        listen_tx,
        appended_tx,
    ));
    let socket =
        TcpListener::bind(opts.listen).await.map_err(|e| ServerError::Config(format!("{}: {e}", opts.listen)))?;
    let addr = socket.local_addr().map_err(|e| ServerError::Config(e.to_string()))?;
    let name = opts.name.clone().unwrap_or_else(|| format!("{addr}/{}", std::process::id()));
    let (stop, stopped) = watch::channel(false);

    let mut background = Vec::new();
    background.push(tokio::spawn(listener::run(db::pg_config(&opts.database_url)?, registry.clone(), listen_rx)));
    background.push(tokio::spawn(leader::run(registry.clone(), name.clone())));
    background.push(tokio::spawn(crate::registry::notifier(pool.clone(), appended_rx)));
    let checker = registry.clone();
    background.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = checker.check_heads().await {
                tracing::warn!(error = %e, "checking the held accounts' heads failed");
            }
        }
    }));
    let sweeper = registry.clone();
    background.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            let gone = sweeper.sweep();
            if gone > 0 {
                tracing::info!(unloaded = gone, held = sweeper.len(), "idle accounts unloaded");
            }
        }
    }));
    let retention = Duration::from_secs(opts.retention_secs);
    background.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(2));
        loop {
            tick.tick().await;
            if let Err(e) = snapshots::verify_pending(&pool, 20, retention).await {
                tracing::warn!(error = %e, "verifying snapshots failed");
            }
        }
    }));

    let state = AppState {
        registry,
        admin_hash: opts.admin_token.as_deref().map(|t| Arc::from(keys::hash(t))),
        subscribers: Arc::new(Semaphore::new(opts.max_subscribers.max(1))),
        metrics: crate::metrics::install(),
        stopping: stopped.clone(),
    };
    let app = http::router(state, Duration::from_millis(opts.request_timeout_ms.max(1)));
    let header_timeout = Duration::from_millis(opts.header_timeout_ms.max(1));
    let listener = Limited::new(socket, opts.max_connections);
    let http = tokio::spawn(serve_http(listener, app, header_timeout, stopped));
    tracing::info!(%addr, %name, "serving");
    Ok(Running { addr, name, stop, http, background })
}

/// The HTTP/1.1 server: each connection served in a task of its own by
/// hyper, with a limit on the time to read a request's headers (axum's
/// `serve` sets none, so an idle connection was kept for good); on `stop`,
/// no new connections, and those open finish what they are doing (streams
/// end, as the registry closes them) for up to 10 s.
async fn serve_http(
    mut listener: Limited,
    app: axum::Router,
    header_timeout: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    use axum::serve::Listener;
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_timeout).keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (io, _addr) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.wait_for(|s| *s) => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open 10 s after stopping; left to close");
    }
}
