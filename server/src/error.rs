//! Errors: [`ServerError`] for what goes wrong inside (the database, a
//! stored value that does not read back), [`ApiError`] for what a client is
//! answered — a status and a body in the library's error form,
//! `{"code", "kind", "message", ...data}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// What went wrong inside the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The database failed or could not be reached.
    #[error("database: {}", describe(.0))]
    Db(#[from] tokio_postgres::Error),
    /// No connection could be had from the pool in time.
    #[error("database unavailable: {0}")]
    Pool(String),
    /// A stored value does not read back (a corrupt row, a number out of
    /// range).
    #[error("stored data: {0}")]
    Stored(String),
    /// The options given do not work.
    #[error("configuration: {0}")]
    Config(String),
    /// Another server appended to the account while this append was made:
    /// nothing was written, and the same request may be sent again.
    #[error("the log moved on: {0}")]
    Raced(String),
}

/// A database error with the server's own message when it has one.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl ServerError {
    /// Whether this is the database being away or busy, or another
    /// server's append in the way (worth a retry),
    /// rather than a fault of this server.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ServerError::Pool(_) | ServerError::Raced(_) => true,
            ServerError::Db(e) => e.as_db_error().is_none_or(|db| {
                let code = db.code().code();
                ["08", "53", "57", "40"].iter().any(|class| code.starts_with(class)) || code == "55P03"
            }),
            ServerError::Stored(_) | ServerError::Config(_) => false,
        }
    }
}

impl From<deadpool_postgres::PoolError> for ServerError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ServerError::Pool(e.to_string())
    }
}

/// An answer that is not a success: its status and its JSON body.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: String,
}

/// The error form: `{"code", "kind", "message"}` and the fields `data`
/// adds, in order.
#[derive(Serialize)]
struct Form<'a, D: Serialize> {
    code: &'a str,
    kind: &'a str,
    message: &'a str,
    #[serde(flatten)]
    data: D,
}

impl ApiError {
    /// `status` with `{"code", "kind", "message"}` and `data` (an object,
    /// or `()` for none) flattened after them.
    pub fn new(status: StatusCode, code: &str, kind: &str, message: &str, data: impl Serialize) -> Self {
        let body = serde_json::to_string(&Form { code, kind, message, data })
            .unwrap_or_else(|_| format!(r#"{{"code":"{code}","kind":"{kind}","message":"?"}}"#));
        ApiError { status, body }
    }

    /// A status with a body already in the error form (a library error).
    pub fn with_body(status: StatusCode, body: String) -> Self {
        ApiError { status, body }
    }

    /// `401 unauthorized`: no key, or a key that is nobody's.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "unauthorized", "a valid key is needed", ())
    }

    /// `403 forbidden`: a key of another account.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "forbidden", "this key is for another account", ())
    }

    /// `404 unknown_account`.
    pub fn unknown_account(id: &str) -> Self {
        #[derive(Serialize)]
        struct Data<'a> {
            account: &'a str,
        }
        Self::new(
            StatusCode::NOT_FOUND,
            "unknown_account",
            "not_found",
            &format!("no account `{id}`"),
            Data { account: id },
        )
    }

    /// `422` with `code` (kind `invalid`) and a message naming what is wrong.
    pub fn invalid(code: &str, message: &str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, "invalid", message, ())
    }

    /// `504 timeout`: a read waited too long for the log to be applied.
    pub fn timeout(message: &str) -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, "timeout", "unavailable", message, ())
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body.
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database unavailable");
            Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "unavailable", &e.to_string(), ())
        } else {
            tracing::error!(error = %e, "internal error");
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal", &e.to_string(), ())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, [(axum::http::header::CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}
