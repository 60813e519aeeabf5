//! Loading a stream the state cache does not hold, in one round trip: the
//! newest snapshot (with the stored hash of the event it ends at) and every
//! event after it, by one statement. Only when that snapshot does not
//! verify are older snapshots read (`snapshots::newest_valid_below`), as
//! before; that is the tampered or re-keyed case, not the common one.

use serde::de::DeserializeOwned;
use sqlx::{PgPool, Row as _};

use crate::error::StoreError;
use crate::log::StoredEvent;
use crate::snapshots::{check, Row, SnapshotKeys};

/// What one statement found: the newest snapshot's row, if any, and the
/// events after it (after sequence 0 when there is none).
pub(crate) struct Found {
    pub snapshot: Option<Row>,
    pub events: Vec<StoredEvent>,
}

/// Where a load starts: a verified snapshot (with the chain hash of its
/// last event) or nothing, and the events after it.
pub(crate) struct Start<A> {
    pub snapshot: Option<(i64, A, Vec<u8>)>,
    pub events: Vec<StoredEvent>,
}

/// `Err(sequence)` when the newest snapshot (at that sequence) did not
/// verify, so the events read are not enough and the caller must look
/// further back.
pub(crate) fn verified<A: DeserializeOwned>(
    keys: &SnapshotKeys,
    aggregate_type: &str,
    aggregate_id: &str,
    found: Found,
) -> Result<Start<A>, i64> {
    let Some(row) = found.snapshot else {
        return Ok(Start {
            snapshot: None,
            events: found.events,
        });
    };
    let (sequence, last_hash) = (row.0, row.2.clone());
    match check::<A>(keys, aggregate_type, aggregate_id, row) {
        Some((version, state)) => Ok(Start {
            snapshot: Some((version, state, last_hash)),
            events: found.events,
        }),
        None => Err(sequence),
    }
}

/// Snapshot rows have `kind` 0 (the snapshot's sequence, payload and last
/// hash in the event columns of those names, its key and MAC in their own),
/// event rows `kind` 1, decoded by [`StoredEvent::from_row`].
pub(crate) const SQL: &str = "\
WITH snap AS ( \
  SELECT s.last_sequence, s.payload, s.last_hash, s.master_key_id, s.mac, \
         (SELECT e.hash FROM events e \
          WHERE e.aggregate_type = s.aggregate_type AND e.aggregate_id = s.aggregate_id \
            AND e.sequence = s.last_sequence) AS event_hash \
  FROM snapshots s \
  WHERE s.aggregate_type = $1 AND s.aggregate_id = $2 \
  ORDER BY s.last_sequence DESC LIMIT 1) \
SELECT 0 AS kind, NULL::bigint AS position, $1 AS aggregate_type, $2 AS aggregate_id, \
       last_sequence AS sequence, NULL::text AS event_type, NULL::text AS event_version, \
       payload, NULL::jsonb AS metadata, NULL::timestamptz AS recorded_at, last_hash AS hash, \
       master_key_id, mac, event_hash \
FROM snap \
UNION ALL \
SELECT 1, position, aggregate_type, aggregate_id, sequence, event_type, event_version, \
       payload, metadata, recorded_at, hash, NULL, NULL, NULL \
FROM events \
WHERE aggregate_type = $1 AND aggregate_id = $2 \
  AND sequence > coalesce((SELECT last_sequence FROM snap), 0) \
ORDER BY kind, sequence";

pub(crate) async fn read(
    pool: &PgPool,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Found, StoreError> {
    let rows = sqlx::query(SQL)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_all(pool)
        .await?;
    let mut found = Found {
        snapshot: None,
        events: Vec::with_capacity(rows.len()),
    };
    for row in &rows {
        let kind: i32 = row.try_get("kind")?;
        if kind == 0 {
            found.snapshot = Some((
                row.try_get("sequence")?,
                row.try_get("payload")?,
                row.try_get("hash")?,
                row.try_get("master_key_id")?,
                row.try_get("mac")?,
                row.try_get("event_hash")?,
            ));
            continue;
        }
        found.events.push(StoredEvent::from_row(row)?);
    }
    Ok(found)
}
