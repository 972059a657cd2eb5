//! Events: `POST /events` and `POST /events:batch`. An event is the
//! scenario format's step form (R33), with an id its sender chose; the
//! answer is the event's seq, time, outcome or error and notices, stored
//! with it so that the same id with the same event gets the same answer
//! from any server at any time, and the same id with another event gets
//! `409 event_id_conflict`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use groupgate::Event;
use serde::{Deserialize, Serialize};

use super::admin::parse;
use super::{AppState, auth};
use crate::error::ApiError;
use crate::registry::{Item, ItemAnswer};

/// The most events in one batch.
pub const MAX_BATCH: usize = 1_000;

/// One event as a client sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sent {
    id: String,
    event: Event,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    events: Vec<Sent>,
}

/// An event id: 1–128 bytes of printable ASCII.
fn valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// A sent event checked: its id, and no `advance` (time is the service's).
fn item(sent: Sent, at: Option<usize>) -> Result<Item, ApiError> {
    let place = at.map_or_else(String::new, |i| format!("events[{i}]: "));
    if !valid_id(&sent.id) {
        return Err(ApiError::invalid(
            "invalid_event_id",
            &format!("{place}an event id is 1–128 bytes of printable ASCII"),
        ));
    }
    if matches!(sent.event, Event::AdvanceBy(_)) {
        return Err(ApiError::invalid(
            "not_allowed",
            &format!("{place}`advance` is not accepted: time is the service's"),
        ));
    }
    let body = serde_json::to_string(&sent.event).map_err(|e| ApiError::invalid("invalid_request", &e.to_string()))?;
    Ok(Item { id: sent.id, event: sent.event, body, not_before: None })
}

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn conflict(id: &str) -> ApiError {
    #[derive(Serialize)]
    struct Data<'a> {
        event_id: &'a str,
    }
    ApiError::new(
        StatusCode::CONFLICT,
        "event_id_conflict",
        "conflict",
        &format!("event id `{id}` is in the log with another event"),
        Data { event_id: id },
    )
}

/// `POST /v1/accounts/{id}/events`: the event's answer, `409` for an id
/// taken by another event.
pub(super) async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    auth::account(&state, &headers, &account).await?;
    let item = item(parse::<Sent>(&body)?, None)?;
    let id = item.id.clone();
    let loaded = state.registry.get(&account).await?;
    let answers = state.registry.append(&loaded, vec![item]).await?;
    match answers.into_iter().next() {
        Some(ItemAnswer::Answer(answer)) => Ok(json(StatusCode::OK, answer)),
        Some(ItemAnswer::Conflict) => Err(conflict(&id)),
        Some(ItemAnswer::NotYet) => Err(held_back()),
        None => Err(ApiError::from(crate::ServerError::Stored("the append gave no answer".into()))),
    }
}

/// A client's event held back for a time condition: only the leader's
/// deadline advances carry one (`not_before`), so this cannot happen — it
/// is the server's fault if it does, not a conflict of the client's id.
fn held_back() -> ApiError {
    ApiError::from(crate::ServerError::Stored("a client's event was held back for a time it does not carry".into()))
}

/// `POST /v1/accounts/{id}/events:batch`: `{"answers": [...]}`, one per
/// event in order — the event's answer, or for an id taken by another
/// event `{"status": 409, "error": {...}}`.
pub(super) async fn batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(account): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    auth::account(&state, &headers, &account).await?;
    let batch: Batch = parse(&body)?;
    if batch.events.len() > MAX_BATCH {
        return Err(ApiError::invalid(
            "too_many_events",
            &format!("a batch holds at most {MAX_BATCH} events, not {}", batch.events.len()),
        ));
    }
    let items = batch
        .events
        .into_iter()
        .enumerate()
        .map(|(i, sent)| item(sent, Some(i)))
        .collect::<Result<Vec<Item>, ApiError>>()?;
    let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    let loaded = state.registry.get(&account).await?;
    let answers = state.registry.append(&loaded, items).await?;
    if answers.iter().any(|a| matches!(a, ItemAnswer::NotYet)) {
        return Err(held_back());
    }
    let mut out = String::from(r#"{"answers":["#);
    for (i, (answer, id)) in answers.iter().zip(&ids).enumerate() {
        if i > 0 {
            out.push(',');
        }
        match answer {
            ItemAnswer::Answer(a) => out.push_str(a),
            ItemAnswer::Conflict | ItemAnswer::NotYet => {
                // (NotYet was refused above.)
                out.push_str(r#"{"status":409,"error":"#);
                out.push_str(conflict(id).body());
                out.push('}');
            }
        }
    }
    out.push_str("]}");
    Ok(json(StatusCode::OK, out))
}
