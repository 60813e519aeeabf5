//! Errors of the event store.
//!
//! Policy: a `StoreError` never carries database text to a client. The API
//! maps `Conflict` to CONFLICT, `Unavailable` to a retryable INTERNAL, and
//! logs the source of `Database` and `Corrupt` once, with no personal data
//! (SQL errors here never contain bound parameter values).

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another command appended to the same stream first (or the same idempotency key won).
    #[error("the stream changed while the command ran")]
    Conflict,
    /// PostgreSQL could not be reached or the connection broke.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("the database refused the operation")]
    Database(#[source] sqlx::Error),
    /// A stored row that cannot be decoded: a bug or tampering, never input.
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
    /// The command introduces an id that already names another thing of
    /// its kind (`identity`). Carries ids only.
    #[error("{kind} {id} is already recorded; an id names one thing")]
    IdTaken { kind: &'static str, id: uuid::Uuid },
    /// An event to append lacks its attribution (`EventMetadata::lacks`):
    /// a bug in the writer, never input, so it is answered INTERNAL.
    #[error("an event to append has no {0}")]
    Unattributed(&'static str),
    /// An event to append holds a number other than an integer within
    /// ±(2^53 - 1), which the chain's canonical JSON (RFC 8785) cannot hash
    /// reproducibly (`jcs::has_inexact_number`): a bug in the writer, never
    /// input, so it is answered INTERNAL. Names no value.
    #[error("an event to append holds a number that is not a safe integer")]
    Unhashable,
    /// The vault could not seal or open personal data (key problems).
    #[error("personal data could not be processed: {0}")]
    Vault(&'static str),
}

/// Whether a database error means PostgreSQL is unreachable or going away
/// (connection lost, shutting down, pool exhausted) rather than refusing
/// the statement: such errors are retryable and reported as unavailability.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            StoreError::Unavailable(err)
        } else {
            StoreError::Database(err)
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(err: serde_json::Error) -> Self {
        StoreError::Corrupt(err.to_string())
    }
}
