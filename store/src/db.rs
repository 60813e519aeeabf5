//! Connecting to PostgreSQL: create the database when missing, migrate as
//! the owner, and run the server as `casetrail_app`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The role the server's connections run as: it can append events, never change them.
pub const APP_ROLE: &str = "casetrail_app";

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    InvalidUrl(String),
    #[error(
        "cannot reach PostgreSQL at {target}: {cause}.\n  Is it running? On this machine start it with:\n    \
         pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n  \
         or point DATABASE_URL (or --database-url) at a running server."
    )]
    Unreachable { target: String, cause: String },
    /// The server answered: the database itself is missing (SQLSTATE 3D000).
    #[error(
        "PostgreSQL at {server} is running, but it has no database \"{database}\".\n  \
         `casetrail migrate` (or `casetrail serve`) creates it; or point DATABASE_URL \
         (or --database-url) at the right database."
    )]
    MissingDatabase { server: String, database: String },
    /// The database exists but holds no event log: never migrated, or not casetrail's.
    #[error(
        "database {database} has no casetrail event log (no migrations applied, or another \
         application's database): `casetrail migrate` migrates it; or check DATABASE_URL"
    )]
    NotMigrated { database: String },
    /// The server answered and refused us (authentication, permissions, too many clients):
    /// running it again will not help, and "is it running?" would mislead.
    #[error("PostgreSQL at {target} refused the connection: {cause}")]
    Refused { target: String, cause: String },
    #[error("could not create database {database}: {cause}")]
    CreateDatabase { database: String, cause: String },
    #[error("migrations failed: {0}")]
    Migrate(String),
}

fn options(url: &str) -> Result<PgConnectOptions, SetupError> {
    PgConnectOptions::from_str(url)
        .map(|o| o.disable_statement_logging())
        .map_err(|e| SetupError::InvalidUrl(e.to_string()))
}

/// host:port/database, never the password.
fn describe(o: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        o.get_host(),
        o.get_port(),
        o.get_database().unwrap_or("postgres")
    )
}

/// What went wrong connecting to `target`, in the operator's terms: the
/// server is down or unreachable, it has no such database, or it answered
/// and refused. Every connection this crate opens reports through here.
pub fn connect_error(target: &PgConnectOptions, e: &sqlx::Error) -> SetupError {
    match e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000") => {
            SetupError::MissingDatabase {
                server: format!("{}:{}", target.get_host(), target.get_port()),
                database: target.get_database().unwrap_or("postgres").to_string(),
            }
        }
        sqlx::Error::Database(_) if !crate::error::is_unavailable(e) => SetupError::Refused {
            target: describe(target),
            cause: short(e),
        },
        _ => SetupError::Unreachable {
            target: describe(target),
            cause: short(e),
        },
    }
}

/// The single-host URL to use for `url`: itself, or for a multi-host URL
/// (`crate::hosts`) the first host that accepts writes.
pub async fn resolve(url: &str) -> Result<String, SetupError> {
    let hosts = crate::hosts::split(url);
    if hosts.len() == 1 {
        return Ok(url.to_string());
    }
    crate::hosts::read_write(&hosts)
        .await
        .ok_or_else(|| SetupError::Unreachable {
            target: format!("{} hosts", hosts.len()),
            cause: "none of them answers and accepts writes".into(),
        })
}

/// Creates the URL's database if it does not exist yet.
#[tracing::instrument(skip_all)]
pub async fn ensure_database(url: &str) -> Result<(), SetupError> {
    let url = &resolve(url).await?;
    let target = options(url)?;
    let database = target.get_database().unwrap_or("postgres").to_string();
    let maintenance = target.clone().database("postgres");
    let mut conn = PgConnection::connect_with(&maintenance)
        .await
        .map_err(|e| connect_error(&target, &e))?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&database)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| SetupError::Unreachable {
                target: describe(&target),
                cause: short(&e),
            })?;
    if !exists {
        let sql = format!("CREATE DATABASE \"{}\"", database.replace('"', "\"\""));
        if let Err(e) = conn.execute(sql.as_str()).await {
            // Another process may have created it at the same moment.
            let duplicate =
                matches!(&e, sqlx::Error::Database(db) if db.code().as_deref() == Some("42P04"));
            if !duplicate {
                return Err(SetupError::CreateDatabase {
                    database,
                    cause: short(&e),
                });
            }
        }
        tracing::info!(database.name = %database, "created database");
    }
    let _ = conn.close().await;
    Ok(())
}

/// Applies pending migrations as the URL's (owner) user.
#[tracing::instrument(skip_all)]
pub async fn migrate(url: &str) -> Result<(), SetupError> {
    let url = &resolve(url).await?;
    let target = options(url)?;
    let mut conn = PgConnection::connect_with(&target)
        .await
        .map_err(|e| connect_error(&target, &e))?;
    MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|e| SetupError::Migrate(e.to_string()))?;
    let _ = conn.close().await;
    Ok(())
}

/// The server's pool: every connection runs as [`APP_ROLE`]. On a
/// multi-host URL it connects to the host that accepts writes, refuses a
/// connection that lands on a standby, and follows the primary when it
/// moves (`crate::hosts`).
pub async fn app_pool(url: &str, max_connections: u32) -> Result<PgPool, SetupError> {
    let hosts = crate::hosts::split(url);
    let chosen = resolve(url).await?;
    let target = options(&chosen)?;
    let several_hosts = hosts.len() > 1;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // No ping per checkout: it is a round trip on every statement's
        // path. A dead connection fails its statement instead, which the
        // callers already treat as unavailability (retryable), and the pool
        // drops it. (Issue 11 set this; a later merge left it on the
        // replica pool only, and every checkout pinged again.)
        .test_before_acquire(false)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if several_hosts {
                    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
                        .fetch_one(&mut *conn)
                        .await?;
                    if standby {
                        return Err(sqlx::Error::Protocol(
                            "this host is a standby now; waiting for the primary".into(),
                        ));
                    }
                }
                conn.execute(format!("SET ROLE {APP_ROLE}").as_str())
                    .await?;
                Ok(())
            })
        })
        .connect_with(target.clone())
        .await
        .map_err(|e| connect_error(&target, &e))?;
    if several_hosts {
        crate::hosts::follow_the_primary(pool.clone(), hosts, chosen);
    }
    Ok(pool)
}

/// How long a read waits for a standby connection before it gives up on the standby.
pub const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// The server's pool on a hot standby (`--read-database-url`): the same
/// role as [`app_pool`], and every session read-only, so that nothing the
/// server does there could write even if the standby were promoted.
pub async fn replica_pool(url: &str, max_connections: u32) -> Result<PgPool, SetupError> {
    let target = options(url)?;
    let options = PgPoolOptions::new()
        .max_connections(max_connections)
        // Short: a dead standby must not stall the request that finds out
        // (it is then read from the primary, and the standby rests:
        // `standby::StandbyHealth`).
        .acquire_timeout(REPLICA_ACQUIRE_TIMEOUT)
        // No ping per checkout: it is a round trip on every statement's
        // path. A dead connection fails its statement instead, which the
        // callers already treat as unavailability (retryable), and the pool
        // drops it.
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(format!("SET ROLE {APP_ROLE}").as_str())
                    .await?;
                conn.execute("SET default_transaction_read_only = on")
                    .await?;
                Ok(())
            })
        });
    match options.clone().connect_with(target.clone()).await {
        Ok(pool) => Ok(pool),
        Err(e) => match connect_error(&target, &e) {
            // A standby that is down when the server starts must not keep
            // the hotline's server down with it: the pool connects when the
            // standby answers again, and until then reads go to the primary
            // (`standby::StandbyHealth` finds it down on its first probe). A
            // standby that refuses us (role, database, password) is a
            // configuration error, and still stops `serve`.
            SetupError::Unreachable {
                target: shown,
                cause,
            } => {
                tracing::warn!(standby = %shown, cause = %cause, "the standby does not answer; serving reads from the primary until it does");
                Ok(options.connect_lazy_with(target))
            }
            refused => Err(refused),
        },
    }
}

/// Refuses a database without the event log, so that a command reading an
/// existing casetrail database says what is wrong instead of "relation does
/// not exist". `to_regclass` needs no privilege on the table.
pub async fn check_migrated(pool: &PgPool, url: &str) -> Result<(), SetupError> {
    let target = options(url)?;
    let found: bool = sqlx::query_scalar("SELECT to_regclass('public.events') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(|e| connect_error(&target, &e))?;
    if found {
        Ok(())
    } else {
        Err(SetupError::NotMigrated {
            database: target.get_database().unwrap_or("postgres").to_string(),
        })
    }
}

/// A one-line cause for an operator: the server's message and SQLSTATE,
/// never the SQL or its parameters.
pub fn short(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => {
            format!("{} ({})", db.message(), db.code().unwrap_or_default())
        }
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}
