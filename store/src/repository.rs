//! cqrs-es's `PersistedEventRepository` over casetrail's tables, so that
//! cqrs-es's own `PersistedEventStore` and `CqrsFramework` run on them too.
//!
//! It differs from postgres-es where that falls short: events go in with one
//! multi-row INSERT and the hash chain, sequences are 64-bit, and a replay
//! that fails reports the error to its reader instead of ending as if complete.

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use futures::StreamExt;
use serde_json::Value;
use sqlx::PgPool;

use crate::error::StoreError;
use crate::identity;
use crate::log::{append, read_stream, NewEvent, StoredEvent, StreamRange, STORED_COLUMNS};

/// The cqrs-es view of the event store.
#[derive(Clone)]
pub struct PgEventRepository {
    pool: PgPool,
}

impl PgEventRepository {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn persistence(err: StoreError) -> PersistenceError {
    match err {
        StoreError::Conflict => PersistenceError::OptimisticLockError,
        StoreError::Unavailable(e) => PersistenceError::ConnectionError(Box::new(e)),
        StoreError::Corrupt(e) => PersistenceError::DeserializationError(e.into()),
        other => PersistenceError::UnknownError(Box::new(other)),
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PersistedEventRepository for PgEventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.get_last_events::<A>(aggregate_id, 0).await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let range = StreamRange {
            after_sequence: to_i64(last_sequence),
            ..StreamRange::default()
        };
        let events = read_stream(&self.pool, A::TYPE, aggregate_id, range)
            .await
            .map_err(persistence)?;
        Ok(events.iter().map(StoredEvent::to_serialized).collect())
    }

    /// Always none: casetrail's snapshots are verified on load (`snapshots.rs`)
    /// and cqrs-es's snapshot store would trust them unchecked, so a
    /// snapshot-store configuration of cqrs-es folds every aggregate from its events.
    async fn get_snapshot<A: Aggregate>(
        &self,
        _aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        Ok(None)
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        // Not kept: see `get_snapshot`.
        _snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        let new_events: Vec<NewEvent> = events
            .iter()
            .map(|e| NewEvent {
                aggregate_type: e.aggregate_type.clone(),
                aggregate_id: e.aggregate_id.clone(),
                sequence: to_i64(e.sequence),
                event_type: e.event_type.clone(),
                event_version: e.event_version.clone(),
                payload: e.payload.clone(),
                metadata: e.metadata.clone(),
            })
            .collect();
        let result: Result<(), StoreError> = async {
            let ids = identity::introduced_by(&new_events)?;
            let mut tx = self.pool.begin().await?;
            append(&mut tx, &new_events).await?;
            identity::record(&mut tx, &ids).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        result.map_err(persistence)
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        Ok(self.replay(Some((A::TYPE.to_string(), aggregate_id.to_string()))))
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        Ok(self.replay(None))
    }
}

impl PgEventRepository {
    /// Streams a stream (or every stream of every type) in log order; a read
    /// error is delivered to the reader as an error, never swallowed.
    fn replay(&self, stream: Option<(String, String)>) -> ReplayStream {
        let (mut feed, replay) = ReplayStream::new(256);
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let sql = format!(
                "SELECT {STORED_COLUMNS} FROM events \
                 WHERE ($1::text IS NULL OR (aggregate_type = $1 AND aggregate_id = $2)) \
                 ORDER BY position"
            );
            let (kind, id) = stream.unzip();
            let mut rows = sqlx::query(&sql).bind(kind).bind(id).fetch(&pool);
            while let Some(row) = rows.next().await {
                let item = row
                    .and_then(|r| StoredEvent::from_row(&r))
                    .map(|e| e.to_serialized())
                    .map_err(|e| persistence(e.into()));
                let failed = item.is_err();
                if feed.push(item).await.is_err() || failed {
                    break;
                }
            }
        });
        replay
    }
}
