//! Recomputing the hash chains: what `verifyIntegrity` and `casetrail verify` report.

use futures::StreamExt;
use sqlx::PgPool;

use crate::error::StoreError;
use crate::hash::{chain_hash, GENESIS};
use crate::log::{StoredEvent, STORED_COLUMNS};

/// One place where the log does not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntegrityFailure {
    pub stream_type: String,
    pub stream_id: String,
    pub sequence: i64,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    pub streams_checked: i64,
    pub events_checked: i64,
    pub failures: Vec<IntegrityFailure>,
}

impl IntegrityReport {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Which streams to verify.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub stream_type: Option<String>,
    pub stream_id: Option<String>,
}

/// Recomputes every chain in scope, in one pass over the log.
#[tracing::instrument(skip(pool))]
pub async fn verify(pool: &PgPool, scope: &Scope) -> Result<IntegrityReport, StoreError> {
    let sql = format!(
        "SELECT {STORED_COLUMNS} FROM events \
         WHERE ($1::text IS NULL OR aggregate_type = $1) AND ($2::text IS NULL OR aggregate_id = $2) \
         ORDER BY aggregate_type, aggregate_id, sequence"
    );
    let mut rows = sqlx::query(&sql)
        .bind(&scope.stream_type)
        .bind(&scope.stream_id)
        .fetch(pool);
    let mut report = IntegrityReport::default();
    let mut stream: Option<(String, String)> = None;
    let mut previous_hash: Vec<u8> = GENESIS.to_vec();
    let mut expected_sequence = 1;
    while let Some(row) = rows.next().await {
        let event = StoredEvent::from_row(&row?)?;
        let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
        if stream.as_ref() != Some(&key) {
            stream = Some(key);
            report.streams_checked += 1;
            previous_hash = GENESIS.to_vec();
            expected_sequence = 1;
        }
        report.events_checked += 1;
        let mut fail = |reason: String| {
            report.failures.push(IntegrityFailure {
                stream_type: event.aggregate_type.clone(),
                stream_id: event.aggregate_id.clone(),
                sequence: event.sequence,
                reason,
            })
        };
        if event.sequence != expected_sequence {
            fail(format!(
                "expected sequence {expected_sequence} here, found {}: events are missing or out of place",
                event.sequence
            ));
        }
        if let Some(reason) = hash_failure(&previous_hash, &event) {
            fail(reason);
        }
        previous_hash = event.hash.clone();
        expected_sequence = event.sequence + 1;
    }
    Ok(report)
}

/// Why `event`'s stored hash does not verify after `previous`, if it does not:
/// an unknown chain version, or a hash that its content does not give.
pub(crate) fn hash_failure(previous: &[u8], event: &StoredEvent) -> Option<String> {
    let Some(fields) = event.chained_fields() else {
        return Some(format!(
            "chain version {} is not one this casetrail knows (1 or 2)",
            event.chain_version
        ));
    };
    (chain_hash(previous, &fields).as_slice() != event.hash.as_slice())
        .then(|| "the stored hash does not match the event's content and its predecessor".into())
}
