//! `GET /notices?after=SEQ`: every notice of the account in log order as
//! Server-Sent Events, deadline notices included; each message has the id
//! `<seq>.<n>` (`n` from 0, the notice's place among its event's) and the
//! data `{"seq", "at", "notice"}`. A client resumes with `Last-Event-ID`
//! and misses nothing still in the log.
//!
//! Each stream is a task of its own that reads the log from the database
//! until it reaches what this server has applied, then follows the notices
//! as the server applies events; a stream that falls behind (a slow
//! reader) goes back to the log, so it stalls nobody but itself. Streams
//! per process are bounded (`503 too_many_subscribers` past the limit).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use groupgate::TimedNotice;
use serde::Deserialize;
use tokio::sync::{OwnedSemaphorePermit, broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::{AppState, auth};
use crate::db;
use crate::error::ApiError;
use crate::registry::{Loaded, Registry};
use crate::replica::{StreamItem, stored_notices};

#[derive(Deserialize)]
pub(super) struct After {
    after: Option<u64>,
}

/// Where a stream is: the last event whose notices were all sent, and
/// within the next one how many were sent already.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    done: u64,
    sent_of_next: usize,
}

impl Cursor {
    /// From `Last-Event-ID` (`<seq>.<n>`), else `after`, else the start.
    fn of(headers: &HeaderMap, after: Option<u64>) -> Cursor {
        let last = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| {
            let (seq, n) = v.split_once('.')?;
            Some((seq.parse::<u64>().ok()?, n.parse::<usize>().ok()?))
        });
        match last {
            Some((seq, n)) => Cursor { done: seq.saturating_sub(1), sent_of_next: n.saturating_add(1) },
            None => Cursor { done: after.unwrap_or(0), sent_of_next: 0 },
        }
    }
}

/// The notice stream.
pub(super) async fn notices(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    Query(q): Query<After>,
) -> Result<Response, ApiError> {
    auth::account(&state, &headers, &account).await?;
    let Ok(permit) = state.subscribers.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_subscribers",
            "unavailable",
            "this server streams to as many clients as it may",
            (),
        ));
    };
    let loaded = state.registry.get(&account).await?;
    let cursor = Cursor::of(&headers, q.after);
    let (tx, rx) = mpsc::channel::<SseEvent>(64);
    // Subscribed before the log is read, so that nothing falls in between.
    let live = loaded.subscribe();
    loaded.wake();
    tokio::spawn(feed(state.registry.clone(), loaded, live, cursor, tx, (permit, state.stopping.clone())));
    let stream = futures_util::StreamExt::map(ReceiverStream::new(rx), Ok::<_, Infallible>);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response())
}

/// Sends the notices of `seq` past the cursor; `false` when the client is
/// gone.
async fn send(tx: &mpsc::Sender<SseEvent>, cursor: &mut Cursor, seq: u64, notices: &[TimedNotice]) -> bool {
    if seq <= cursor.done {
        return true;
    }
    for (n, notice) in notices.iter().enumerate().skip(cursor.sent_of_next) {
        let data = serde_json::to_string(&StreamItem { seq, notice }).unwrap_or_default();
        if tx.send(SseEvent::default().id(format!("{seq}.{n}")).data(data)).await.is_err() {
            return false;
        }
    }
    *cursor = Cursor { done: seq, sent_of_next: 0 };
    true
}

/// One stream's task: the log, then the live notices, back to the log
/// whenever it falls behind; ends when the client goes.
async fn feed(
    registry: Arc<Registry>,
    loaded: Arc<Loaded>,
    mut live: broadcast::Receiver<Arc<crate::replica::Told>>,
    mut cursor: Cursor,
    tx: mpsc::Sender<SseEvent>,
    (_permit, mut stopping): (OwnedSemaphorePermit, tokio::sync::watch::Receiver<bool>),
) {
    crate::metrics::subscribers(1.0);
    'outer: loop {
        // The log, up to its end as the database has it now.
        loop {
            let rows = match registry.pool().get().await {
                Ok(client) => db::read_log(&client, &loaded.id, cursor.done, None, 500).await,
                Err(e) => Err(e.into()),
            };
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(account = %loaded.id, error = %e, "a stream could not read the log");
                    if tx.is_closed() {
                        break 'outer;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let notices = stored_notices(&row.answer).unwrap_or_default();
                if !send(&tx, &mut cursor, row.seq, &notices).await {
                    break 'outer;
                }
            }
        }
        // Then what this server applies, as it does.
        loop {
            tokio::select! {
                told = live.recv() => match told {
                    Ok(told) if told.seq <= cursor.done => {}
                    Ok(told) if told.seq == cursor.done + 1 => {
                        if !send(&tx, &mut cursor, told.seq, &told.notices).await {
                            break 'outer;
                        }
                    }
                    // A gap (this server loaded the account past it) or a
                    // lag: read the log again.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue 'outer,
                    Err(broadcast::error::RecvError::Closed) => break 'outer,
                },
                () = tx.closed() => break 'outer,
                stop = stopping.changed() => {
                    if stop.is_err() || *stopping.borrow() {
                        break 'outer;
                    }
                }
            }
        }
    }
    crate::metrics::subscribers(-1.0);
}
