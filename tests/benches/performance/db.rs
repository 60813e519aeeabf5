//! The bench's own database: dropped and recreated at the start of a run,
//! migrated exactly as the server does, plus one scratch table for the raw
//! INSERT ceiling.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};

use super::Fail;

/// The scratch table of the raw ceiling: one row per transaction, with the
/// same two jsonb documents (payload, metadata) an event row carries.
pub const RAW_TABLE: &str = "bench_raw_insert";
/// The same, with the NOTIFY trigger the events table had until migration
/// 0009 (one `pg_notify` per INSERT statement, from 0001).
pub const RAW_NOTIFIED_TABLE: &str = "bench_raw_insert_notified";
/// pgbench's table for the end-to-end figure: pgbench's own kind of
/// one-row INSERT per transaction (a serial key, an int, a timestamp).
pub const PGBENCH_TABLE: &str = "bench_pgbench_insert";

pub fn options(url: &str) -> Result<PgConnectOptions, Fail> {
    Ok(PgConnectOptions::from_str(url)
        .map_err(|e| format!("the bench database URL is not a PostgreSQL URL: {e}"))?
        .disable_statement_logging())
}

/// The database's name, refusing one whose name does not say it is a bench's:
/// the bench drops it.
pub fn database_name(url: &str) -> Result<String, Fail> {
    let name = options(url)?
        .get_database()
        .unwrap_or("postgres")
        .to_string();
    if !name.contains("bench") {
        return Err(format!(
            "refusing to drop database '{name}': the bench's database name must contain 'bench'"
        )
        .into());
    }
    Ok(name)
}

/// Drops the database (if any), creates it and applies the migrations.
pub async fn recreate(url: &str) -> Result<(), Fail> {
    drop_database(url).await?;
    store::db::ensure_database(url).await?;
    store::db::migrate(url).await?;
    let mut owner = PgConnection::connect_with(&options(url)?).await?;
    owner
        .execute(
            format!(
                "CREATE TABLE {RAW_TABLE} (id uuid PRIMARY KEY, payload jsonb NOT NULL, \
                 metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now()); \
                 GRANT SELECT, INSERT ON {RAW_TABLE} TO {role}; \
                 CREATE TABLE {RAW_NOTIFIED_TABLE} (LIKE {RAW_TABLE} INCLUDING ALL); \
                 CREATE TRIGGER bench_notify AFTER INSERT ON {RAW_NOTIFIED_TABLE} \
                     FOR EACH STATEMENT EXECUTE FUNCTION casetrail_notify_append(); \
                 GRANT SELECT, INSERT ON {RAW_NOTIFIED_TABLE} TO {role}; \
                 CREATE TABLE {PGBENCH_TABLE} (id bigserial PRIMARY KEY, v int NOT NULL, \
                     at timestamptz NOT NULL DEFAULT now())",
                role = store::db::APP_ROLE
            )
            .as_str(),
        )
        .await?;
    let _ = owner.close().await;
    Ok(())
}

/// VACUUM (ANALYZE) of the whole bench database, as the owner: what
/// autovacuum does in a steady state, done before a measurement so that
/// it does not happen in the middle of one.
pub async fn settle(url: &str) -> Result<(), Fail> {
    let mut owner = PgConnection::connect_with(&options(url)?).await?;
    owner.execute("VACUUM (ANALYZE)").await?;
    let _ = owner.close().await;
    Ok(())
}

/// Samples what the bench database's active sessions wait on, every few
/// milliseconds, until stopped: (wait, samples), most frequent first.
pub struct WaitSampler {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<Vec<(String, u64)>, Fail>>,
}

impl WaitSampler {
    pub async fn start(url: &str) -> Result<Self, Fail> {
        let options = options(url)?.application_name(super::cpu::SAMPLER_APPLICATION);
        let mut conn = PgConnection::connect_with(&options).await?;
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut counts = std::collections::BTreeMap::<String, u64>::new();
            while !*stopped.borrow() {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT coalesce(wait_event_type || ':' || wait_event, 'on CPU'), count(*) \
                     FROM pg_stat_activity WHERE datname = current_database() \
                       AND pid <> pg_backend_pid() AND state = 'active' GROUP BY 1",
                )
                .fetch_all(&mut conn)
                .await?;
                for (wait, n) in rows {
                    *counts.entry(wait).or_default() += u64::try_from(n).unwrap_or(0);
                }
                let _ = tokio::time::timeout(Duration::from_millis(5), stopped.changed()).await;
            }
            let _ = conn.close().await;
            let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
            counts.sort_by_key(|c| std::cmp::Reverse(c.1));
            Ok(counts)
        });
        Ok(Self { stop, task })
    }

    /// The top waits as "wait share%", joined.
    pub async fn finish(self) -> Result<String, Fail> {
        let _ = self.stop.send(true);
        let counts = self.task.await??;
        let total: u64 = counts.iter().map(|c| c.1).sum::<u64>().max(1);
        Ok(counts
            .iter()
            .take(5)
            .map(|(wait, n)| format!("{wait} {:.0}%", 100.0 * *n as f64 / total as f64))
            .collect::<Vec<_>>()
            .join(", "))
    }
}

/// Drops the bench database, disconnecting whoever still uses it.
pub async fn drop_database(url: &str) -> Result<(), Fail> {
    let name = database_name(url)?;
    let maintenance = options(url)?.database("postgres");
    let mut conn = PgConnection::connect_with(&maintenance)
        .await
        .map_err(|e| format!("cannot reach PostgreSQL: {e}"))?;
    let sql = format!(
        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
        name.replace('"', "\"\"")
    );
    conn.execute(sql.as_str()).await?;
    let _ = conn.close().await;
    Ok(())
}

/// The server's own pool (`store::db::app_pool`: `casetrail_app`, sqlx defaults).
pub async fn app_pool(url: &str, connections: u32) -> Result<PgPool, Fail> {
    Ok(store::db::app_pool(url, connections).await?)
}

/// How many events the log holds.
pub async fn event_count(pool: &PgPool) -> Result<u64, Fail> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The PostgreSQL server's version and the settings that decide write speed.
pub async fn server_description(pool: &PgPool) -> Result<String, Fail> {
    let version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(pool)
        .await?;
    let mut settings = Vec::new();
    for name in ["synchronous_commit", "fsync", "shared_buffers", "wal_level"] {
        let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
            .fetch_one(pool)
            .await?;
        settings.push(format!("{name}={value}"));
    }
    Ok(format!("PostgreSQL {version} ({})", settings.join(", ")))
}
