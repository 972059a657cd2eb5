//! The HTTP API of the contract (`SERVICE.md`): the admin routes, an
//! account's events, reads and notice stream, and the operations routes.
//! Bounds: request bodies of 1 MiB, a timeout per request (streams
//! aside), a number of connections and of stream subscribers per process;
//! connections past the limit wait in the kernel's queue, and no
//! connection has a thread of its own.

mod admin;
mod auth;
mod events;
mod limited;
mod reads;
mod stream;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;

pub use limited::Limited;

use crate::registry::Registry;

/// The largest request body.
pub const MAX_BODY: usize = 1 << 20;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The accounts held.
    pub registry: Arc<Registry>,
    /// The admin token's hash; `None`: the admin API answers 401.
    pub admin_hash: Option<Arc<str>>,
    /// Permits for notice streams.
    pub subscribers: Arc<Semaphore>,
    /// The metrics `/metrics` renders.
    pub metrics: PrometheusHandle,
    /// Becomes `true` when the server stops: streams end.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// The routes, with their bounds.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let bounded = Router::new()
        .route("/v1/accounts", post(admin::create))
        .route("/v1/accounts/{id}", delete(admin::delete))
        .route("/v1/accounts/{id}/keys", post(admin::rotate))
        .route("/v1/accounts/{id}/events", post(events::one))
        .route("/v1/accounts/{id}/events:batch", post(events::batch))
        .route("/v1/accounts/{id}/visitors/{visitor}", get(reads::visitor))
        .route("/v1/accounts/{id}/visitors/{visitor}/visible-agents", get(reads::visible_agents))
        .route("/v1/accounts/{id}/visitors/{visitor}/candidates", get(reads::candidates))
        .route("/v1/accounts/{id}/visitors/{visitor}/claim/{agent}", get(reads::claim))
        .route("/v1/accounts/{id}/agents/{agent}", get(reads::agent))
        .route("/v1/accounts/{id}/agents/{agent}/dashboard", get(reads::dashboard))
        .route("/v1/accounts/{id}/queue", get(reads::queue))
        .route("/v1/accounts/{id}/availability", get(reads::availability))
        .route("/v1/accounts/{id}/hours", get(reads::hours))
        .route("/v1/accounts/{id}/config", get(reads::config))
        .route("/v1/accounts/{id}/saved", get(reads::saved))
        .route("/v1/accounts/{id}/next-deadline", get(reads::next_deadline))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(axum::middleware::from_fn(move |req, next| timeout(request_timeout, req, next)));
    Router::new()
        .route("/v1/accounts/{id}/notices", get(stream::notices))
        .merge(bounded)
        .fallback(|| async {
            crate::ApiError::new(StatusCode::NOT_FOUND, "not_found", "not_found", "no such route", ())
        })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Answers `504` for a request that takes longer than `limit`.
async fn timeout(
    limit: Duration,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => crate::ApiError::timeout("the request took too long").into_response(),
    }
}

/// `200` when the database answers and its schema is this server's.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let ready = async {
        let client = state.registry.pool().get().await?;
        crate::db::schema_current(&client).await
    };
    match tokio::time::timeout(Duration::from_secs(2), ready).await {
        Ok(Ok(true)) => (StatusCode::OK, "ready"),
        Ok(Ok(false)) => (StatusCode::SERVICE_UNAVAILABLE, "the schema is not this server's"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer"),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
