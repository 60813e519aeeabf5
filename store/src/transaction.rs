//! Beginning a transaction in a way that a cancelled caller cannot break.
//!
//! sqlx counts a transaction as begun only once PostgreSQL has answered its
//! `BEGIN`. A caller dropped in between (an HTTP client that disconnects, a
//! subscription that is closed, a timeout) leaves the connection inside a
//! transaction that nothing will roll back, and the pool hands it to the next
//! request, which then fails ("there is already a transaction in progress"
//! and its REPEATABLE READ snapshot is not its own). One user's disconnect
//! would hurt every later user of that connection. Here the `BEGIN` runs in
//! a task of its own: a cancelled caller drops a transaction that has fully
//! begun, so sqlx rolls it back before the connection is used again.

use sqlx::{PgPool, Postgres, Transaction};

/// A read-write transaction.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(pool, None).await
}

/// A read-only transaction on one snapshot (REPEATABLE READ): every figure of
/// an answer comes from the same moment of the log.
pub async fn begin_snapshot(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    begin_with(
        pool,
        Some("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
    )
    .await
}

async fn begin_with(
    pool: &PgPool,
    statement: Option<&'static str>,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let pool = pool.clone();
    let beginning = tokio::spawn(async move {
        match statement {
            Some(statement) => pool.begin_with(statement).await,
            None => pool.begin().await,
        }
    });
    match beginning.await {
        Ok(begun) => begun,
        // Only a panic or a runtime shutting down ends the task otherwise.
        Err(e) => Err(sqlx::Error::WorkerCrashed).inspect_err(|_| {
            tracing::error!(error = %e, "the task beginning a transaction ended early");
        }),
    }
}
