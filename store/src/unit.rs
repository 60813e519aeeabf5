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

/// The fewest events between two snapshots of a stream (see [`snapshot_spacing`]).
pub const SNAPSHOT_EVERY: i64 = 100;

/// Events between a stream's snapshots when it is `version` events long:
/// 100 until 800, then doubling each time the stream does (200 from 800,
/// 400 from 1,600, ...), i.e. between an eighth and a quarter of the
/// stream. A snapshot is the whole state, so its cost grows with the
/// stream; spaced so, what snapshots cost a command stays about the same
/// however long the stream grows, and a load that starts from the newest
/// snapshot still folds at most a quarter of the stream's events (a cold
/// load only: a warm one starts from the state cache).
pub fn snapshot_spacing(version: i64) -> i64 {
    let mut spacing = SNAPSHOT_EVERY;
    while version >= 8 * spacing {
        spacing *= 2;
    }
    spacing
}

/// Whether a unit that moves a stream from `before` to `after` passes a
/// snapshot point (a multiple of the spacing at `after`; each spacing is a
/// multiple of the one before, so no point is skipped when it doubles).
fn snapshot_due(before: i64, after: i64) -> bool {
    let spacing = snapshot_spacing(after);
    after / spacing > before / spacing
}

/// An aggregate's state and the version (last sequence) it reflects.
///
/// The state is shared, copy on write: a load from the state cache, the
/// cache's entry after a commit and the command's answer are one state,
/// not copies; `decide` copies it only if someone else still holds it
/// (the cache, when the command started from it), once per command.
#[derive(Clone, Debug)]
pub struct Loaded<A> {
    pub id: Uuid,
    pub state: Arc<A>,
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
                state: loaded.state.clone(),
            });
        }
        if snapshot_due(before, loaded.version) {
            self.snapshots.push((
                A::TYPE.to_string(),
                loaded.id.to_string(),
                loaded.version,
                serde_json::to_value(&*loaded.state)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_come_every_hundred_events_then_spread_as_the_stream_grows() {
        let points: Vec<i64> = (1..=3_300).filter(|v| snapshot_due(v - 1, *v)).collect();
        let expected: Vec<i64> = (1..=8)
            .map(|n| n * 100)
            .chain([1_000, 1_200, 1_400, 1_600, 2_000, 2_400, 2_800, 3_200])
            .collect();
        assert_eq!(points, expected);
        // A unit of several events that passes a point takes one snapshot.
        assert!(snapshot_due(1_590, 1_601));
        assert!(!snapshot_due(1_601, 1_990));
        // Never more than a quarter of a long stream after its newest snapshot.
        for v in 800..20_000 {
            assert!(snapshot_spacing(v) <= v / 4, "at {v}");
        }
    }
}
