//! One projector step: read the checkpoint and the batch after it (one
//! statement), then move the checkpoint and apply the batch in one
//! transaction, guarded by the checkpoint the batch was read after. A crash
//! at any point either keeps the whole batch and its checkpoint or neither,
//! so no event is ever applied twice or lost. `lock` and `advance` serve the
//! rebuild, which holds the checkpoint's row lock across its swap.

use chrono_tz::Tz;
use sqlx::{Connection, PgConnection, Row};
use store::EventStore;

use crate::error::ProjectionError;
use crate::feed::shared::{Seen, SharedFeed};
use crate::feed::{read_standing, Checkpoint, Fact, Standing, Streams};
use crate::projection::Projection;
use crate::target::Target;

/// Creates the checkpoint rows of projections newer than the database's
/// migrations seeded (0003 seeds today's four).
pub(crate) async fn ensure_rows(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let names: Vec<&str> = Projection::ALL.iter().map(|p| p.name()).collect();
    sqlx::query("INSERT INTO projection_checkpoints (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING")
        .bind(names)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reads the checkpoint and locks its row until the transaction ends. Every
/// writer of a projection's tables (a projector step, a rebuild's swap)
/// takes this row lock first, so they serialise and never deadlock.
pub(crate) async fn lock(
    conn: &mut PgConnection,
    projection: Projection,
) -> Result<Standing, sqlx::Error> {
    let row = sqlx::query(
        "SELECT transaction_id::text::bigint, position, applied_position, time_zone \
         FROM projection_checkpoints WHERE name = $1 FOR UPDATE",
    )
    .bind(projection.name())
    .fetch_one(conn)
    .await?;
    Ok(Standing {
        at: Checkpoint {
            transaction_id: row.try_get(0)?,
            position: row.try_get(1)?,
        },
        applied_position: row.try_get(2)?,
        time_zone: row.try_get(3)?,
    })
}

/// Moves the checkpoint and sets (or clears) the failure in one statement,
/// in a transaction that holds the checkpoint's row lock ([`lock`]).
pub(crate) async fn advance(
    conn: &mut PgConnection,
    projection: Projection,
    standing: &Standing,
    time_zone: Tz,
    stuck: Option<(Option<i64>, &str)>,
) -> Result<(), sqlx::Error> {
    advance_from(conn, projection, None, standing, time_zone, stuck).await?;
    Ok(())
}

/// [`advance`] from `from` only: false (and nothing changed) if the
/// checkpoint is no longer there, or the model counts days in another
/// time zone (a rebuild in that zone swapped it in at the same checkpoint).
pub(crate) async fn advance_from(
    conn: &mut PgConnection,
    projection: Projection,
    from: Option<Checkpoint>,
    standing: &Standing,
    time_zone: Tz,
    stuck: Option<(Option<i64>, &str)>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE projection_checkpoints \
         SET transaction_id = $2::bigint::text::xid8, position = $3, applied_position = $4, \
             time_zone = $5, failed_position = $6, last_error = $7, \
             error_at = CASE WHEN $7::text IS NULL THEN NULL ELSE now() END, updated_at = now() \
         WHERE name = $1 \
           AND ($8::bigint IS NULL OR (transaction_id = $8::bigint::text::xid8 AND position = $9 \
                                       AND (time_zone IS NULL OR time_zone = $5)))",
    )
    .bind(projection.name())
    .bind(standing.at.transaction_id)
    .bind(standing.at.position)
    .bind(standing.applied_position)
    .bind(time_zone.name())
    .bind(stuck.and_then(|s| s.0))
    .bind(stuck.map(|s| s.1))
    .bind(from.map(|f| f.transaction_id))
    .bind(from.map(|f| f.position))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records why a projection cannot go on, outside any batch transaction.
pub(crate) async fn record_failure(
    conn: &mut PgConnection,
    projection: Projection,
    position: Option<i64>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projection_checkpoints \
         SET failed_position = $2, last_error = $3, error_at = now(), updated_at = now() WHERE name = $1",
    )
    .bind(projection.name())
    .bind(position)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

/// What one step did.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing committed is left to apply. `waiting`: committed events wait
    /// behind an older transaction still running (they will be readable
    /// when it ends, and nothing will notify then).
    Idle { waiting: bool },
    /// Applied this many events (`waiting` as for `Idle`). Not `fresh`:
    /// they came from a read older than the projector's last notification,
    /// so it must step again before it sleeps (`feed::shared`). `more`: the
    /// read stopped at a limit, so more may be readable now.
    Applied {
        events: usize,
        waiting: bool,
        fresh: bool,
        more: bool,
    },
    /// Applied what came before an event the projection cannot apply, and
    /// recorded that event as its failure.
    Stuck {
        position: Option<i64>,
        error: String,
    },
}

/// A step that changed nothing. `position` is the failing event when the
/// batch held only one, so that narrowing the batch pins the culprit down.
#[derive(Debug)]
pub(crate) struct StepFailure {
    pub position: Option<i64>,
    pub error: ProjectionError,
}

impl Step {
    /// The checkpoint moved under the step (a rebuild's swap): nothing was
    /// applied, and the projector reads again from the database at once.
    const READ_AGAIN: Step = Step::Applied {
        events: 0,
        waiting: true,
        fresh: true,
        more: true,
    };
}

impl From<sqlx::Error> for StepFailure {
    fn from(err: sqlx::Error) -> Self {
        StepFailure {
            position: None,
            error: err.into(),
        }
    }
}

/// Applies at most `limit` events after the projection's checkpoint.
///
/// As few statements as the batch allows. The events come from the
/// process's shared feed (`feed::shared`): read by this projector or by
/// another, once for all of them. While the projector does not know its
/// checkpoint (`known` is `None`: it has just taken the lock, or its last
/// step failed or was overtaken), it reads the checkpoint and the batch in
/// one statement instead. A batch with nothing for this model moves the
/// checkpoint with one UPDATE; otherwise one transaction moves the
/// checkpoint first (which locks its row, as a rebuild's swap does, so they
/// serialise) and writes the model. The UPDATE names the checkpoint the
/// batch was read after: if it moved meanwhile (a rebuild swapped the model
/// in), nothing is written and the step is tried again from the database.
/// So a batch and its checkpoint still commit together or not at all.
#[tracing::instrument(skip_all, fields(projection = projection.name()))]
#[allow(clippy::too_many_arguments)]
pub(crate) async fn step(
    conn: &mut PgConnection,
    store: &EventStore,
    projection: Projection,
    time_zone: Tz,
    limit: usize,
    feed: &SharedFeed,
    known: &mut Option<Standing>,
    seen: Seen,
) -> Result<Step, StepFailure> {
    let streams = projection.streams();
    // Taken: it is put back only by a step that moved the checkpoint as it knew it.
    let (mut standing, part) = match known.take() {
        Some(standing) => {
            let part = feed
                .read(&mut *conn, store, standing.at, limit, streams, seen)
                .await?;
            (standing, part)
        }
        None => {
            let (standing, batch, waiting) =
                read_standing(&mut *conn, store, projection.name(), limit, Streams::ALL).await?;
            let part = feed.keep(standing.at, batch, limit, waiting, seen, streams);
            (standing, part)
        }
    };
    let (batch, waiting, fresh, more) = (part.events, part.waiting, part.fresh, part.more);
    let from = standing.at;
    if let Some(zone) = standing
        .time_zone
        .as_deref()
        .filter(|z| *z != time_zone.name())
    {
        // Recorded, not written over: the model keeps its zone, and the
        // projection stays stuck until it is rebuilt in this one.
        let error = format!(
            "the model counts days in {zone} but this server's time zone is {}: rebuild the projection",
            time_zone.name()
        );
        record_failure(&mut *conn, projection, None, &error).await?;
        return Ok(Step::Stuck {
            position: None,
            error,
        });
    }
    if batch.is_empty() {
        *known = Some(standing);
        return Ok(Step::Idle { waiting });
    }
    let readable = batch
        .iter()
        .position(|e| matches!(e.fact, Fact::Unreadable(_)))
        .unwrap_or(batch.len());
    let (ok, rest) = batch.split_at(readable);
    for event in ok {
        standing.at = event.at;
        standing.applied_position = standing.applied_position.max(event.at.position);
    }
    let stuck = rest.first().map(|e| match &e.fact {
        Fact::Unreadable(text) => (Some(e.at.position), text.clone()),
        _ => (Some(e.at.position), String::new()),
    });
    let stuck_ref = stuck.as_ref().map(|(p, t)| (*p, t.as_str()));
    let moved = if !ok.iter().any(|e| projection.takes(e)) {
        advance_from(
            &mut *conn,
            projection,
            Some(from),
            &standing,
            time_zone,
            stuck_ref,
        )
        .await?
    } else {
        let mut tx = conn.begin().await?;
        if !advance_from(
            &mut tx,
            projection,
            Some(from),
            &standing,
            time_zone,
            stuck_ref,
        )
        .await?
        {
            tx.rollback().await?;
            return Ok(Step::READ_AGAIN);
        }
        let target = Target {
            shadow: false,
            time_zone,
        };
        if let Err(error) = projection.apply(&mut tx, store, ok, &target).await {
            let position = if ok.len() == 1 {
                ok.first().map(|e| e.at.position)
            } else {
                None
            };
            return Err(StepFailure { position, error });
        }
        tx.commit().await?;
        true
    };
    if !moved {
        return Ok(Step::READ_AGAIN);
    }
    Ok(match stuck {
        Some((position, error)) => Step::Stuck { position, error },
        None => {
            standing.time_zone = Some(time_zone.name().to_string());
            *known = Some(standing);
            Step::Applied {
                events: ok.len(),
                waiting,
                fresh,
                more,
            }
        }
    })
}
