//! Shared fixtures: a fresh database per test, and the hotline's commands
//! run through the real write path (decide, record, commit).

#![allow(dead_code)]

pub mod hotline;

use std::future::Future;
use std::time::Duration;

use projections::ProjectionSettings;
use sqlx::{Connection, PgConnection, PgPool};
use store::EventStore;

pub const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A database of its own for one test, dropped (forcibly) when the test
/// ends, whether it passed or panicked.
pub struct TestDb {
    pub name: String,
    /// The owner's URL (migrations, rebuild).
    pub url: String,
    /// The server's pool: every connection runs as casetrail_app.
    pub pool: PgPool,
    pub store: EventStore,
    _drop: DropDatabase,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let name = format!("ct_proj_{}", uuid::Uuid::new_v4().simple());
        let url = format!("{SERVER}/{name}");
        let guard = DropDatabase(name.clone());
        store::db::ensure_database(&url)
            .await
            .expect("create the test database");
        store::db::migrate(&url)
            .await
            .expect("migrate the test database");
        let pool = store::db::app_pool(&url, 8).await.expect("app pool");
        TestDb {
            name,
            url,
            store: EventStore::new(pool.clone(), Vec::new()),
            pool,
            _drop: guard,
        }
    }

    /// Another server process's pool on the same database.
    pub async fn another_pool(&self) -> PgPool {
        store::db::app_pool(&self.url, 8)
            .await
            .expect("second app pool")
    }

    /// A connection as the owner, for inspecting tables.
    pub async fn owner(&self) -> PgConnection {
        PgConnection::connect(&self.url)
            .await
            .expect("owner connection")
    }
}

/// Drops its database when dropped (the last field of [`TestDb`]).
struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        let name = self.0.clone();
        // Drop runs inside the test's runtime, which cannot block on a future:
        // a thread of its own with its own runtime does the dropping.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut conn = PgConnection::connect(&format!("{SERVER}/postgres")).await?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.0);
        }
    }
}

/// Settings for tests: the hotline's zone, a fast poll.
pub fn settings(batch_size: usize) -> ProjectionSettings {
    ProjectionSettings {
        batch_size,
        poll_interval: Duration::from_millis(50),
        ..ProjectionSettings::default()
    }
}

/// Polls `check` until it returns `Some`, failing the test after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One projection's status now.
pub async fn status_of(pool: &PgPool, name: &str) -> projections::ProjectionStatus {
    projections::status(pool)
        .await
        .expect("status")
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no projection {name}"))
}

/// Every row of a table, as JSON, in a stable order.
pub async fn table(conn: &mut PgConnection, name: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar(&format!(
        "SELECT to_jsonb(t) FROM {name} t ORDER BY to_jsonb(t)::text"
    ))
    .fetch_all(conn)
    .await
    .expect("read a table")
}

/// Every read-model table's rows, by table name.
pub async fn read_models(conn: &mut PgConnection) -> Vec<(String, Vec<serde_json::Value>)> {
    let mut all = Vec::new();
    for name in [
        "calls",
        "cases",
        "follow_ups",
        "referrals",
        "statistics_calls_by_category",
        "statistics_calls_by_channel",
        "statistics_counselling_sessions",
        "statistics_cases_opened",
        "statistics_referrals",
        "merkle_leaves",
    ] {
        all.push((name.to_string(), table(conn, name).await));
    }
    all
}
