//! Counting the SQL statements PostgreSQL runs for the bench database
//! (issue 11's "statements per event" and "round trips per command"), from
//! PostgreSQL's own log: `log_statement = 'all'` is set on the bench
//! database only (so only sessions opened afterwards log), with
//! `log_parameter_max_length = 0` so that no bound value is written, and
//! the log lines of that database after a marker are counted.
//! pg_stat_statements would do it without the log, but it must be
//! preloaded at server start, which a shared machine's bench cannot ask.
//!
//! The bench's own queries during a count carry [`UNCOUNTED`] and are left
//! out.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection};

use super::db::{database_name, options};
use super::Fail;

/// Marks a bench query that is not part of what is counted.
pub const UNCOUNTED: &str = "/* bench: uncounted */";

/// Debian's log of the default cluster (stderr of `pg_ctlcluster`).
const DEFAULT_LOG: &str = "/var/log/postgresql/postgresql-15-main.log";

pub struct StatementLog {
    path: PathBuf,
    url: String,
    database: String,
}

/// Statements counted, and the most frequent ones (their first 70 characters).
pub struct Counted {
    pub statements: u64,
    /// Of `statements`, the notifiers' `pg_notify` (`store/src/wake.rs`):
    /// sent on their own sessions once a commit was answered, so no
    /// command waits for them.
    pub notifies: u64,
    pub top: Vec<(u64, String)>,
}

impl Counted {
    /// The most frequent statements, `n× text; ...`, for the report's notes.
    pub fn top_described(&self) -> String {
        self.top
            .iter()
            .map(|(n, s)| format!("{n}× {s}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl StatementLog {
    /// The server's log, if this process can read it (`CASETRAIL_BENCH_PG_LOG`,
    /// else Debian's default path); `None` means the counts are not taken.
    pub fn find(url: &str) -> Result<Option<Self>, Fail> {
        let path = std::env::var_os("CASETRAIL_BENCH_PG_LOG")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_LOG));
        if std::fs::File::open(&path).is_err() {
            return Ok(None);
        }
        Ok(Some(Self {
            path,
            url: url.to_string(),
            database: database_name(url)?,
        }))
    }

    async fn set(&self, on: bool) -> Result<(), Fail> {
        let mut owner = PgConnection::connect_with(&options(&self.url)?).await?;
        let db = self.database.replace('"', "\"\"");
        let sql = if on {
            format!(
                "ALTER DATABASE \"{db}\" SET log_parameter_max_length = 0; \
                 ALTER DATABASE \"{db}\" SET log_statement = 'all'"
            )
        } else {
            format!(
                "ALTER DATABASE \"{db}\" RESET log_statement; \
                 ALTER DATABASE \"{db}\" RESET log_parameter_max_length"
            )
        };
        owner.execute(sql.as_str()).await?;
        let _ = owner.close().await;
        Ok(())
    }

    /// Sessions of the bench database opened from now on log every statement.
    pub async fn enable(&self) -> Result<(), Fail> {
        self.set(true).await
    }

    /// Stops logging (for sessions opened from now on).
    pub async fn disable(&self) -> Result<(), Fail> {
        self.set(false).await
    }

    /// Where the log ends now: count from here.
    pub fn marker(&self) -> Result<u64, Fail> {
        Ok(std::fs::metadata(&self.path)?.len())
    }

    /// The bench database's statements logged since `marker`.
    pub fn count_since(&self, marker: u64) -> Result<Counted, Fail> {
        let mut file = std::fs::File::open(&self.path)?;
        file.seek(SeekFrom::Start(marker))?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let session = format!("@{} ", self.database);
        let mut by_text = std::collections::BTreeMap::<String, u64>::new();
        let mut statements = 0;
        let mut notifies = 0;
        for line in text.lines().filter(|l| l.contains(&session)) {
            let Some((_, sql)) = line
                .split_once("LOG:  statement: ")
                .or_else(|| line.split_once("LOG:  execute "))
            else {
                continue;
            };
            if sql.contains(UNCOUNTED) {
                continue;
            }
            statements += 1;
            if sql.contains("pg_notify(") {
                notifies += 1;
            }
            // `execute <name>: SQL` names the prepared statement first.
            let sql = sql.split_once(": ").map_or(sql, |(_, s)| s);
            *by_text.entry(sql.chars().take(70).collect()).or_default() += 1;
        }
        let mut top: Vec<(u64, String)> = by_text.into_iter().map(|(s, n)| (n, s)).collect();
        top.sort_by_key(|t| std::cmp::Reverse(t.0));
        top.truncate(8);
        Ok(Counted {
            statements,
            notifies,
            top,
        })
    }
}

/// Waits (bounded) until every projection has applied every event: the
/// statements a burst of commands costs include its projections'.
pub async fn projections_caught_up(url: &str, within: Duration) -> Result<bool, Fail> {
    let mut conn = PgConnection::connect_with(&options(url)?).await?;
    let sql = format!(
        "{UNCOUNTED} SELECT count(*) FROM projection_checkpoints c WHERE EXISTS ( \
           SELECT 1 FROM events e \
           WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position))"
    );
    let deadline = Instant::now() + within;
    let caught_up = loop {
        let behind: i64 = sqlx::query_scalar(&sql).fetch_one(&mut conn).await?;
        if behind == 0 {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = conn.close().await;
    Ok(caught_up)
}

/// The events in the log, by a query that is not counted.
pub async fn event_count(url: &str) -> Result<u64, Fail> {
    let mut conn = PgConnection::connect_with(&options(url)?).await?;
    let n: i64 = sqlx::query_scalar(&format!("{UNCOUNTED} SELECT count(*) FROM events"))
        .fetch_one(&mut conn)
        .await?;
    let _ = conn.close().await;
    Ok(u64::try_from(n).unwrap_or(0))
}
