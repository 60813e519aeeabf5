//! The API's one error type.
//!
//! Policy: every failure a client sees is an [`ApiError`] with one of the
//! contract's codes and a message written for the client: identifiers and
//! codes only, never personal data, SQL, or a panic message. Internal causes
//! (database, vault, corrupt rows) are logged once, here, at the moment they
//! are turned into `INTERNAL`, with the request's correlation id from the
//! surrounding span; the client gets "internal error" and that id.

use async_graphql::ErrorExtensions;
use domain::{DomainError, ErrorKind};
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    InvalidState(String),
    #[error("too many requests: slow down")]
    RateLimited,
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// The contract's `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::InvalidState(_) => "INVALID_STATE",
            ApiError::RateLimited => "RATE_LIMITED",
            ApiError::Unavailable | ApiError::Internal => "INTERNAL",
        }
    }

    pub fn forbidden(what: &str) -> Self {
        ApiError::Forbidden(format!("your role may not {what}"))
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let message = err.to_string();
        match err.kind() {
            ErrorKind::InvalidInput => ApiError::BadUserInput(message),
            ErrorKind::InvalidState => ApiError::InvalidState(message),
            ErrorKind::NotFound => ApiError::NotFound(message),
            ErrorKind::Forbidden => ApiError::Forbidden(message),
            ErrorKind::Conflict => ApiError::Conflict(message),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => {
                ApiError::Conflict("the record changed concurrently; retry the request".into())
            }
            StoreError::IdTaken { kind, id } => ApiError::Conflict(format!(
                "{} {id} is already recorded: an id names one thing across the whole hotline, choose a new id",
                kind.replace('_', " ")
            )),
            StoreError::Unavailable(cause) => {
                tracing::warn!(error.cause = %cause, "database unavailable");
                ApiError::Unavailable
            }
            other => {
                tracing::error!(error.cause = %other, error.source = ?std::error::Error::source(&other).map(|s| s.to_string()), "internal error");
                ApiError::Internal
            }
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code();
        async_graphql::Error::new(err.to_string()).extend_with(|_, e| e.set("code", code))
    }
}

/// Result of a resolver.
pub type ApiResult<T> = Result<T, ApiError>;
