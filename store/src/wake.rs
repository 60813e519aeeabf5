//! Waking the readers of the log (projectors, the live tailer) once a
//! commit group is acknowledged, without notifying inside the group's own
//! transaction.
//!
//! Why not in the transaction: one that queued a NOTIFY takes PostgreSQL's
//! global NOTIFY lock at commit and holds it until its commit record is
//! flushed, so concurrent groups that each notified flushed one after the
//! other (the bench saw sessions waiting on `Lock:object` 63% of the time).
//! So after a group commits, the committer
//! - bumps this process's signal ([`Appends::subscribe`]): its projectors
//!   and live tailer wake with no round trip;
//! - pokes this process's one notifier task, which sends
//!   `pg_notify('casetrail_events', <this process's token>)` on a connection
//!   of its own whose session has `synchronous_commit = off`: that
//!   transaction writes nothing but its commit record, so it holds the lock
//!   for microseconds instead of a flush (a NOTIFY lost in a crash is not
//!   data). Commits that arrive while one NOTIFY is under way, or within
//!   [`SPACING`] after it, share the next one: at most one in flight and
//!   one due, and at most one per [`SPACING`], however fast commits come.
//!
//! Listeners skip notifications that carry their own process's token
//! ([`Appends::is_own`]): the signal already woke that process.
//!
//! The window this leaves: a process that dies after a commit and before
//! its NOTIFY leaves the idle projectors of other processes asleep until
//! the next NOTIFY. Every server notifies once when it starts, after
//! migrating ([`announce`]), and the tools after their last write, so a
//! writer that is restarted wakes everyone; otherwise the next write of any
//! process does.

use std::sync::OnceLock;
use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, watch};

/// The channel the readers of the log listen on (`projections/src/wake.rs`).
pub const EVENTS_CHANNEL: &str = "casetrail_events";

/// How long the notifier waits before trying again when it cannot reach
/// the database (commits fail meanwhile too; the NOTIFY it owes goes out
/// once it can).
const RETRY: Duration = Duration::from_millis(500);

/// Least time between two NOTIFYs of one process. The first commit after a
/// quiet spell is announced at once; later ones wait for the next slot, so
/// other processes' readers learn of a commit at most this much later
/// (their projectors gather 20 ms after a partial batch anyway), and a
/// process sends at most 100 NOTIFYs a second: each is a transaction, and
/// at 32 connections one per commit group was a fifth of the statements.
const SPACING: Duration = Duration::from_millis(10);

/// This process's signal that events were committed, and its notifier.
pub(crate) struct Appends {
    local: watch::Sender<u64>,
    /// The payload of this process's notifications.
    token: String,
    /// Pokes the notifier, started on first use (in the caller's runtime);
    /// it ends when this is dropped.
    notifier: OnceLock<mpsc::Sender<()>>,
}

impl Default for Appends {
    fn default() -> Self {
        Self {
            local: watch::Sender::new(0),
            token: uuid::Uuid::new_v4().simple().to_string(),
            notifier: OnceLock::new(),
        }
    }
}

impl Appends {
    /// Bumped after every commit of this process that wrote events.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.local.subscribe()
    }

    /// Whether a notification's payload is this process's own.
    pub fn is_own(&self, payload: &str) -> bool {
        payload == self.token
    }

    /// Events were committed (PostgreSQL acknowledged them): wake this
    /// process's readers now and everyone else's through one NOTIFY soon.
    pub fn committed(&self, pool: &PgPool) {
        self.local.send_modify(|n| *n = n.wrapping_add(1));
        let notifier = self
            .notifier
            .get_or_init(|| start(pool.clone(), self.token.clone()));
        // Full: a NOTIFY not yet sent is due, and it covers this commit.
        let _ = notifier.try_send(());
    }
}

fn start(pool: PgPool, token: String) -> mpsc::Sender<()> {
    let (poke, mut poked) = mpsc::channel::<()>(1);
    tokio::spawn(async move {
        let mut conn: Option<PgConnection> = None;
        while poked.recv().await.is_some() {
            let sent = tokio::time::Instant::now();
            loop {
                let stale = conn.is_some();
                let Err(e) = notify(&pool, &mut conn, &token).await else {
                    break;
                };
                conn = None;
                // A connection the database ended: a fresh one at once.
                if stale {
                    continue;
                }
                tracing::warn!(error = %crate::db::short(&e), "cannot notify the log's readers; retrying");
                tokio::time::sleep(RETRY).await;
                if poked.is_closed() {
                    return;
                }
            }
            // Commits meanwhile leave one poke waiting: it goes out after the spacing.
            tokio::time::sleep_until(sent + SPACING).await;
        }
    });
    poke
}

/// One NOTIFY with this process's token, on the notifier's own connection.
async fn notify(
    pool: &PgPool,
    conn: &mut Option<PgConnection>,
    token: &str,
) -> Result<(), sqlx::Error> {
    let conn = match conn {
        Some(conn) => conn,
        None => {
            // Detached: its session setting must not reach the pool's other users.
            let mut fresh = pool.acquire().await?.detach();
            sqlx::query("SET synchronous_commit = off")
                .execute(&mut fresh)
                .await?;
            conn.insert(fresh)
        }
    };
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(EVENTS_CHANNEL)
        .bind(token)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Wakes the readers of every process now (an empty payload: nobody skips
/// it), for whatever was committed before: a server when it starts, a tool
/// after its last write.
pub async fn announce(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(EVENTS_CHANNEL)
        .execute(pool)
        .await?;
    Ok(())
}
