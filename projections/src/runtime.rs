//! The projector runtime: one task per projection, each holding its
//! projection's advisory lock on a dedicated connection, woken when events
//! are appended: by this process's store at once, by other processes
//! through one listener (`wake.rs`). An idle projector has no timer: it
//! waits for one of the two (or a stop) and issues no statement meanwhile.
//!
//! Exactly one process runs a projection at a time: a task first takes a
//! session advisory lock on its own connection and then runs every batch
//! transaction *on that same connection*. If the process dies, PostgreSQL
//! ends the session, which releases the lock and rolls back any batch in
//! flight; a standby task polling `pg_try_advisory_lock` elsewhere takes
//! over within one poll interval and resumes from the checkpoint.
//!
//! The backoff after a failure is kept hand-written: one saturating doubling
//! capped at `MAX_BACKOFF`, which a backoff crate would not make clearer.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};
use store::EventStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::checkpoint::{ensure_rows, record_failure, step, Step, StepFailure};
use crate::error::ProjectionError;
use crate::feed::shared::{Seen, SharedFeed};
use crate::feed::Standing;
use crate::projection::{Projection, RUN_LOCK_CLASS};
use crate::settings::ProjectionSettings;
use crate::wake::{listen, pause};

/// How a projector's session is set once it holds the projection's lock.
/// For the whole session, not per batch: the connection runs nothing but
/// this projection's steps, and a batch is then only its own statements.
///
/// - `enable_sort = off`: the reason is given in `feed::read_batch`.
/// - `synchronous_commit = off`: a read model is derived from the log, so
///   its batch need not wait for its own WAL flush (ARCHITECTURE.md, "a
///   read model is never the only copy"). A crash of PostgreSQL loses at
///   most the last batches, model and checkpoint together (one
///   transaction), and they are projected again from the log, which every
///   command's commit did flush. The events a batch read were flushed
///   before they became visible, so a batch that survives never refers to
///   an event that did not.
const PROJECTOR_SESSION: &str = "SET enable_sort = off; SET synchronous_commit = off";

/// The longest wait between retries of a projection stuck on an event.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// After a batch that did not fill up, a projector lets events gather this
/// long before its next step, so that under load a step carries many
/// events (its statements are per batch, not per event); a read model
/// lags its log by about this much more.
const GATHER: Duration = Duration::from_millis(20);
/// How soon to look again when committed events wait behind an older
/// transaction: its end notifies nobody.
const BEHIND_OLDER: Duration = Duration::from_millis(20);

/// The running projectors of this process. Dropping it aborts them as a
/// crash would (their sessions end, so their locks pass to another process);
/// [`ProjectionRuntime::shutdown`] stops them between batches instead.
pub struct ProjectionRuntime {
    stop: watch::Sender<bool>,
    /// Kept here so that projectors' wake channel never closes under them.
    _wake: Arc<watch::Sender<u64>>,
    tasks: Vec<JoinHandle<()>>,
    duties: Duties,
}

/// What this process does about each projection right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Duty {
    /// Holds the lock and runs it.
    Running,
    /// Another process holds the lock; this one polls to take over.
    StandingBy,
}

type Duties = Arc<Mutex<BTreeMap<&'static str, Duty>>>;

impl ProjectionRuntime {
    /// The projections this process currently runs (holds the lock of).
    pub fn holding(&self) -> Vec<String> {
        self.with_duty(Duty::Running)
    }

    /// The projections another process runs, which this one would take over.
    pub fn standing_by(&self) -> Vec<String> {
        self.with_duty(Duty::StandingBy)
    }

    fn with_duty(&self, duty: Duty) -> Vec<String> {
        let duties = self.duties.lock().map(|d| d.clone()).unwrap_or_default();
        duties
            .into_iter()
            .filter(|(_, d)| *d == duty)
            .map(|(name, _)| name.to_string())
            .collect()
    }

    /// Stops every projector after its current batch and releases its lock.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for ProjectionRuntime {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts every projection's projector (each runs here only while this
/// process holds its lock) and the listener that wakes them. Must be called
/// inside a Tokio runtime. `pool` is the server's pool (as `casetrail_app`);
/// each projector detaches one connection from it for its lock.
pub fn spawn(pool: PgPool, store: EventStore, settings: ProjectionSettings) -> ProjectionRuntime {
    let (stop, stop_rx) = watch::channel(false);
    let (wake, wake_rx) = watch::channel(0_u64);
    let wake = Arc::new(wake);
    let duties: Duties = Arc::default();
    let feed = Arc::new(SharedFeed::default());
    let mut tasks = vec![tokio::spawn(listen(
        pool.clone(),
        store.clone(),
        wake.clone(),
        stop_rx.clone(),
        settings.poll_interval,
    ))];
    for projection in Projection::ALL {
        let projector = Projector {
            projection,
            pool: pool.clone(),
            store: store.clone(),
            settings: settings.clone(),
            wake: wake_rx.clone(),
            appended: store.appended(),
            stop: stop_rx.clone(),
            duties: duties.clone(),
            feed: feed.clone(),
        };
        tasks.push(tokio::spawn(projector.run()));
    }
    ProjectionRuntime {
        stop,
        _wake: wake,
        tasks,
        duties,
    }
}

/// Sleeps for `wait`, or forever when there is nothing to wait for.
async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

/// Why a projector let go of its lock.
enum Released {
    Stopped,
    ConnectionLost(ProjectionError),
}

struct Projector {
    projection: Projection,
    pool: PgPool,
    store: EventStore,
    settings: ProjectionSettings,
    /// Other processes' notifications (and the listener's reconnections).
    wake: watch::Receiver<u64>,
    /// This process's commits (the store lives as long as this projector,
    /// so the counter never closes under it).
    appended: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
    duties: Duties,
    /// What this process's projectors read of the log, read once for all.
    feed: Arc<SharedFeed>,
}

impl Projector {
    async fn run(mut self) {
        let name = self.projection.name();
        loop {
            let Some(mut conn) = self.take_lock().await else {
                return;
            };
            tracing::info!(projection = name, "running projection here");
            self.set_duty(Some(Duty::Running));
            let released = self.hold(&mut conn).await;
            self.set_duty(None);
            match released {
                Released::Stopped => {
                    let _ = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
                        .bind(RUN_LOCK_CLASS)
                        .bind(self.projection.lock_id())
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                    return;
                }
                Released::ConnectionLost(e) => {
                    // The session is gone, and with it the lock.
                    tracing::warn!(projection = name, error = %e.describe(), "lost the projection's connection");
                    drop(conn);
                    if pause(&mut self.stop, self.settings.poll_interval).await {
                        return;
                    }
                }
            }
        }
    }

    fn set_duty(&self, duty: Option<Duty>) {
        if let Ok(mut duties) = self.duties.lock() {
            match duty {
                Some(duty) => duties.insert(self.projection.name(), duty),
                None => duties.remove(self.projection.name()),
            };
        }
    }

    /// Waits until this process holds the projection's lock, on a connection
    /// of its own; `None` when asked to stop first.
    async fn take_lock(&mut self) -> Option<PgConnection> {
        // Kept while standing by, so that polling costs a query, not a connection.
        let mut standby: Option<PgConnection> = None;
        loop {
            match self.try_lock(&mut standby).await {
                Ok(true) => return standby,
                Ok(false) => self.set_duty(Some(Duty::StandingBy)),
                Err(e) => {
                    standby = None;
                    tracing::warn!(projection = self.projection.name(), error = %e.describe(),
                        "cannot reach the database for the projection's lock");
                }
            }
            if pause(&mut self.stop, self.settings.poll_interval).await {
                self.set_duty(None);
                if let Some(conn) = standby {
                    let _ = conn.close().await;
                }
                return None;
            }
        }
    }

    /// Tries the lock on `conn`, connecting first if needed.
    async fn try_lock(&mut self, conn: &mut Option<PgConnection>) -> Result<bool, ProjectionError> {
        let conn = match conn {
            Some(conn) => conn,
            // Detached: the lock lives as long as this session, not a pool checkout.
            None => conn.insert(self.pool.acquire().await?.detach()),
        };
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(RUN_LOCK_CLASS)
            .bind(self.projection.lock_id())
            .fetch_one(&mut *conn)
            .await?;
        if locked {
            ensure_rows(conn).await?;
            sqlx::Executor::execute(&mut *conn, PROJECTOR_SESSION).await?;
        }
        Ok(locked)
    }

    /// Catches up, then waits for a notification (idle: nothing else), for
    /// as long as the lock's connection lives.
    async fn hold(&mut self, conn: &mut PgConnection) -> Released {
        let name = self.projection.name();
        let mut failures: u32 = 0;
        let mut last_error: Option<(Option<i64>, String)> = None;
        // After a multi-event batch failed: events to take one at a time to find the culprit.
        let mut narrow: usize = 0;
        // The checkpoint as this projector last moved it (`checkpoint::step`).
        let mut known: Option<Standing> = None;
        loop {
            let seen = Seen {
                woken: *self.wake.borrow_and_update(),
                appended: *self.appended.borrow_and_update(),
            };
            let limit = if narrow > 0 {
                1
            } else {
                self.settings.batch_size.max(1)
            };
            let outcome = step(
                conn,
                &self.store,
                self.projection,
                self.settings.time_zone,
                limit,
                &self.feed,
                &mut known,
                seen,
            )
            .await;
            let mut waiting = false;
            let stuck = match outcome {
                Ok(Step::Applied {
                    events,
                    waiting: behind,
                    fresh,
                    more,
                }) => {
                    narrow = narrow.saturating_sub(events);
                    if last_error.take().is_some() {
                        tracing::info!(projection = name, "projection moving again");
                    }
                    failures = 0;
                    if *self.stop.borrow() {
                        return Released::Stopped;
                    }
                    // A full batch (or one that must be read again, or a
                    // part of a read that stopped at its limit): more is there now.
                    if events == 0 || events >= limit || more {
                        continue;
                    }
                    if pause(&mut self.stop, GATHER).await {
                        return Released::Stopped;
                    }
                    // Read before this projector's last notification: what
                    // that notified may not be in it, so look again.
                    if !fresh {
                        continue;
                    }
                    waiting = behind;
                    None
                }
                Ok(Step::Idle { waiting: behind }) => {
                    narrow = 0;
                    waiting = behind;
                    None
                }
                Ok(Step::Stuck { position, error }) => Some((position, error)),
                Err(StepFailure {
                    error: ProjectionError::Unavailable(e),
                    ..
                }) => {
                    return Released::ConnectionLost(ProjectionError::Unavailable(e));
                }
                Err(StepFailure { position, error }) if position.is_none() && limit > 1 => {
                    tracing::debug!(projection = name, error = %error.describe(), "batch failed; narrowing");
                    narrow = limit;
                    continue;
                }
                Err(StepFailure { position, error }) => {
                    let text = error.describe();
                    if let Err(e) = record_failure(conn, self.projection, position, &text).await {
                        return Released::ConnectionLost(e.into());
                    }
                    Some((position, text))
                }
            };
            let wait = match stuck {
                None if waiting => Some(BEHIND_OLDER.min(self.settings.poll_interval)),
                // Idle: no statement until this process commits events,
                // another process's NOTIFY arrives, or the listener wakes
                // every projector (when it reconnects, and every poll
                // interval while it cannot listen).
                None => None,
                Some(failure) => {
                    if last_error.as_ref() != Some(&failure) {
                        tracing::error!(projection = name, position = ?failure.0, error = %failure.1,
                            "projection stopped at an event; it will retry and not skip it");
                        last_error = Some(failure);
                    }
                    failures = failures.saturating_add(1);
                    let backoff = self
                        .settings
                        .poll_interval
                        .saturating_mul(2_u32.saturating_pow(failures.min(16)));
                    Some(backoff.min(MAX_BACKOFF))
                }
            };
            let woken = last_error.is_none();
            tokio::select! {
                _ = self.stop.changed() => return Released::Stopped,
                _ = sleep_or_forever(wait) => {}
                // While stuck, new events do not make the stuck one readable: only the backoff wakes.
                _ = self.wake.changed(), if woken => {}
                _ = self.appended.changed(), if woken => {}
            }
            if *self.stop.borrow() {
                return Released::Stopped;
            }
        }
    }
}
