//! Committing units of work: each is hashed after the heads it follows (from
//! the state cache when it holds them), handed to the group committer
//! (`group_commit`), and what committed is kept in the state cache.
//!
//! A unit is moved, not copied, into what the committer writes: a snapshot
//! of a long stream is a large document, and the command path should pay
//! for it once.

use crate::aggregates::EventStore;
use crate::error::StoreError;
use crate::group_commit::write_group;
use crate::group_statement::{Prepared, SnapshotRow};
use crate::identity;
use crate::log::{attributed, chain, first_followers, head_hash, recording_time};
use crate::snapshots::{self, NewSnapshot};
use crate::state_cache::Entry;
use crate::unit::{Staged, UnitOfWork, SNAPSHOT_EVERY};

/// What the cache needs once a unit's outcome is known.
pub(crate) struct Settle {
    /// Each aggregate's state after the unit, with the hash of its last event.
    staged: Vec<(Staged, [u8; 32])>,
    /// The streams the unit wrote, to forget if it failed.
    streams: Vec<String>,
}

impl EventStore {
    /// Commits a unit of work in one transaction (shared with concurrent
    /// units: `group_commit`). A lost race is `Conflict`; an introduced id
    /// that already names something else is `IdTaken`.
    #[tracing::instrument(level = "debug", skip_all, fields(events = unit.event_count()))]
    pub async fn commit(&self, unit: UnitOfWork) -> Result<Vec<i64>, StoreError> {
        let (prepared, settle) = self.prepare(unit).await?;
        let result = self.committer.commit(&self.pool, prepared).await;
        self.settle(settle, &result);
        result
    }

    /// Commits these units as one group, now: together if every one's
    /// checks hold, else each on its own, so that one that lost a race (or
    /// reuses an id) fails alone. One result per unit, in order. For
    /// writers that have many units at hand (and for the tests of grouping,
    /// which `commit` does with whatever concurrent commands are waiting).
    pub async fn commit_all(&self, units: Vec<UnitOfWork>) -> Vec<Result<Vec<i64>, StoreError>> {
        let mut outcomes: Vec<Result<Settle, StoreError>> = Vec::with_capacity(units.len());
        let mut ready = Vec::new();
        for unit in units {
            outcomes.push(self.prepare(unit).await.map(|(prepared, settle)| {
                ready.push(prepared);
                settle
            }));
        }
        let mut written = write_group(&self.pool, &self.committer.appends, &ready)
            .await
            .into_iter();
        outcomes
            .into_iter()
            .map(|outcome| {
                let settle = outcome?;
                let result = written
                    .next()
                    .unwrap_or_else(|| Err(StoreError::Corrupt("a unit was not written".into())));
                self.settle(settle, &result);
                result
            })
            .collect()
    }

    /// Keeps a committed unit's states in the cache; forgets its streams' on failure.
    fn settle(&self, settle: Settle, result: &Result<Vec<i64>, StoreError>) {
        if result.is_err() {
            // Stale, or perhaps written: either way the log decides next time.
            for stream in &settle.streams {
                self.cache.forget(stream);
            }
            return;
        }
        for (staged, hash) in settle.staged {
            let entry = Entry {
                kind: staged.aggregate_type,
                version: staged.version,
                hash,
                state: Some(staged.state),
            };
            self.cache.put(staged.id, entry);
        }
    }

    /// Hashes the unit's events after the heads they follow (from the
    /// cache when it holds them, else read) and seals its snapshots.
    async fn prepare(&self, unit: UnitOfWork) -> Result<(Prepared, Settle), StoreError> {
        let UnitOfWork {
            events,
            snapshots: sealed_later,
            receipt,
            staged,
        } = unit;
        let ids = identity::introduced_by(&events)?;
        let metadata = attributed(&events)?;
        let recorded_at = recording_time();
        let mut heads = Vec::new();
        for event in first_followers(&events) {
            let (t, i, s) = (
                &event.aggregate_type,
                &event.aggregate_id,
                event.sequence - 1,
            );
            let hash = match self.cache.head(t, i, s) {
                Some(hash) => hash,
                // Not the head this process last saw: read it (the statement checks it again).
                None => head_hash(&mut *self.pool.acquire().await?, event).await?,
            };
            heads.push((t.clone(), i.clone(), s, hash));
        }
        let hashes = chain(&events, &metadata, recorded_at, &heads)?;
        // The hash of the event at (type, id, sequence), if the unit wrote it.
        let hash_at = |kind: &str, id: &str, sequence: i64| {
            events
                .iter()
                .position(|e| {
                    e.aggregate_type == kind && e.aggregate_id == id && e.sequence == sequence
                })
                .and_then(|at| hashes.get(at).copied())
        };
        let mut snapshot_rows = Vec::new();
        if let Some(keys) = &self.snapshot_keys {
            for (aggregate_type, aggregate_id, last_sequence, payload) in sealed_later {
                let Some(last_hash) = hash_at(&aggregate_type, &aggregate_id, last_sequence) else {
                    continue;
                };
                let snapshot = NewSnapshot {
                    aggregate_type: &aggregate_type,
                    aggregate_id: &aggregate_id,
                    last_sequence,
                    payload: &payload,
                };
                let (master_key_id, mac) = snapshots::seal(keys, &snapshot, &last_hash);
                snapshot_rows.push(SnapshotRow {
                    aggregate_type,
                    aggregate_id,
                    last_sequence,
                    current_snapshot: last_sequence / SNAPSHOT_EVERY,
                    payload,
                    last_hash: last_hash.to_vec(),
                    master_key_id,
                    mac,
                });
            }
        }
        let staged = staged
            .into_iter()
            .filter_map(|s| {
                let hash = hash_at(s.aggregate_type, &s.id.to_string(), s.version)?;
                Some((s, hash))
            })
            .collect();
        let mut streams: Vec<String> = Vec::new();
        for event in &events {
            if !streams.contains(&event.aggregate_id) {
                streams.push(event.aggregate_id.clone());
            }
        }
        let prepared = Prepared {
            events,
            metadata,
            hashes,
            recorded_at,
            heads,
            ids,
            receipt,
            snapshots: snapshot_rows,
        };
        Ok((prepared, Settle { staged, streams }))
    }
}
