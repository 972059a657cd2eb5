//! Authentication: `Authorization: Bearer <token>`. The admin token is
//! compared by its hash; an account key is looked up by its hash, so a key
//! of another account is told apart from no key at all (`403`, not `401`).
//! A request that fails here reaches no account.

use axum::http::HeaderMap;

use super::AppState;
use crate::error::ApiError;
use crate::keys;

/// The bearer token of a request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim()).filter(|t| !t.is_empty())
}

/// Admin requests: the admin token, or `401`.
///
/// # Errors
///
/// `401 unauthorized`.
pub fn admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let (Some(token), Some(want)) = (bearer(headers), state.admin_hash.as_deref()) else {
        return Err(ApiError::unauthorized());
    };
    if keys::same_hash(&keys::hash(token), want) { Ok(()) } else { Err(ApiError::unauthorized()) }
}

/// Account requests: a key of account `id`; `401` without a key or with
/// one that is nobody's, `403` with another account's.
///
/// # Errors
///
/// `401 unauthorized`, `403 forbidden`, `503` when the database is away.
pub async fn account(state: &AppState, headers: &HeaderMap, id: &str) -> Result<(), ApiError> {
    let Some(token) = bearer(headers) else { return Err(ApiError::unauthorized()) };
    match state.registry.key_owner(&keys::hash(token)).await? {
        None => Err(ApiError::unauthorized()),
        Some(owner) if owner == id => Ok(()),
        Some(_) => Err(ApiError::forbidden()),
    }
}
