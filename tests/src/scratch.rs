//! The benchmarks' scratch database: each run measures on a fresh database
//! of `BENCH_DATABASE_SERVER` (the local PostgreSQL by default), dropped
//! afterwards unless `BENCH_KEEP` is set, at the log sizes `BENCH_SIZES`
//! names (comma-separated event counts).

use std::future::Future;

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// What a benchmark can fail with.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The log sizes to measure: `BENCH_SIZES`, else `default` (same form).
pub fn sizes(default: &str) -> Vec<u64> {
    std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Runs `measure` with the URL of a fresh database, then drops it (even
/// when `measure` failed) unless `BENCH_KEEP` is set.
pub async fn on_scratch_database<F, Fut>(measure: F) -> Result<(), Failure>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let server = std::env::var("BENCH_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("ct_bench_{}", Uuid::new_v4().simple());
    let url = format!("{server}/{name}");
    store::db::ensure_database(&url).await?;
    let result = measure(url).await;
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("kept database {name}");
        return result;
    }
    let mut conn = PgConnection::connect(&format!("{server}/postgres")).await?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    result
}
