//! The bench's own database: dropped and recreated at the start of a run,
//! migrated exactly as the server does, plus one scratch table for the raw
//! INSERT ceiling.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};

use super::Fail;

/// The scratch table of the raw ceiling: one row per transaction, with the
/// same two jsonb documents (payload, metadata) an event row carries.
pub const RAW_TABLE: &str = "bench_raw_insert";

fn options(url: &str) -> Result<PgConnectOptions, Fail> {
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
                 GRANT SELECT, INSERT ON {RAW_TABLE} TO {}",
                store::db::APP_ROLE
            )
            .as_str(),
        )
        .await?;
    let _ = owner.close().await;
    Ok(())
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

/// The same pool without sqlx's ping before every acquire: what the
/// command path would cost with `test_before_acquire(false)`.
pub async fn app_pool_without_ping(url: &str, connections: u32) -> Result<PgPool, Fail> {
    let role = store::db::APP_ROLE;
    Ok(PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute(format!("SET ROLE {role}").as_str()).await?;
                Ok(())
            })
        })
        .connect_with(options(url)?)
        .await?)
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
    for name in [
        "synchronous_commit",
        "fsync",
        "shared_buffers",
        "wal_level",
    ] {
        let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
            .fetch_one(pool)
            .await?;
        settings.push(format!("{name}={value}"));
    }
    Ok(format!("PostgreSQL {version} ({})", settings.join(", ")))
}
