//! The event log: append with hash chain, read a stream, read the global log.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row};

use crate::error::StoreError;
use crate::hash::{chain_hash, ChainVersion, ChainedFields, GENESIS};
use crate::metadata::EventMetadata;

/// An event about to be appended. `sequence` is its 1-based place in its
/// stream. Its metadata is typed: an event cannot be written without an
/// actor, a correlation id and a causation id (and [`append`] refuses empty ones).
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: EventMetadata,
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
    pub hash: Vec<u8>,
    /// The formula that hashed it (`ChainVersion::number`); 0 when not read.
    pub chain_version: i16,
}

/// The columns of an event row that [`StoredEvent::from_row`] reads (by
/// name, so a query may add columns of its own, such as the projections'
/// transaction id).
pub const STORED_COLUMNS: &str = "position, aggregate_type, aggregate_id, sequence, \
     event_type, event_version, payload, metadata, recorded_at, hash, chain_version";

impl StoredEvent {
    /// Decodes one row of the `events` table: the only place a row becomes an
    /// event (stream reads, the integrity check, checkpoint verification, the
    /// projections' feed). A reader that does not need the payload, metadata
    /// or hash may select NULL under that name (`NULL::bytea AS hash`); they
    /// then read as JSON null and no bytes. The table itself never holds a NULL
    /// in them (migrations/0001), so this loses nothing a reader asked for.
    /// Likewise `chain_version` (migrations/0025) reads as 0 when not
    /// selected, which names no version: such a row cannot be verified.
    pub fn from_row(row: &sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            position: row.try_get("position")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row
                .try_get::<Option<Value>, _>("payload")?
                .unwrap_or_default(),
            metadata: row
                .try_get::<Option<Value>, _>("metadata")?
                .unwrap_or_default(),
            recorded_at: row.try_get("recorded_at")?,
            hash: row
                .try_get::<Option<Vec<u8>>, _>("hash")?
                .unwrap_or_default(),
            chain_version: match row.try_get::<Option<i16>, _>("chain_version") {
                Ok(version) => version.unwrap_or(0),
                Err(sqlx::Error::ColumnNotFound(_)) => 0,
                Err(other) => return Err(other),
            },
        })
    }

    /// The fields the chain covers, for verification; `None` when the row's
    /// `chain_version` names no known formula (so it cannot verify).
    pub fn chained_fields(&self) -> Option<ChainedFields<'_>> {
        Some(ChainedFields {
            version: ChainVersion::from_number(self.chain_version.into())?,
            aggregate_type: &self.aggregate_type,
            aggregate_id: &self.aggregate_id,
            sequence: self.sequence,
            event_type: &self.event_type,
            event_version: &self.event_version,
            payload: &self.payload,
            metadata: &self.metadata,
            recorded_at: self.recorded_at,
        })
    }
}

/// When an event is recorded: the writing server's clock, to the
/// microsecond PostgreSQL keeps (so the hash, which covers it, is computed
/// on exactly the stored value). Taken here rather than from the database
/// (`SELECT now()`), which would cost a round trip before the hashes can be
/// made; the hash format is unchanged, only the source of the value moved.
pub fn recording_time() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The events' metadata as stored, refusing an event that does not say
/// who acted, in which request, by which command.
pub(crate) fn attributed(events: &[NewEvent]) -> Result<Vec<Value>, StoreError> {
    if let Some(lacking) = events.iter().find_map(|e| e.metadata.lacks()) {
        return Err(StoreError::Unattributed(lacking));
    }
    if events
        .iter()
        .any(|e| crate::jcs::has_inexact_number(&e.payload))
    {
        return Err(StoreError::Unhashable);
    }
    Ok(events
        .iter()
        .map(|e| serde_json::to_value(&e.metadata))
        .collect::<Result<_, _>>()?)
}

/// A stream's event that a new event must follow: (stream type, stream id,
/// sequence, hash).
pub(crate) type Head = (String, String, i64, [u8; 32]);

/// Chains `events` (contiguous per stream; `metadata` is theirs, as stored)
/// and returns each one's hash. `heads` gives the hash a stream's first new
/// event follows (its sequence minus one); a stream that jumps or repeats a
/// sequence, or whose head is not given, is a conflict.
pub(crate) fn chain(
    events: &[NewEvent],
    metadata: &[Value],
    recorded_at: DateTime<Utc>,
    heads: &[Head],
) -> Result<Vec<[u8; 32]>, StoreError> {
    let mut hashes: Vec<[u8; 32]> = Vec::with_capacity(events.len());
    let mut previous: Option<(&str, &str, i64, [u8; 32])> = None;
    for (event, metadata) in events.iter().zip(metadata) {
        let prev_hash = match previous {
            Some((t, id, seq, hash)) if t == event.aggregate_type && id == event.aggregate_id => {
                if event.sequence != seq + 1 {
                    return Err(StoreError::Conflict);
                }
                hash
            }
            _ if event.sequence == 1 => GENESIS,
            _ => heads
                .iter()
                .find(|(t, i, s, _)| {
                    *t == event.aggregate_type
                        && *i == event.aggregate_id
                        && *s == event.sequence - 1
                })
                .map(|(_, _, _, h)| *h)
                .ok_or(StoreError::Conflict)?,
        };
        let hash = chain_hash(
            &prev_hash,
            &ChainedFields {
                version: ChainVersion::CURRENT,
                aggregate_type: &event.aggregate_type,
                aggregate_id: &event.aggregate_id,
                sequence: event.sequence,
                event_type: &event.event_type,
                event_version: &event.event_version,
                payload: &event.payload,
                metadata,
                recorded_at,
            },
        );
        hashes.push(hash);
        previous = Some((
            &event.aggregate_type,
            &event.aggregate_id,
            event.sequence,
            hash,
        ));
    }
    Ok(hashes)
}

/// The first event of each stream that follows an existing head (sequence > 1).
pub(crate) fn first_followers(events: &[NewEvent]) -> Vec<&NewEvent> {
    let mut streams: Vec<(&str, &str)> = Vec::new();
    let mut firsts = Vec::new();
    for event in events {
        let stream = (event.aggregate_type.as_str(), event.aggregate_id.as_str());
        if !streams.contains(&stream) {
            streams.push(stream);
            if event.sequence > 1 {
                firsts.push(event);
            }
        }
    }
    firsts
}

/// Appends events (of one or several streams) inside the caller's
/// transaction, chaining each to its predecessor, and wakes the log's
/// readers when it commits (`pg_notify` in the same statement: since
/// migration 0009 no trigger does). Returns their positions. Units of work
/// do not come here: they go through `group_commit`, which writes the same
/// rows and wakes the readers after its commit (`wake.rs`); this path
/// cannot, as the caller commits, so it keeps the NOTIFY in its
/// transaction (and PostgreSQL's NOTIFY lock through that commit's flush),
/// which the tools and tests that use it can afford.
///
/// Each stream's events must be contiguous and follow the stream's current
/// head exactly; otherwise the append is refused as a conflict, so the log
/// never has a gap or a duplicate.
#[tracing::instrument(skip_all, fields(events = events.len()))]
pub async fn append(tx: &mut PgConnection, events: &[NewEvent]) -> Result<Vec<i64>, StoreError> {
    if events.is_empty() {
        return Ok(vec![]);
    }
    let metadata = attributed(events)?;
    let recorded_at = recording_time();
    // The head each stream follows, read in this transaction before hashing.
    let mut heads = Vec::new();
    for event in first_followers(events) {
        let hash = head_hash(tx, event).await?;
        heads.push((
            event.aggregate_type.clone(),
            event.aggregate_id.clone(),
            event.sequence - 1,
            hash,
        ));
    }
    let hashes = chain(events, &metadata, recorded_at, &heads)?;
    let column = |f: fn(&NewEvent) -> String| events.iter().map(f).collect::<Vec<_>>();
    let result = sqlx::query(
        "WITH ev AS ( \
           INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                               payload, metadata, recorded_at, hash, chain_version) \
           SELECT t, i, s, et, ev, p, m, $8, h, $10 \
           FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::jsonb[], \
                       $7::jsonb[], $9::bytea[]) AS u(t, i, s, et, ev, p, m, h) \
           RETURNING position) \
         SELECT position FROM ev CROSS JOIN (SELECT 1 FROM pg_notify('casetrail_events', '')) AS woke \
         ORDER BY position",
    )
    .bind(column(|e| e.aggregate_type.clone()))
    .bind(column(|e| e.aggregate_id.clone()))
    .bind(events.iter().map(|e| e.sequence).collect::<Vec<_>>())
    .bind(column(|e| e.event_type.clone()))
    .bind(column(|e| e.event_version.clone()))
    .bind(events.iter().map(|e| e.payload.clone()).collect::<Vec<_>>())
    .bind(metadata)
    .bind(recorded_at)
    .bind(hashes.iter().map(|h| h.to_vec()).collect::<Vec<_>>())
    .bind(ChainVersion::CURRENT.number())
    .fetch_all(&mut *tx)
    .await;
    match result {
        Ok(rows) => rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect(),
        Err(sqlx::Error::Database(db)) if db.constraint() == Some("events_stream_sequence") => {
            Err(StoreError::Conflict)
        }
        Err(err) => Err(err.into()),
    }
}

/// The hash the first new event of a stream chains to: the stream's head,
/// which must be exactly the event before it.
pub(crate) async fn head_hash(
    tx: &mut PgConnection,
    event: &NewEvent,
) -> Result<[u8; 32], StoreError> {
    if event.sequence == 1 {
        return Ok(GENESIS);
    }
    let hash: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT hash FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3",
    )
    .bind(&event.aggregate_type)
    .bind(&event.aggregate_id)
    .bind(event.sequence - 1)
    .fetch_optional(&mut *tx)
    .await?;
    let hash = hash.ok_or(StoreError::Conflict)?;
    hash.try_into()
        .map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".into()))
}

/// Which events of a stream to read.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamRange {
    /// Only events after this sequence (0: from the start).
    pub after_sequence: i64,
    /// Only events up to and including this sequence.
    pub up_to_sequence: Option<i64>,
    /// Only events recorded at or before this instant.
    pub recorded_until: Option<DateTime<Utc>>,
}

/// Reads one stream in sequence order.
#[tracing::instrument(level = "debug", skip(pool))]
pub async fn read_stream(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
    range: StreamRange,
) -> Result<Vec<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {STORED_COLUMNS} FROM events \
         WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3 \
           AND ($4::bigint IS NULL OR sequence <= $4) \
           AND ($5::timestamptz IS NULL OR recorded_at <= $5) \
         ORDER BY sequence"
    );
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(range.after_sequence)
        .bind(range.up_to_sequence)
        .bind(range.recorded_until)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| StoredEvent::from_row(r).map_err(StoreError::from))
        .collect()
}

impl StoredEvent {
    /// The cqrs-es view of this event.
    pub fn to_serialized(&self) -> cqrs_es::persist::SerializedEvent {
        cqrs_es::persist::SerializedEvent::new(
            self.aggregate_id.clone(),
            usize::try_from(self.sequence).unwrap_or(usize::MAX),
            self.aggregate_type.clone(),
            self.event_type.clone(),
            self.event_version.clone(),
            self.payload.clone(),
            self.metadata.clone(),
        )
    }
}

/// Runs a serialized event through cqrs-es upcasters (theirs is crate-private).
pub trait UpcastExt {
    fn upcast_with(self, upcasters: &[Box<dyn cqrs_es::persist::EventUpcaster>]) -> Self;
}

impl UpcastExt for cqrs_es::persist::SerializedEvent {
    fn upcast_with(self, upcasters: &[Box<dyn cqrs_es::persist::EventUpcaster>]) -> Self {
        upcasters.iter().fold(self, |event, upcaster| {
            if upcaster.can_upcast(&event.event_type, &event.event_version) {
                upcaster.upcast(event)
            } else {
                event
            }
        })
    }
}
