//! Errors of the read side.
//!
//! Policy, as in `store`: no error here carries event payload text or bound
//! values. Database failures keep their `sqlx::Error` as source for the
//! server to log; what is *stored* as a projection's last error is built by
//! [`describe_sqlx`], which keeps only the SQLSTATE and the constraint name.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// PostgreSQL could not be reached or the connection broke: retryable.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("the database refused the operation")]
    Database(#[source] sqlx::Error),
    /// A pagination cursor that this crate did not issue (or issued for another list).
    #[error("the cursor is not valid for this list")]
    BadCursor,
    /// A statistics period whose `from` is after its `to`, or that spans more than a century.
    #[error("the period ends before it starts, or is longer than a century")]
    InvalidPeriod,
    /// `asOfPosition` beyond what the statistics projection has applied: the
    /// answer could still change, so it is refused rather than given.
    #[error("the statistics stand at log position {applied}; position {asked} is not reached yet")]
    PositionNotReached { asked: i64, applied: i64 },
    #[error("no projection is called {0:?}; known: calls, cases, referrals, statistics")]
    UnknownProjection(String),
    /// A stored event that the projection cannot read or attribute (already
    /// described without payload).
    #[error("{0}")]
    Event(String),
    /// A rebuild needs DDL, which only the database owner may run.
    #[error(
        "rebuild must connect as the database owner (the migrations' user), not as casetrail_app"
    )]
    NotOwner,
    /// Another rebuild of the same projection is running.
    #[error("a rebuild of {0} is already running")]
    RebuildRunning(&'static str),
    #[error("projections did not catch up within {timeout:?}: {behind}")]
    Timeout { timeout: Duration, behind: String },
}

impl From<sqlx::Error> for ProjectionError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            e if store::error::is_unavailable(e) => ProjectionError::Unavailable(err),
            sqlx::Error::Database(db) if db.code().as_deref() == Some("42501") => {
                ProjectionError::NotOwner
            }
            _ => ProjectionError::Database(err),
        }
    }
}

impl ProjectionError {
    /// A one-line description safe to store and log: no payload, no bound values.
    pub fn describe(&self) -> String {
        match self {
            ProjectionError::Unavailable(e) | ProjectionError::Database(e) => describe_sqlx(e),
            other => other.to_string(),
        }
    }
}

/// SQLSTATE, constraint and table of a database error; never its message,
/// which may quote a value (`invalid input syntax for type uuid: "..."`).
pub fn describe_sqlx(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => {
            let mut text = format!("database error {}", db.code().unwrap_or_default());
            if let Some(table) = db.table() {
                text.push_str(&format!(" on table {table}"));
            }
            if let Some(constraint) = db.constraint() {
                text.push_str(&format!(" (constraint {constraint})"));
            }
            text
        }
        sqlx::Error::Io(e) => format!("connection error: {}", e.kind()),
        sqlx::Error::PoolTimedOut => "no database connection available in time".into(),
        sqlx::Error::PoolClosed => "the connection pool is closed".into(),
        sqlx::Error::ColumnDecode { index, .. } => format!("column {index} could not be decoded"),
        sqlx::Error::RowNotFound => "an expected row was missing".into(),
        _ => "database client error".into(),
    }
}
