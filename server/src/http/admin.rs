//! The admin routes: create an account, delete one, give one a new key.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::{AppState, auth};
use crate::error::{ApiError, ServerError};
use crate::{db, keys};

/// `POST /v1/accounts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Create {
    id: String,
    config: groupgate_scenario::AccountFile,
    #[serde(default)]
    start: Option<groupgate_scenario::Instant>,
}

#[derive(Serialize)]
struct Created<'a> {
    id: &'a str,
    key: &'a str,
}

/// The body as `T`, or `422 invalid_request` saying where and why.
pub(super) fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::invalid("invalid_request", &e.to_string()))
}

/// Creates an account with its key: `201 {"id", "key"}`, `409
/// account_exists`, `422` with every configuration problem (R23).
pub(super) async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match create_inner(&state, &headers, &body).await {
        Ok(r) | Err(r) => r,
    }
}

async fn create_inner(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Response, Response> {
    auth::admin(state, headers).map_err(IntoResponse::into_response)?;
    let req: Create = parse(body).map_err(IntoResponse::into_response)?;
    groupgate::check_id(&req.id)
        .map_err(|e| ApiError::invalid("invalid_id", &format!("the account id: {e}")).into_response())?;
    if let Err(e) = req.config.builder().build() {
        let body = serde_json::to_string(&e).unwrap_or_default();
        return Err(ApiError::with_body(StatusCode::UNPROCESSABLE_ENTITY, body).into_response());
    }
    // The request's start, else the file's, else the database's clock now.
    let start = req.start.map(|s| s.0).or((req.config.start.0 != 0).then_some(req.config.start.0));
    if start.is_some_and(|s| s > groupgate::MAX_INSTANT) {
        return Err(ApiError::invalid("invalid_start", "the start passes 2^53 − 1 ms").into_response());
    }
    let initial = serde_json::to_string(&req.config)
        .map_err(|e| ApiError::from(ServerError::Stored(e.to_string())).into_response())?;
    let key = keys::new_key();
    let created = async {
        let client = state.registry.pool().get().await?;
        db::create_account(&client, &req.id, &initial, start, &keys::hash(&key)).await
    }
    .await
    .map_err(|e| ApiError::from(e).into_response())?;
    if !created {
        #[derive(Serialize)]
        struct Data<'a> {
            account: &'a str,
        }
        let message = format!("account `{}` exists", req.id);
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "account_exists",
            "conflict",
            &message,
            Data { account: &req.id },
        )
        .into_response());
    }
    tracing::info!(account = %req.id, "account created");
    Ok((StatusCode::CREATED, Json(Created { id: &req.id, key: &key })).into_response())
}

/// Deletes an account, its log, snapshots and key: `204`, `404`.
pub(super) async fn delete(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(e) = auth::admin(&state, &headers) {
        return e.into_response();
    }
    let deleted = async {
        let client = state.registry.pool().get().await?;
        db::delete_account(&client, &id).await
    }
    .await;
    match deleted {
        Ok(true) => {
            state.registry.unload(&id);
            state.registry.keys_changed();
            tracing::info!(account = %id, "account deleted");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => ApiError::unknown_account(&id).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Gives an account a new key; the old one stops working: `201 {"key"}`,
/// `404`.
pub(super) async fn rotate(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(e) = auth::admin(&state, &headers) {
        return e.into_response();
    }
    let key = keys::new_key();
    let changed = async {
        let client = state.registry.pool().get().await?;
        db::set_key(&client, &id, &keys::hash(&key)).await
    }
    .await;
    match changed {
        Ok(true) => {
            state.registry.keys_changed();
            #[derive(Serialize)]
            struct NewKey<'a> {
                key: &'a str,
            }
            (StatusCode::CREATED, Json(NewKey { key: &key })).into_response()
        }
        Ok(false) => ApiError::unknown_account(&id).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
