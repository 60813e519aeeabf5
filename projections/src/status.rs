//! Where each projection stands, for `casetrail projections status`, the
//! contract's `projections` query, metrics and tests.

use std::time::Duration;

use sqlx::{PgPool, Row};

use crate::error::ProjectionError;
use crate::projection::{Projection, RUN_LOCK_CLASS};

/// One projection's progress and health.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectionStatus {
    pub name: String,
    /// The highest log position among the events it has applied.
    pub position: i64,
    /// The highest position in the log.
    pub head_position: i64,
    /// Committed events it has not applied yet.
    pub lag: i64,
    /// The event it is stuck on, if it failed on one.
    pub failed_at: Option<i64>,
    /// Why it is stuck (codes and coordinates, never payload).
    pub error: Option<String>,
    /// Whether some process holds its lock (is running it) right now.
    pub running: bool,
}

impl ProjectionStatus {
    /// Stuck on an event (or a batch) it could not apply: it retries with
    /// backoff but does not move until the cause is fixed.
    pub fn is_stopped(&self) -> bool {
        self.failed_at.is_some() || self.error.is_some()
    }
}

/// Every projection's status, in a fixed order (calls, cases, referrals, statistics).
#[tracing::instrument(skip_all)]
pub async fn status(pool: &PgPool) -> Result<Vec<ProjectionStatus>, ProjectionError> {
    let names: Vec<&str> = Projection::ALL.iter().map(|p| p.name()).collect();
    let ids: Vec<i32> = Projection::ALL.iter().map(|p| p.lock_id()).collect();
    let rows = sqlx::query(
        "SELECT p.name, c.applied_position, c.failed_position, c.last_error, \
                (SELECT count(*) FROM events e \
                  WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position)) AS lag, \
                EXISTS (SELECT 1 FROM pg_locks l \
                         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
                           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                           AND l.classid::bigint = $2 AND l.objid::bigint = p.lock_id) AS running, \
                (SELECT coalesce(max(position), 0) FROM events) AS head \
         FROM unnest($1::text[], $3::int[]) WITH ORDINALITY AS p(name, lock_id, n) \
         LEFT JOIN projection_checkpoints c ON c.name = p.name \
         ORDER BY p.n",
    )
    .bind(&names)
    .bind(i64::from(RUN_LOCK_CLASS))
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ProjectionStatus {
                name: row.try_get("name")?,
                position: row
                    .try_get::<Option<i64>, _>("applied_position")?
                    .unwrap_or(0),
                head_position: row.try_get("head")?,
                lag: row.try_get("lag")?,
                failed_at: row.try_get("failed_position")?,
                error: row.try_get("last_error")?,
                running: row.try_get("running")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ProjectionError::from)
}

/// Waits until every projection has applied every committed event (polling
/// every 20 ms); `Timeout` names those still behind. For tests and for
/// tools that must read their own writes.
#[tracing::instrument(skip(pool))]
pub async fn wait_until_caught_up(pool: &PgPool, timeout: Duration) -> Result<(), ProjectionError> {
    let names: Vec<&str> = Projection::ALL.iter().map(|p| p.name()).collect();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let behind: Vec<String> = sqlx::query_scalar(
            "SELECT p.name FROM unnest($1::text[]) AS p(name) \
             LEFT JOIN projection_checkpoints c ON c.name = p.name \
             WHERE c.name IS NULL OR EXISTS (SELECT 1 FROM events e \
                   WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position))",
        )
        .bind(&names)
        .fetch_all(pool)
        .await?;
        if behind.is_empty() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(ProjectionError::Timeout {
                timeout,
                behind: behind.join(", "),
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
