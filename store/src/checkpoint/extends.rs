//! Checking the log against a checkpoint: does it still extend what was signed?

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use futures::StreamExt;
use sqlx::PgPool;

use super::statement::{Checkpoint, Head};
use crate::error::StoreError;
use crate::hash::GENESIS;
use crate::integrity::{hash_failure, IntegrityFailure};
use crate::log::{StoredEvent, STORED_COLUMNS};

/// What checking the log against a checkpoint found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckpointReport {
    /// Why the checkpoint itself is not trustworthy; then the log was not compared.
    pub invalid: Option<String>,
    pub streams_checked: u64,
    pub events_checked: u64,
    pub failures: Vec<IntegrityFailure>,
}

impl CheckpointReport {
    pub fn ok(&self) -> bool {
        self.invalid.is_none() && self.failures.is_empty()
    }
}

/// Proves that the log still extends what `checkpoint` signed: for every
/// head, the stream's events 1..=sequence are all there, their chain from
/// genesis verifies, and the event at the head's sequence has the signed
/// hash. Events and streams added after the checkpoint are not failures.
#[tracing::instrument(skip_all)]
pub async fn verify_against_checkpoint(
    pool: &PgPool,
    checkpoint: &Checkpoint,
    trusted: &VerifyingKey,
) -> Result<CheckpointReport, StoreError> {
    let heads = match checkpoint.verify_signature(trusted) {
        Ok(heads) => heads,
        Err(reason) => {
            return Ok(CheckpointReport {
                invalid: Some(reason),
                ..CheckpointReport::default()
            })
        }
    };
    let mut report = CheckpointReport {
        streams_checked: u64::try_from(heads.len()).unwrap_or(u64::MAX),
        ..CheckpointReport::default()
    };
    // Only the signed prefix of each signed stream is read.
    let sql = format!(
        "SELECT {STORED_COLUMNS} FROM events \
         JOIN UNNEST($1::text[], $2::text[], $3::bigint[]) AS h(t, i, s) \
           ON aggregate_type = h.t AND aggregate_id = h.i AND sequence <= h.s \
         ORDER BY aggregate_type, aggregate_id, sequence"
    );
    let mut rows = sqlx::query(&sql)
        .bind(
            heads
                .iter()
                .map(|h| h.stream_type.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            heads
                .iter()
                .map(|h| h.stream_id.clone())
                .collect::<Vec<_>>(),
        )
        .bind(heads.iter().map(|h| h.sequence).collect::<Vec<_>>())
        .fetch(pool);
    let by_stream: HashMap<(&str, &str), &Head> = heads
        .iter()
        .map(|h| ((h.stream_type.as_str(), h.stream_id.as_str()), h))
        .collect();
    // Per stream: the last sequence seen and its stored hash.
    let mut seen: HashMap<(String, String), (i64, Vec<u8>)> = HashMap::new();
    while let Some(row) = rows.next().await {
        let event = StoredEvent::from_row(&row?)?;
        report.events_checked += 1;
        let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
        let (last, previous) = seen
            .get(&key)
            .map_or((0, GENESIS.to_vec()), |(s, h)| (*s, h.clone()));
        let mut fail = |reason: String| {
            report.failures.push(IntegrityFailure {
                stream_type: event.aggregate_type.clone(),
                stream_id: event.aggregate_id.clone(),
                sequence: event.sequence,
                reason,
            })
        };
        if event.sequence != last + 1 {
            fail(format!(
                "expected sequence {} here, found {}: signed events are missing or out of place",
                last + 1,
                event.sequence
            ));
        }
        if let Some(reason) = hash_failure(&previous, &event) {
            fail(reason);
        }
        let head = by_stream.get(&(event.aggregate_type.as_str(), event.aggregate_id.as_str()));
        if head.is_some_and(|h| h.sequence == event.sequence && h.hash.as_slice() != event.hash) {
            fail(
                "the hash differs from the signed checkpoint's: history up to here was rewritten"
                    .into(),
            );
        }
        seen.insert(key, (event.sequence, event.hash.clone()));
    }
    for head in &heads {
        let last = seen
            .get(&(head.stream_type.clone(), head.stream_id.clone()))
            .map_or(0, |(s, _)| *s);
        if last < head.sequence {
            report.failures.push(IntegrityFailure {
                stream_type: head.stream_type.clone(),
                stream_id: head.stream_id.clone(),
                sequence: last + 1,
                reason: if last == 0 {
                    format!("the stream is gone; the checkpoint has it up to sequence {}", head.sequence)
                } else {
                    format!(
                        "the stream ends at sequence {last}; the checkpoint has it up to sequence {}: events were deleted",
                        head.sequence
                    )
                },
            });
        }
    }
    report.failures.sort_by(|a, b| {
        (&a.stream_type, &a.stream_id, a.sequence).cmp(&(&b.stream_type, &b.stream_id, b.sequence))
    });
    Ok(report)
}
