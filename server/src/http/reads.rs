//! Reads: answered by this server's copy of the account once it has
//! applied the log at least up to `?after=SEQ` (read your own writes),
//! waiting at most 2 s (`504`). Each answer is the library's serde form of
//! the read; the header `groupgate-seq` says which log number it reflects.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use groupgate::Account;
use serde::{Deserialize, Serialize};

use super::{AppState, auth};
use crate::error::{ApiError, ServerError};

/// `?after=SEQ`, and `?visitor=v` for `/availability`.
#[derive(Deserialize, Default)]
pub(super) struct ReadQuery {
    after: Option<u64>,
    visitor: Option<String>,
}

fn to_json(value: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::from(ServerError::Stored(e.to_string())))
}

/// `404 unknown_<what>`, naming the id under `what`.
fn unknown(what: &str, id: &str) -> ApiError {
    let data = serde_json::json!({ what: id });
    ApiError::new(StatusCode::NOT_FOUND, &format!("unknown_{what}"), "not_found", &format!("no {what} `{id}`"), data)
}

/// Authenticates, waits for the log up to `after`, and answers with what
/// `read` makes of the account.
async fn answer(
    state: &AppState,
    headers: &HeaderMap,
    account: &str,
    after: Option<u64>,
    read: impl FnOnce(&Account, u64) -> Result<String, ApiError>,
) -> Result<Response, ApiError> {
    auth::account(state, headers, account).await?;
    let loaded = state.registry.get(account).await?;
    let guard = state.registry.read(&loaded, after).await?;
    let Some(replica) = guard.as_ref() else {
        return Err(ServerError::Stored("the account's copy is not loaded".into()).into());
    };
    let seq = replica.seq;
    let body = read(&replica.account, seq)?;
    drop(guard);
    let mut response = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&seq.to_string()) {
        response.headers_mut().insert("groupgate-seq", v);
    }
    Ok(response)
}

type Account2 = Path<(String, String)>;
type Account3 = Path<(String, String, String)>;

/// `GET /visitors/{v}`: the visitor's view.
pub(super) async fn visitor(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, v)): Account2,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    answer(&s, &h, &id, q.after, |a, _| to_json(&a.visitor(&v).ok_or_else(|| unknown("visitor", &v))?)).await
}

/// `GET /visitors/{v}/visible-agents`: R4–R8, in configuration order.
pub(super) async fn visible_agents(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, v)): Account2,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Agents<'a> {
        agents: Vec<&'a groupgate::AgentId>,
    }
    answer(&s, &h, &id, q.after, |a, _| {
        if !a.has_visitor(&v) {
            return Err(unknown("visitor", &v));
        }
        to_json(&Agents { agents: a.visible_agents(&v) })
    })
    .await
}

/// `GET /visitors/{v}/candidates`: R15 for a new chat.
pub(super) async fn candidates(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, v)): Account2,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    answer(&s, &h, &id, q.after, |a, _| {
        if !a.has_visitor(&v) {
            return Err(unknown("visitor", &v));
        }
        to_json(&a.candidates(&v))
    })
    .await
}

/// `GET /visitors/{v}/claim/{agent}`: R11, allowed or the reason.
pub(super) async fn claim(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, v, agent)): Account3,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    answer(&s, &h, &id, q.after, |a, _| to_json(&a.can_claim(&agent, &v))).await
}

/// `GET /agents/{a}`: the agent's view.
pub(super) async fn agent(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, agent)): Account2,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    answer(&s, &h, &id, q.after, |a, _| to_json(&a.agent(&agent).ok_or_else(|| unknown("agent", &agent))?)).await
}

/// `GET /agents/{a}/dashboard`: R9.
pub(super) async fn dashboard(
    State(s): State<AppState>,
    h: HeaderMap,
    Path((id, agent)): Account2,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Dashboard<'a> {
        visitors: Vec<&'a str>,
    }
    answer(&s, &h, &id, q.after, |a, _| {
        if a.agent(&agent).is_none() {
            return Err(unknown("agent", &agent));
        }
        to_json(&Dashboard { visitors: a.dashboard(&agent) })
    })
    .await
}

/// `GET /queue`: queued chats in order (R18).
pub(super) async fn queue(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Queue<'a> {
        queue: Vec<&'a str>,
    }
    answer(&s, &h, &id, q.after, |a, _| to_json(&Queue { queue: a.queue() })).await
}

/// `GET /availability`: every page's chat box (R10), the ungrouped page
/// last; `?visitor=v` for one visitor.
pub(super) async fn availability(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Pages<'a> {
        pages: Vec<groupgate::PageAvailability<'a>>,
    }
    #[derive(Serialize)]
    struct ForVisitor<'a> {
        visitor: &'a str,
        online: bool,
    }
    answer(&s, &h, &id, q.after, |a, _| match &q.visitor {
        Some(v) if !a.has_visitor(v) => Err(unknown("visitor", v)),
        Some(v) => to_json(&ForVisitor { visitor: v, online: a.is_online_for(v) }),
        None => to_json(&Pages { pages: a.availability() }),
    })
    .await
}

/// `GET /hours`: every group's open state and next change (R30).
pub(super) async fn hours(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Hours<'a> {
        groups: Vec<groupgate::GroupHoursOf<'a>>,
    }
    answer(&s, &h, &id, q.after, |a, _| to_json(&Hours { groups: a.hours() })).await
}

/// `GET /config`: the latest configuration.
pub(super) async fn config(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    answer(&s, &h, &id, q.after, |a, _| to_json(a.snapshot().config())).await
}

/// `GET /saved`: the saved account (R32) with the log number it is at.
pub(super) async fn saved(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct AtSeq {
        seq: u64,
        saved: groupgate::Saved,
    }
    answer(&s, &h, &id, q.after, |a, seq| to_json(&AtSeq { seq, saved: a.save() })).await
}

/// `GET /next-deadline`: R26, `{"at": null}` for none.
pub(super) async fn next_deadline(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ReadQuery>,
) -> Result<Response, ApiError> {
    #[derive(Serialize)]
    struct Next {
        at: Option<u64>,
    }
    answer(&s, &h, &id, q.after, |a, _| to_json(&Next { at: a.next_deadline() })).await
}
