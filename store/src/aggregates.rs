//! Loading aggregates from their streams (through the state cache) and
//! deciding commands. Committing what they decided, atomically across
//! streams with snapshots and idempotency receipts in the same
//! transaction, is `commit.rs`.

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::EventUpcaster;
use cqrs_es::Aggregate;
use std::sync::Arc;

use sqlx::PgPool;
use uuid::Uuid;

use crate::cold_load::{self, Start};
use crate::error::StoreError;
use crate::group_commit::GroupCommitter;
use crate::log::{read_stream, StoredEvent, StreamRange, UpcastExt};
use crate::snapshots::{newest_valid, newest_valid_below, SnapshotKeys};
use crate::state_cache::{Entry, StateCache};
pub use crate::unit::{Loaded, UnitOfWork, SNAPSHOT_EVERY};
use crate::vault::MasterKeys;

/// Reads and writes aggregates in PostgreSQL.
#[derive(Clone)]
pub struct EventStore {
    pub(crate) pool: PgPool,
    upcasters: std::sync::Arc<Vec<Box<dyn EventUpcaster>>>,
    /// Snapshots are read and written only with keys to verify them (`snapshots.rs`).
    pub(crate) snapshot_keys: Option<std::sync::Arc<SnapshotKeys>>,
    /// Committed states, checked against the log on every load (`state_cache`).
    pub(crate) cache: Arc<StateCache>,
    /// Writes units of work, grouping concurrent ones (`commit.rs`, `group_commit`).
    pub(crate) committer: Arc<GroupCommitter>,
}

impl EventStore {
    pub fn new(pool: PgPool, upcasters: Vec<Box<dyn EventUpcaster>>) -> Self {
        Self {
            pool,
            upcasters: std::sync::Arc::new(upcasters),
            snapshot_keys: None,
            cache: Arc::default(),
            committer: Arc::default(),
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

    /// Bumped each time this process commits events (after PostgreSQL
    /// acknowledged them): its readers of the log wait on this, and on
    /// other processes' NOTIFY (`wake.rs`).
    pub fn appended(&self) -> tokio::sync::watch::Receiver<u64> {
        self.committer.appends.subscribe()
    }

    /// Whether a notification on [`crate::wake::EVENTS_CHANNEL`] came from
    /// this store's own notifier (its readers were woken by [`Self::appended`]).
    pub fn is_own_notification(&self, payload: &str) -> bool {
        self.committer.appends.is_own(payload)
    }

    /// Wakes the log's readers in every process now, for everything
    /// committed so far: a server once it has migrated (a process that
    /// died between a commit and its NOTIFY left them asleep), a tool
    /// after its last write (it may exit before its notifier sends).
    pub async fn announce(&self) -> Result<(), StoreError> {
        crate::wake::announce(&self.pool).await?;
        Ok(())
    }

    /// A new stream id for an aggregate of type `A`: its first command
    /// loads nothing from the database (there is nothing to load).
    pub fn mint<A: Aggregate>(&self) -> Uuid {
        self.cache.mint(A::TYPE)
    }

    /// The current state: the cached committed state if the log still ends
    /// it where the cache says (one round trip, folding only newer events),
    /// else the newest snapshot that verifies plus the events after it.
    #[tracing::instrument(level = "debug", skip(self), fields(stream.kind = A::TYPE))]
    pub async fn load<A: Aggregate + Clone + 'static>(
        &self,
        id: Uuid,
    ) -> Result<Loaded<A>, StoreError> {
        if let Some(loaded) = self.load_cached::<A>(id).await? {
            return Ok(loaded);
        }
        let stream = id.to_string();
        let start = match &self.snapshot_keys {
            // One round trip: the newest snapshot and the events after it.
            Some(keys) => {
                let found = cold_load::read(&self.pool, A::TYPE, &stream).await?;
                match cold_load::verified::<A>(keys, A::TYPE, &stream, found) {
                    Ok(start) => start,
                    // It did not verify (counted and logged): an older one, as before.
                    Err(failed) => {
                        let older =
                            newest_valid_below::<A>(&self.pool, keys, A::TYPE, &stream, failed)
                                .await?;
                        let range = StreamRange {
                            after_sequence: older.as_ref().map_or(0, |(v, _)| *v),
                            ..StreamRange::default()
                        };
                        Start {
                            // Its head is not known here; the events after it give it.
                            snapshot: older.map(|(v, state)| (v, state, Vec::new())),
                            events: read_stream(&self.pool, A::TYPE, &stream, range).await?,
                        }
                    }
                }
            }
            None => Start {
                snapshot: None,
                events: read_stream(&self.pool, A::TYPE, &stream, StreamRange::default()).await?,
            },
        };
        let (mut loaded, mut head) = match start.snapshot {
            Some((version, state, hash)) => (
                Loaded {
                    id,
                    state: Arc::new(state),
                    version,
                },
                Some(hash),
            ),
            None => (
                Loaded {
                    id,
                    state: Arc::default(),
                    version: 0,
                },
                None,
            ),
        };
        for stored in start.events {
            // Held by nobody else yet: folded in place, not copied.
            Arc::make_mut(&mut loaded.state).apply(self.decode::<A>(&stored)?);
            loaded.version = stored.sequence;
            head = Some(stored.hash);
        }
        if let Some(hash) = head.and_then(|h| <[u8; 32]>::try_from(h).ok()) {
            self.remember(&loaded, hash);
        }
        Ok(loaded)
    }

    /// The cached state, brought up to date, if the log still agrees with it.
    async fn load_cached<A: Aggregate + Clone + 'static>(
        &self,
        id: Uuid,
    ) -> Result<Option<Loaded<A>>, StoreError> {
        let Some(entry) = self.cache.get(A::TYPE, id) else {
            return Ok(None);
        };
        let state: Arc<A> = match &entry.state {
            None if entry.version == 0 => Arc::default(),
            None => return Ok(None),
            // Shared with the cache, not copied.
            Some(state) => match state.clone().downcast::<A>() {
                Ok(state) => state,
                Err(_) => return Ok(None),
            },
        };
        let mut loaded = Loaded {
            id,
            state,
            version: entry.version,
        };
        if entry.version == 0 {
            // Minted here and not yet committed: nothing can be stored under it.
            return Ok(Some(loaded));
        }
        let range = StreamRange {
            after_sequence: entry.version - 1,
            ..StreamRange::default()
        };
        let events = read_stream(&self.pool, A::TYPE, &id.to_string(), range).await?;
        let agrees = events
            .first()
            .is_some_and(|e| e.sequence == entry.version && e.hash == entry.hash);
        if !agrees {
            self.cache.forget(&id.to_string());
            return Ok(None);
        }
        let mut head = entry.hash;
        for stored in events.iter().skip(1) {
            // Written by another process since: the cached state is copied once.
            Arc::make_mut(&mut loaded.state).apply(self.decode::<A>(stored)?);
            loaded.version = stored.sequence;
            head = <[u8; 32]>::try_from(stored.hash.as_slice())
                .map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".into()))?;
        }
        if events.len() > 1 {
            self.remember(&loaded, head);
        }
        Ok(Some(loaded))
    }

    fn remember<A: Aggregate + Clone + 'static>(&self, loaded: &Loaded<A>, hash: [u8; 32]) {
        let entry = Entry {
            kind: A::TYPE,
            version: loaded.version,
            hash,
            state: Some(loaded.state.clone()),
        };
        self.cache.put(loaded.id, entry);
    }

    /// The state folded from exactly the events in `range`, with those events.
    #[tracing::instrument(skip(self), fields(stream.kind = A::TYPE))]
    pub async fn load_range<A: Aggregate>(
        &self,
        id: Uuid,
        range: StreamRange,
    ) -> Result<(Loaded<A>, Vec<StoredEvent>), StoreError> {
        let events = read_stream(&self.pool, A::TYPE, &id.to_string(), range).await?;
        let (mut state, mut version) = (A::default(), 0);
        for stored in &events {
            state.apply(self.decode::<A>(stored)?);
            version = stored.sequence;
        }
        let loaded = Loaded {
            id,
            state: Arc::new(state),
            version,
        };
        Ok((loaded, events))
    }

    /// A stored event as the aggregate's current event type, through the upcasters.
    pub fn decode<A: Aggregate>(&self, stored: &StoredEvent) -> Result<A::Event, StoreError> {
        self.decode_serialized::<A>(stored, stored.to_serialized())
    }

    /// As [`EventStore::decode`], taking the payload and metadata out of
    /// `stored` instead of copying them (readers that decode every event
    /// once and keep only the result).
    pub fn decode_taking<A: Aggregate>(
        &self,
        stored: &mut StoredEvent,
    ) -> Result<A::Event, StoreError> {
        let serialized = cqrs_es::persist::SerializedEvent::new(
            stored.aggregate_id.clone(),
            usize::try_from(stored.sequence).unwrap_or(usize::MAX),
            stored.aggregate_type.clone(),
            stored.event_type.clone(),
            stored.event_version.clone(),
            std::mem::take(&mut stored.payload),
            std::mem::take(&mut stored.metadata),
        );
        self.decode_serialized::<A>(stored, serialized)
    }

    fn decode_serialized<A: Aggregate>(
        &self,
        stored: &StoredEvent,
        serialized: cqrs_es::persist::SerializedEvent,
    ) -> Result<A::Event, StoreError> {
        let serialized = serialized.upcast_with(&self.upcasters);
        serde_json::from_value(serialized.payload).map_err(|e| {
            StoreError::Corrupt(format!(
                "{} {} v{} at sequence {}: {e}",
                stored.aggregate_type, stored.event_type, stored.event_version, stored.sequence
            ))
        })
    }
}

impl EventStore {
    /// [`decide`] for a command that is going to be committed: the state
    /// cache lends it the state it shares with `loaded` first
    /// (`StateCache::lend`), so that the command changes it in place. A
    /// command on a stream of 2,000 events copied the whole state every time.
    pub async fn decide<A: Aggregate + Clone + 'static>(
        &self,
        loaded: &mut Loaded<A>,
        command: A::Command,
        services: &A::Services,
    ) -> Result<Vec<A::Event>, A::Error> {
        let state = Arc::as_ptr(&loaded.state).cast::<()>();
        self.cache.lend(A::TYPE, loaded.id, loaded.version, state);
        decide(loaded, command, services).await
    }
}

/// Runs a command against a loaded aggregate. On success the state already
/// includes the new events (cqrs-es applies them as they are written).
/// The state is copied first only if it is shared (with the state cache,
/// which must keep the committed state until this one commits).
pub async fn decide<A: Aggregate + Clone>(
    loaded: &mut Loaded<A>,
    command: A::Command,
    services: &A::Services,
) -> Result<Vec<A::Event>, A::Error> {
    let sink = EventSink::<A>::default();
    Arc::make_mut(&mut loaded.state)
        .handle(command, services, &sink)
        .await?;
    Ok(sink.collect().await)
}
