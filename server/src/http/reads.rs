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

/// The read routes: each authenticates, waits for `?after`, and answers
/// with the JSON its body makes of the account (`a`) at log number `seq`.
macro_rules! reads {
    ($(
        $(#[$doc:meta])*
        fn $name:ident(($id:ident $(, $var:ident)*): $path:ty, $q:ident) |$a:ident, $seq:pat_param| $body:expr;
    )+) => {$(
        $(#[$doc])*
        #[allow(unused_parens)]
        pub(super) async fn $name(
            State(state): State<AppState>,
            headers: HeaderMap,
            Path(($id $(, $var)*)): Path<$path>,
            Query($q): Query<ReadQuery>,
        ) -> Result<Response, ApiError> {
            answer(&state, &headers, &$id, $q.after, |$a: &Account, $seq: u64| $body).await
        }
    )+};
}

/// `{"agents": [...]}`.
#[derive(Serialize)]
struct Agents<'a> {
    agents: Vec<&'a groupgate::AgentId>,
}

/// `{"visitors": [...]}`.
#[derive(Serialize)]
struct Dashboard<'a> {
    visitors: Vec<&'a str>,
}

/// `{"queue": [...]}`.
#[derive(Serialize)]
struct Queue<'a> {
    queue: Vec<&'a str>,
}

/// `{"pages": [...]}`.
#[derive(Serialize)]
struct Pages<'a> {
    pages: Vec<groupgate::PageAvailability<'a>>,
}

/// `{"visitor": "v1", "online": true}`.
#[derive(Serialize)]
struct ForVisitor<'a> {
    visitor: &'a str,
    online: bool,
}

/// `{"groups": [...]}`.
#[derive(Serialize)]
struct Hours<'a> {
    groups: Vec<groupgate::GroupHoursOf<'a>>,
}

/// `{"seq": 42, "saved": {...}}`.
#[derive(Serialize)]
struct AtSeq {
    seq: u64,
    saved: groupgate::Saved,
}

/// `{"at": 1764000000000}`, `null` for none.
#[derive(Serialize)]
struct Next {
    at: Option<u64>,
}

/// The visitor, or `404 unknown_visitor`.
fn visitor_of<'a>(a: &'a Account, v: &str) -> Result<&'a Account, ApiError> {
    if a.has_visitor(v) { Ok(a) } else { Err(unknown("visitor", v)) }
}

/// The agent, or `404 unknown_agent`.
fn agent_of<'a>(a: &'a Account, agent: &str) -> Result<&'a Account, ApiError> {
    if a.agent(agent).is_some() { Ok(a) } else { Err(unknown("agent", agent)) }
}

reads! {
    /// `GET /visitors/{v}`: the visitor's view.
    fn visitor((id, v): (String, String), q) |a, _| to_json(&a.visitor(&v).ok_or_else(|| unknown("visitor", &v))?);
    /// `GET /visitors/{v}/visible-agents`: R4–R8, in configuration order.
    fn visible_agents((id, v): (String, String), q) |a, _| {
        to_json(&Agents { agents: visitor_of(a, &v)?.visible_agents(&v) })
    };
    /// `GET /visitors/{v}/candidates`: R15 for a new chat.
    fn candidates((id, v): (String, String), q) |a, _| to_json(&visitor_of(a, &v)?.candidates(&v));
    /// `GET /visitors/{v}/claim/{agent}`: R11, allowed or the reason.
    fn claim((id, v, agent): (String, String, String), q) |a, _| to_json(&a.can_claim(&agent, &v));
    /// `GET /agents/{a}`: the agent's view.
    fn agent((id, agent): (String, String), q) |a, _| {
        to_json(&a.agent(&agent).ok_or_else(|| unknown("agent", &agent))?)
    };
    /// `GET /agents/{a}/dashboard`: R9.
    fn dashboard((id, agent): (String, String), q) |a, _| {
        to_json(&Dashboard { visitors: agent_of(a, &agent)?.dashboard(&agent) })
    };
    /// `GET /queue`: queued chats in order (R18).
    fn queue((id): String, q) |a, _| to_json(&Queue { queue: a.queue() });
    /// `GET /availability`: every page's chat box (R10), the ungrouped page
    /// last; `?visitor=v` for one visitor.
    fn availability((id): String, q) |a, _| match &q.visitor {
        Some(v) => to_json(&ForVisitor { visitor: v, online: visitor_of(a, v)?.is_online_for(v) }),
        None => to_json(&Pages { pages: a.availability() }),
    };
    /// `GET /hours`: every group's open state and next change (R30).
    fn hours((id): String, q) |a, _| to_json(&Hours { groups: a.hours() });
    /// `GET /config`: the latest configuration.
    fn config((id): String, q) |a, _| to_json(a.snapshot().config());
    /// `GET /saved`: the saved account (R32) with the log number it is at.
    fn saved((id): String, q) |a, seq| to_json(&AtSeq { seq, saved: a.save() });
    /// `GET /next-deadline`: R26, `{"at": null}` for none.
    fn next_deadline((id): String, q) |a, _| to_json(&Next { at: a.next_deadline() });
}
