//! A unit of work: what one command records (events of one or more
//! streams, snapshots, a receipt), built up after `decide` and committed by
//! `EventStore::commit` in one transaction.

use std::sync::Arc;

use cqrs_es::{Aggregate, DomainEvent};
use domain::occurred::OccurredAt;
use serde_json::Value;
use uuid::Uuid;

use crate::error::StoreError;
use crate::log::NewEvent;
use crate::metadata::CommandContext;
use crate::receipts::Receipt;

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

/// Everything one command records: events of one or more streams, snapshots, a receipt.
#[derive(Default)]
pub struct UnitOfWork {
    pub(crate) events: Vec<NewEvent>,
    pub(crate) snapshots: Vec<(String, String, i64, Value)>,
    pub(crate) receipt: Option<Receipt>,
    /// Each aggregate's state after the unit, for the state cache once committed.
    pub(crate) staged: Vec<Staged>,
}

pub(crate) struct Staged {
    pub aggregate_type: &'static str,
    pub id: Uuid,
    pub version: i64,
    pub state: Arc<dyn std::any::Any + Send + Sync>,
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
        A: Aggregate + Clone + 'static,
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
        if loaded.version > before {
            self.staged.push(Staged {
                aggregate_type: A::TYPE,
                id: loaded.id,
                version: loaded.version,
                state: Arc::new(loaded.state.clone()),
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
