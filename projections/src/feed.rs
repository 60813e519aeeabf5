//! Reading the global log in an order that never skips an event.
//!
//! Positions come from an identity column: they are taken at insert, so a
//! transaction that inserted first may commit last, and a reader that went
//! by position alone would step over its events forever. Instead a projector
//! only reads events whose writing transaction is older than the oldest
//! transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`):
//! all of those have ended, so none of them can still add a row, and every
//! later transaction has a larger id. Reading in (transaction_id, position)
//! order and resuming after the last (transaction_id, position) applied is
//! therefore complete and never repeats. The price is that one long-running
//! transaction anywhere in the cluster holds projections back until it ends.

use domain::call::{Call, CallEvent};
use domain::case::{Case, CaseEvent};
use futures::TryStreamExt;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row};
use store::log::StoredEvent;
use store::EventStore;
use uuid::Uuid;

pub(crate) mod look_up;
pub(crate) mod shared;

/// `aggregate_type` of the Call and Case streams (their `Aggregate::TYPE`).
pub(crate) const CALL_STREAM: &str = "Call";
pub(crate) const CASE_STREAM: &str = "Case";

/// Where a projection stands: the last event it applied, in commit-safe order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Checkpoint {
    /// The writing transaction's full id (`xid8`, as a number).
    pub transaction_id: i64,
    pub position: i64,
}

/// A projection's row in `projection_checkpoints`.
#[derive(Clone, Debug)]
pub(crate) struct Standing {
    pub at: Checkpoint,
    pub applied_position: i64,
    pub time_zone: Option<String>,
}

/// Which streams a reader decodes (the others are passed over undecoded),
/// and whether it reads each event's chain hash.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Streams {
    pub calls: bool,
    pub cases: bool,
    /// The transparency log's leaves are made of the chain hashes.
    pub hashes: bool,
}

impl Streams {
    /// What the projectors read together (`shared`): every stream decoded, with hashes.
    pub const ALL: Streams = Streams {
        calls: true,
        cases: true,
        hashes: true,
    };

    /// Calls and cases decoded, no chain hashes: what a reader of facts needs.
    pub const FACTS: Streams = Streams {
        calls: true,
        cases: true,
        hashes: false,
    };

    /// Whether a reader of these streams decodes events of `aggregate_type`.
    pub fn decodes(self, aggregate_type: &str) -> bool {
        (self.calls && aggregate_type == CALL_STREAM)
            || (self.cases && aggregate_type == CASE_STREAM)
    }

    pub fn union(self, other: Streams) -> Streams {
        Streams {
            calls: self.calls || other.calls,
            cases: self.cases || other.cases,
            hashes: self.hashes || other.hashes,
        }
    }

    /// The select list of a read for these streams: [`COLUMNS`], with the
    /// chain hash when it is wanted.
    fn columns(self) -> String {
        if self.hashes {
            COLUMNS.replace("NULL::bytea AS hash", "hash")
        } else {
            COLUMNS.to_string()
        }
    }

    fn aggregate_types(self) -> Vec<&'static str> {
        let mut types = Vec::with_capacity(2);
        if self.calls {
            types.push(CALL_STREAM);
        }
        if self.cases {
            types.push(CASE_STREAM);
        }
        types
    }
}

/// What an event means to the read side.
#[derive(Clone, Debug)]
pub(crate) enum Fact {
    Call(CallEvent),
    Case(CaseEvent),
    /// A stream this reader does not decode, or a kind of stream it does not know.
    Ignored,
    /// A wanted event that does not decode (even through the upcasters). The
    /// text names the event's coordinates, never its payload.
    Unreadable(String),
}

/// One event of the log as projections see it.
#[derive(Clone, Debug)]
pub(crate) struct Logged {
    pub at: Checkpoint,
    /// The stream's id: the call's or the case's id.
    pub stream: Uuid,
    /// The event's place in its stream (the stream's version after it).
    pub sequence: i64,
    pub fact: Fact,
    /// The stream's coordinates as stored (`aggregate_type`, `aggregate_id`)
    /// and the event's chain hash (empty unless the reader asked for
    /// hashes): what a transparency-log leaf is made of.
    pub stream_type: String,
    pub stream_id: String,
    pub hash: Vec<u8>,
}

// `txid` is aliased so that ORDER BY `transaction_id` means the column (and
// its index), not the output cast of the same name. The other names are
// those `StoredEvent::from_row` reads; the payload travels only for the
// streams this reader decodes, and the metadata and the chain hash never:
// no read model, live update or upcaster uses them (who acted is in the
// log and the access log, never in a read model), and every projector
// parsed each event's metadata for nothing. The chain hash travels only to
// the transparency log (`Streams::columns`), which read every event a
// second time by position to get it.
const COLUMNS: &str =
    "position, transaction_id::text::bigint AS txid, aggregate_type, aggregate_id, \
     sequence, event_type, event_version, \
     CASE WHEN aggregate_type = ANY($4) THEN payload END AS payload, \
     NULL::jsonb AS metadata, recorded_at, NULL::bytea AS hash";

/// The checkpoint a read starts after, as the statement's `$1` and `$2`.
const AFTER_PARAMETERS: &str = "($1::bigint::text::xid8, $2)";

/// The feed's one read: `columns` of up to `$3` events after `after` (a
/// (transaction id, position) pair), in commit-safe order (the module's doc).
fn readable_after(columns: &str, after: &str) -> String {
    format!(
        "SELECT {columns} FROM events \
         WHERE (transaction_id, position) > {after} \
           AND transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY transaction_id, position LIMIT $3"
    )
}

/// Reads and decodes up to `limit` events after `after`, in commit-safe
/// order. Runs inside the caller's transaction (it sets a local planner option).
#[tracing::instrument(skip(conn, store), fields(events))]
pub(crate) async fn read_batch(
    conn: &mut PgConnection,
    store: &EventStore,
    after: Checkpoint,
    limit: usize,
    streams: Streams,
) -> Result<Vec<Logged>, sqlx::Error> {
    let sql = readable_after(&streams.columns(), AFTER_PARAMETERS);
    let wanted = streams.aggregate_types();
    let query = sqlx::query(&sql)
        .bind(after.transaction_id)
        .bind(after.position)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(&wanted);
    // The planner underestimates how many rows qualify (it cannot see the
    // snapshot's xmin) and may then prefer reading them all and sorting to
    // walking `events_commit_order` in order, which is ruinous for large
    // batches. Sorting is never the better plan here.
    sqlx::query("SET LOCAL enable_sort = off")
        .execute(&mut *conn)
        .await?;
    let batch = decode_rows(query, &mut *conn, store, &wanted, limit).await?;
    sqlx::query("SET LOCAL enable_sort TO DEFAULT")
        .execute(&mut *conn)
        .await?;
    tracing::Span::current().record("events", batch.len());
    Ok(batch)
}

/// Whether committed events wait behind an older transaction still running:
/// the select-list item `pending` of [`read_standing`] and [`read_after`].
const PENDING: &str = "coalesce((SELECT max(h.transaction_id) FROM events h) \
                                >= pg_snapshot_xmin(pg_current_snapshot()), false) AS pending";

/// The events of the rows of a read that left-joins at most `limit` events
/// to one row of its own (a row with no event after it has no `position`),
/// and that row's `pending`.
fn events_and_pending(
    rows: &[PgRow],
    store: &EventStore,
    wanted: &[&str],
) -> Result<(Vec<Logged>, bool), sqlx::Error> {
    let pending = match rows.first() {
        Some(first) => first.try_get("pending")?,
        None => false,
    };
    let mut batch = Vec::with_capacity(rows.len());
    for row in rows {
        if row.try_get::<Option<i64>, _>("position")?.is_some() {
            batch.push(logged(row, store, wanted)?);
        }
    }
    Ok((batch, pending))
}

/// A projection's checkpoint row, the batch after it, and whether committed
/// events wait behind an older transaction still running (`pending`: the
/// newest readable event's transaction is not older than the oldest one
/// running; `max` walks `events_commit_order` backwards from its end, where
/// an `EXISTS` over the same condition was planned as a scan of the whole
/// log on every step, about 12 ms at 50,000 events): one statement,
/// outside any transaction (the projector's step; see `checkpoint::step`).
/// The connection must have `enable_sort` off for the session (the
/// projector sets it once when it takes the lock), for the reason given in
/// [`read_batch`].
pub(crate) async fn read_standing(
    conn: &mut PgConnection,
    store: &EventStore,
    projection: &str,
    limit: usize,
    streams: Streams,
) -> Result<(Standing, Vec<Logged>, bool), sqlx::Error> {
    // The stream types are the second parameter here.
    let columns = streams.columns().replace("$4", "$2");
    let events = readable_after(&columns, "(c.transaction_id, c.position)");
    let sql = format!(
        "SELECT e.*, c.transaction_id::text::bigint AS checkpoint_txid, \
                c.position AS checkpoint_position, c.applied_position, c.time_zone, {PENDING} \
         FROM projection_checkpoints c \
         LEFT JOIN LATERAL ({events}) e ON true \
         WHERE c.name = $1"
    );
    let wanted = streams.aggregate_types();
    let rows = sqlx::query(&sql)
        .bind(projection)
        .bind(&wanted)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await?;
    let first = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    let standing = Standing {
        at: Checkpoint {
            transaction_id: first.try_get("checkpoint_txid")?,
            position: first.try_get("checkpoint_position")?,
        },
        applied_position: first.try_get("applied_position")?,
        time_zone: first.try_get("time_zone")?,
    };
    let (batch, pending) = events_and_pending(&rows, store, &wanted)?;
    Ok((standing, batch, pending))
}

/// Up to `limit` events after `after` for every projector ([`Streams::ALL`]),
/// and whether committed events wait behind an older transaction (as in
/// [`read_standing`], which a projector uses instead while it does not
/// know its checkpoint): one statement, outside any transaction, on a
/// projector's connection (`enable_sort` off for its session).
pub(crate) async fn read_after(
    conn: &mut PgConnection,
    store: &EventStore,
    after: Checkpoint,
    limit: usize,
) -> Result<(Vec<Logged>, bool), sqlx::Error> {
    let events = readable_after(&Streams::ALL.columns(), AFTER_PARAMETERS);
    let sql =
        format!("SELECT e.*, {PENDING} FROM (SELECT) one LEFT JOIN LATERAL ({events}) e ON true");
    let wanted = Streams::ALL.aggregate_types();
    let rows = sqlx::query(&sql)
        .bind(after.transaction_id)
        .bind(after.position)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(&wanted)
        .fetch_all(&mut *conn)
        .await?;
    events_and_pending(&rows, store, &wanted)
}

/// Decodes rows as they arrive, so that decoding overlaps the transfer.
/// `wanted` are the stream types the query selected payloads for (its `$4`).
async fn decode_rows(
    query: Query<'_, Postgres, PgArguments>,
    conn: &mut PgConnection,
    store: &EventStore,
    wanted: &[&str],
    capacity: usize,
) -> Result<Vec<Logged>, sqlx::Error> {
    let mut rows = query.fetch(conn);
    let mut batch = Vec::with_capacity(capacity);
    while let Some(row) = rows.try_next().await? {
        batch.push(logged(&row, store, wanted)?);
    }
    Ok(batch)
}

/// One row of [`COLUMNS`], decoded.
fn logged(row: &PgRow, store: &EventStore, wanted: &[&str]) -> Result<Logged, sqlx::Error> {
    let mut stored = StoredEvent::from_row(row)?;
    let at = Checkpoint {
        transaction_id: row.try_get("txid")?,
        position: stored.position,
    };
    let stream = Uuid::parse_str(&stored.aggregate_id).unwrap_or(Uuid::nil());
    let fact = if wanted.contains(&stored.aggregate_type.as_str()) {
        decode(store, &mut stored)
    } else {
        Fact::Ignored
    };
    Ok(Logged {
        at,
        stream,
        sequence: stored.sequence,
        fact,
        stream_type: stored.aggregate_type,
        stream_id: stored.aggregate_id,
        hash: stored.hash,
    })
}

/// Decodes through the store's upcasters, so old event versions read as
/// today's. The payload is taken out of `stored`, not copied.
fn decode(store: &EventStore, stored: &mut StoredEvent) -> Fact {
    if Uuid::parse_str(&stored.aggregate_id).is_err() {
        return unreadable(stored, "has a stream id that is not a UUID");
    }
    // The store's error text may quote payload values: it is dropped here.
    let decoded = match stored.aggregate_type.as_str() {
        CALL_STREAM => store.decode_taking::<Call>(stored).map(Fact::Call),
        CASE_STREAM => store.decode_taking::<Case>(stored).map(Fact::Case),
        _ => return Fact::Ignored,
    };
    decoded.unwrap_or_else(|_| unreadable(stored, "does not decode into the current event shape"))
}

fn unreadable(stored: &StoredEvent, what: &str) -> Fact {
    Fact::Unreadable(format!(
        "event at position {} ({} {} v{}, stream {} sequence {}) {what}",
        stored.position,
        stored.aggregate_type,
        stored.event_type,
        stored.event_version,
        stored.aggregate_id,
        stored.sequence
    ))
}
