//! Loading aggregates from their streams, deciding commands, and committing
//! what they decided: atomically across streams, with snapshots and
//! idempotency receipts in the same transaction.

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::EventUpcaster;
use cqrs_es::{Aggregate, DomainEvent};
use domain::occurred::OccurredAt;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::StoreError;
use crate::identity;
use crate::log::{append, read_stream, NewEvent, StoredEvent, StreamRange, UpcastExt};
use crate::metadata::CommandContext;
use crate::receipts::{insert_receipt, Receipt};
use crate::snapshots::{self, newest_valid, NewSnapshot, SnapshotKeys};
use crate::vault::MasterKeys;

/// A snapshot is written each time a stream passes a multiple of this many events.
pub const SNAPSHOT_EVERY: i64 = 100;

/// An aggregate's state and the version (last sequence) it reflects.
#[derive(Clone, Debug)]
pub struct Loaded<A> {
    pub id: Uuid,
    pub state: A,
    pub version: i64,
}

impl<A> Loaded<A> {
    /// Whether the stream has any event.
    pub fn exists(&self) -> bool {
        self.version > 0
    }
}

/// Reads and writes aggregates in PostgreSQL.
#[derive(Clone)]
pub struct EventStore {
    pool: PgPool,
    upcasters: std::sync::Arc<Vec<Box<dyn EventUpcaster>>>,
    /// Snapshots are read and written only with keys to verify them (`snapshots.rs`).
    snapshot_keys: Option<std::sync::Arc<SnapshotKeys>>,
}

impl EventStore {
    pub fn new(pool: PgPool, upcasters: Vec<Box<dyn EventUpcaster>>) -> Self {
        Self {
            pool,
            upcasters: std::sync::Arc::new(upcasters),
            snapshot_keys: None,
        }
    }

    /// Reads and writes verified snapshots, keyed from these master keys.
    pub fn with_snapshot_keys(mut self, keys: &MasterKeys) -> Self {
        self.snapshot_keys = Some(std::sync::Arc::new(SnapshotKeys::from_master(keys)));
        self
    }

    /// The last sequence of the snapshot `load` would start from, if any verifies.
    pub async fn verified_snapshot<A: Aggregate>(
        &self,
        id: Uuid,
    ) -> Result<Option<i64>, StoreError> {
        let Some(keys) = &self.snapshot_keys else {
            return Ok(None);
        };
        let found = newest_valid::<A>(&self.pool, keys, A::TYPE, &id.to_string()).await?;
        Ok(found.map(|(sequence, _)| sequence))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The current state: the newest snapshot that verifies, plus the events after it.
    #[tracing::instrument(skip(self), fields(stream.kind = A::TYPE))]
    pub async fn load<A: Aggregate>(&self, id: Uuid) -> Result<Loaded<A>, StoreError> {
        let snapshot = match &self.snapshot_keys {
            Some(keys) => newest_valid::<A>(&self.pool, keys, A::TYPE, &id.to_string()).await?,
            None => None,
        };
        let mut loaded = match snapshot {
            Some((version, state)) => Loaded { id, state, version },
            None => Loaded {
                id,
                state: A::default(),
                version: 0,
            },
        };
        let range = StreamRange {
            after_sequence: loaded.version,
            ..StreamRange::default()
        };
        for stored in read_stream(&self.pool, A::TYPE, &id.to_string(), range).await? {
            loaded.state.apply(self.decode::<A>(&stored)?);
            loaded.version = stored.sequence;
        }
        Ok(loaded)
    }

    /// The state folded from exactly the events in `range`, with those events.
    #[tracing::instrument(skip(self), fields(stream.kind = A::TYPE))]
    pub async fn load_range<A: Aggregate>(
        &self,
        id: Uuid,
        range: StreamRange,
    ) -> Result<(Loaded<A>, Vec<StoredEvent>), StoreError> {
        let events = read_stream(&self.pool, A::TYPE, &id.to_string(), range).await?;
        let mut loaded = Loaded {
            id,
            state: A::default(),
            version: 0,
        };
        for stored in &events {
            loaded.state.apply(self.decode::<A>(stored)?);
            loaded.version = stored.sequence;
        }
        Ok((loaded, events))
    }

    /// A stored event as the aggregate's current event type, through the upcasters.
    pub fn decode<A: Aggregate>(&self, stored: &StoredEvent) -> Result<A::Event, StoreError> {
        let serialized = stored.to_serialized().upcast_with(&self.upcasters);
        serde_json::from_value(serialized.payload).map_err(|e| {
            StoreError::Corrupt(format!(
                "{} {} v{} at sequence {}: {e}",
                stored.aggregate_type, stored.event_type, stored.event_version, stored.sequence
            ))
        })
    }

    /// Commits a unit of work in one transaction. A lost race is `Conflict`;
    /// an introduced id that already names something else is `IdTaken`.
    #[tracing::instrument(skip_all, fields(events = unit.events.len()))]
    pub async fn commit(&self, unit: UnitOfWork) -> Result<Vec<i64>, StoreError> {
        let ids = identity::introduced_by(&unit.events)?;
        let mut tx = self.pool.begin().await?;
        // Appending first: a twin of this command on the same stream loses
        // as a `Conflict` (and is retried into its receipt) before it could
        // be mistaken for a reuse of the ids its twin just recorded.
        let positions = append(&mut tx, &unit.events).await?;
        identity::record(&mut tx, &ids).await?;
        if let Some(keys) = &self.snapshot_keys {
            for (aggregate_type, aggregate_id, last_sequence, payload) in &unit.snapshots {
                let snapshot = NewSnapshot {
                    aggregate_type,
                    aggregate_id,
                    last_sequence: *last_sequence,
                    payload,
                };
                snapshots::insert(&mut tx, keys, &snapshot, SNAPSHOT_EVERY).await?;
            }
        }
        if let Some(receipt) = &unit.receipt {
            insert_receipt(&mut tx, receipt).await?;
        }
        tx.commit().await?;
        Ok(positions)
    }
}

/// Runs a command against a loaded aggregate. On success the state already
/// includes the new events (cqrs-es applies them as they are written).
pub async fn decide<A: Aggregate>(
    loaded: &mut Loaded<A>,
    command: A::Command,
    services: &A::Services,
) -> Result<Vec<A::Event>, A::Error> {
    let sink = EventSink::<A>::default();
    loaded.state.handle(command, services, &sink).await?;
    Ok(sink.collect().await)
}

/// Everything one command records: events of one or more streams, snapshots, a receipt.
#[derive(Default)]
pub struct UnitOfWork {
    events: Vec<NewEvent>,
    snapshots: Vec<(String, String, i64, Value)>,
    receipt: Option<Receipt>,
}

impl UnitOfWork {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the events an aggregate decided, after `decide`, and advances its version.
    pub fn record<A>(
        &mut self,
        loaded: &mut Loaded<A>,
        events: &[A::Event],
        ctx: &CommandContext,
    ) -> Result<(), StoreError>
    where
        A: Aggregate,
        A::Event: OccurredAt,
    {
        let before = loaded.version;
        for event in events {
            loaded.version += 1;
            self.events.push(NewEvent {
                aggregate_type: A::TYPE.to_string(),
                aggregate_id: loaded.id.to_string(),
                sequence: loaded.version,
                event_type: event.event_type(),
                event_version: event.event_version(),
                payload: serde_json::to_value(event)?,
                metadata: ctx.metadata(event.occurred_at()),
            });
        }
        if loaded.version / SNAPSHOT_EVERY > before / SNAPSHOT_EVERY {
            self.snapshots.push((
                A::TYPE.to_string(),
                loaded.id.to_string(),
                loaded.version,
                serde_json::to_value(&loaded.state)?,
            ));
        }
        Ok(())
    }

    /// Keeps the command's first result under its idempotency key.
    pub fn receipt(&mut self, receipt: Receipt) {
        self.receipt = Some(receipt);
    }

    /// How many events the unit appends.
    pub fn event_count(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.receipt.is_none()
    }
}
