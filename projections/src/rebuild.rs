//! `casetrail projections rebuild [NAME]`: rebuild read models from the
//! whole log into fresh tables and swap them in, so that readers see the old
//! model until the new one is complete, and never anything in between.
//!
//! Why as the owner: a swap is DDL (drop the live table, rename the shadow),
//! which `casetrail_app` may not run, by design. The CLI has the owner's URL
//! anyway (migrations run with it). Running servers need not stop:
//!
//! 1. fill the shadows from position zero without any lock the live
//!    projectors care about (they keep the live tables current meanwhile).
//!    One connection reads the next chunk of the log while another writes
//!    the previous one; shadows get their indexes only once filled, and
//!    statistics are summed in memory and written once (their cells are
//!    bounded by the calendar, not by the events);
//! 2. in one transaction: lock the checkpoint rows (as every projector step
//!    does first, so a step in flight finishes and the next one waits), apply
//!    the events committed since step 1 to the shadows, drop the live tables,
//!    rename the shadows, and set the checkpoints to the shadows' position;
//! 3. commit. Projectors resume from the new checkpoints on the new tables.
//!
//! A rebuild that fails or is interrupted leaves the live models untouched
//! (and at worst some `__rebuild` tables, which the next rebuild replaces).

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use store::EventStore;
use tokio::sync::mpsc;

use crate::checkpoint::{advance, lock};
use crate::error::ProjectionError;
use crate::feed::{read_batch, Checkpoint, Fact, Logged, Standing, Streams};
use crate::models::statistics::Tally;
use crate::projection::{Projection, REBUILD_LOCK_CLASS};
use crate::settings::ProjectionSettings;
use crate::shadow::{self, Shadow};
use crate::target::Target;

/// How many times a swap that timed out waiting for readers is retried.
const SWAP_ATTEMPTS: u32 = 5;
/// A fill step reads and writes this many live batches' worth of events in
/// one transaction: nobody waits for the shadows to move.
const FILL_BATCHES: usize = 10;

/// What a rebuild did.
#[derive(Clone, Debug)]
pub struct RebuildSummary {
    /// The projections rebuilt and swapped in.
    pub projections: Vec<String>,
    /// Events read from the log (all streams, once for all projections).
    pub events: u64,
    pub elapsed: Duration,
}

/// Rebuilds one projection (`name`), or all of them (`None`), reading the
/// log once for all. `owner_url` must connect as the database owner (the
/// migrations' user): see the module documentation. `store` supplies the
/// upcasters, as for the live projectors.
#[tracing::instrument(skip(owner_url, store, settings))]
pub async fn rebuild(
    owner_url: &str,
    store: &EventStore,
    settings: &ProjectionSettings,
    name: Option<&str>,
) -> Result<RebuildSummary, ProjectionError> {
    let started = Instant::now();
    let projections = match name {
        Some(name) => vec![Projection::parse(name)?],
        None => Projection::ALL.to_vec(),
    };
    let options = PgConnectOptions::from_str(owner_url)?.disable_statement_logging();
    let mut conn = PgConnection::connect_with(&options).await?;
    for projection in &projections {
        let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
            .bind(REBUILD_LOCK_CLASS)
            .bind(projection.lock_id())
            .fetch_one(&mut conn)
            .await?;
        if !free {
            let _ = conn.close().await;
            return Err(ProjectionError::RebuildRunning(projection.name()));
        }
    }
    let rebuild = Rebuild {
        store,
        settings,
        projections: &projections,
    };
    let result = rebuild.run(&mut conn, &options).await;
    if result.is_err() {
        for table in projections.iter().flat_map(|p| p.tables()) {
            let _ = shadow::discard(&mut conn, table).await;
        }
    }
    let _ = sqlx::query("SELECT pg_advisory_unlock_all()")
        .execute(&mut conn)
        .await;
    let _ = conn.close().await;
    let events = result?;
    let summary = RebuildSummary {
        projections: projections.iter().map(|p| p.name().to_string()).collect(),
        events,
        elapsed: started.elapsed(),
    };
    tracing::info!(projections = ?summary.projections, events, elapsed = ?summary.elapsed, "rebuilt");
    Ok(summary)
}

struct Rebuild<'a> {
    store: &'a EventStore,
    settings: &'a ProjectionSettings,
    projections: &'a [Projection],
}

/// The shadows' position in the log.
#[derive(Clone, Copy, Default)]
struct Progress {
    at: Checkpoint,
    applied_position: i64,
    events: u64,
}

impl Progress {
    fn passed(&mut self, batch: &[Logged]) {
        for event in batch {
            self.at = event.at;
            self.applied_position = self.applied_position.max(event.at.position);
        }
        self.events += batch.len() as u64;
    }
}

impl Rebuild<'_> {
    fn target(&self) -> Target {
        Target {
            shadow: true,
            time_zone: self.settings.time_zone,
        }
    }

    fn streams(&self) -> Streams {
        self.projections
            .iter()
            .fold(Streams::default(), |s, p| s.union(p.streams()))
    }

    /// Events read and written per transaction while filling.
    fn chunk(&self) -> usize {
        self.settings.batch_size.max(1).saturating_mul(FILL_BATCHES)
    }

    async fn run(
        &self,
        conn: &mut PgConnection,
        options: &PgConnectOptions,
    ) -> Result<u64, ProjectionError> {
        // Losing the last fills to a crash costs nothing: a rebuild starts over.
        sqlx::query("SET synchronous_commit = off")
            .execute(&mut *conn)
            .await?;
        let mut shadows = Vec::new();
        for table in self.projections.iter().flat_map(|p| p.tables()) {
            shadows.push(shadow::prepare(conn, table).await?);
        }
        let progress = self.fill(conn, options).await?;
        for shadow in &shadows {
            shadow::finish(conn, shadow).await?;
        }
        let mut attempt = 1;
        loop {
            match self.swap(conn, progress, &shadows).await {
                Ok(done) => return Ok(done.events),
                Err(ProjectionError::Database(sqlx::Error::Database(e)))
                    if e.code().as_deref() == Some("55P03") && attempt < SWAP_ATTEMPTS =>
                {
                    tracing::warn!(attempt, "swap waited too long for readers; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Fills the shadows from the start of the log to about its end: a
    /// reading task streams chunks to this one, which writes them.
    async fn fill(
        &self,
        conn: &mut PgConnection,
        options: &PgConnectOptions,
    ) -> Result<Progress, ProjectionError> {
        let (chunks, mut received) = mpsc::channel::<Vec<Logged>>(1);
        let reader = tokio::spawn(read_chunks(
            PgConnection::connect_with(options).await?,
            self.store.clone(),
            self.chunk(),
            self.streams(),
            chunks,
        ));
        let mut progress = Progress::default();
        let mut tally = Tally::default();
        let written: Result<(), ProjectionError> = async {
            while let Some(batch) = received.recv().await {
                let mut tx = conn.begin().await?;
                self.write(&mut tx, &batch, Some(&mut tally)).await?;
                tx.commit().await?;
                progress.passed(&batch);
            }
            tally.flush(conn, &self.target(), true).await
        }
        .await;
        drop(received); // stops the reader if writing failed
        let read = reader
            .await
            .map_err(|e| ProjectionError::Event(format!("the log reader stopped: {e}")))?;
        written?;
        read?;
        Ok(progress)
    }

    /// Writes a batch to every shadow. With a tally, statistics are summed
    /// into it instead of written.
    async fn write(
        &self,
        conn: &mut PgConnection,
        batch: &[Logged],
        mut tally: Option<&mut Tally>,
    ) -> Result<(), ProjectionError> {
        // A model that would stop at an event must not replace one that runs.
        if let Some(text) = batch.iter().find_map(|e| match &e.fact {
            Fact::Unreadable(text) => Some(text.clone()),
            _ => None,
        }) {
            return Err(ProjectionError::Event(text));
        }
        let target = self.target();
        for projection in self.projections {
            match (projection, tally.as_deref_mut()) {
                (Projection::Statistics, Some(tally)) => {
                    tally.add(conn, self.store, batch, &target).await?
                }
                _ => projection.apply(conn, self.store, batch, &target).await?,
            }
        }
        Ok(())
    }

    /// Catches the shadows up under the checkpoint locks and swaps them in.
    async fn swap(
        &self,
        conn: &mut PgConnection,
        mut progress: Progress,
        shadows: &[Shadow],
    ) -> Result<Progress, ProjectionError> {
        let mut tx = conn.begin().await?;
        // Readers hold the tables for milliseconds; if one holds on longer, retry
        // rather than queue every new reader behind this swap's DDL locks.
        sqlx::query("SET LOCAL lock_timeout = '5s'")
            .execute(&mut *tx)
            .await?;
        sqlx::query("SET LOCAL synchronous_commit = on")
            .execute(&mut *tx)
            .await?;
        for projection in Projection::ALL
            .iter()
            .filter(|p| self.projections.contains(p))
        {
            lock(&mut tx, *projection).await?;
        }
        loop {
            let batch = read_batch(
                &mut tx,
                self.store,
                progress.at,
                self.chunk(),
                self.streams(),
            )
            .await?;
            if batch.is_empty() {
                break;
            }
            self.write(&mut tx, &batch, None).await?;
            progress.passed(&batch);
        }
        for shadow in shadows {
            shadow::swap(&mut tx, shadow).await?;
        }
        let standing = Standing {
            at: progress.at,
            applied_position: progress.applied_position,
            time_zone: Some(self.settings.time_zone.name().to_string()),
        };
        for projection in self.projections {
            advance(
                &mut tx,
                *projection,
                &standing,
                self.settings.time_zone,
                None,
            )
            .await?;
        }
        let names: Vec<&str> = self.projections.iter().map(|p| p.name()).collect();
        sqlx::query("UPDATE projection_checkpoints SET rebuilt_at = now() WHERE name = ANY($1)")
            .bind(names)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(progress)
    }
}

/// Streams the log in chunks, from the start to about its end (the swap
/// reads the rest under lock), each chunk read in its own snapshot.
async fn read_chunks(
    mut conn: PgConnection,
    store: EventStore,
    chunk: usize,
    streams: Streams,
    chunks: mpsc::Sender<Vec<Logged>>,
) -> Result<(), ProjectionError> {
    let mut at = Checkpoint::default();
    loop {
        let mut tx = conn.begin().await?;
        let batch = read_batch(&mut tx, &store, at, chunk, streams).await?;
        tx.commit().await?;
        let (read, last) = (batch.len(), batch.last().map(|e| e.at));
        if read == 0 || chunks.send(batch).await.is_err() {
            break;
        }
        at = last.unwrap_or(at);
        if read < chunk {
            break;
        }
    }
    let _ = conn.close().await;
    Ok(())
}
