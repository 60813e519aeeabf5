//! Verified snapshots.
//!
//! A snapshot is derived data that decides commands (an AGENCY caller's
//! scope, a referral's status), so it is never trusted as stored. Each row
//! records the chain hash of the last event it folds (`last_hash`) and
//! `mac = HMAC-SHA-256(k, F("casetrail-snapshot-v1") ‖ F(aggregate_type) ‖
//! F(aggregate_id) ‖ BE64(last_sequence) ‖ F(last_hash) ‖ F(canonical(payload)))`
//! with `k` derived from the master key named by `master_key_id` (`F` and
//! `canonical` as in docs/FORMATS.md, which also gives this MAC). Loading takes the newest
//! snapshot whose event still has that stored hash and whose MAC verifies;
//! any other is discarded, logged (identifiers only) and counted, and the
//! state is folded from the events. The server's role may insert snapshots,
//! never update or delete them (migration 0006), so a new one is a new row.
//!
//! Someone who edits a payload in the database cannot recompute the MAC
//! without the master key; someone who rewrites events changes their hashes.
//! A store without keys (tools, some tests) neither reads nor writes snapshots.

use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::Sha256;
use sqlx::PgPool;

use crate::error::StoreError;
use crate::hash::canonical_json;
use crate::vault::{KeyId, MasterKeys};

static MISMATCHED: AtomicU64 = AtomicU64::new(0);
static UNKNOWN_KEY: AtomicU64 = AtomicU64::new(0);
static OUTDATED: AtomicU64 = AtomicU64::new(0);

/// Snapshots discarded on load since start, by reason: (mismatch: the event's
/// hash or the MAC does not match, i.e. edited or orphaned; unknown_key: made
/// under a master key no longer held; outdated: an older state shape).
pub fn discarded_counts() -> (u64, u64, u64) {
    (
        MISMATCHED.load(Ordering::Relaxed),
        UNKNOWN_KEY.load(Ordering::Relaxed),
        OUTDATED.load(Ordering::Relaxed),
    )
}

/// The MAC keys of the master keys held, current first.
#[derive(Clone)]
pub struct SnapshotKeys {
    keys: Vec<(KeyId, [u8; 32])>,
}

impl SnapshotKeys {
    pub fn from_master(master: &MasterKeys) -> Self {
        Self {
            keys: master
                .all()
                .map(|k| (k.id(), k.derive(b"casetrail snapshot mac v1")))
                .collect(),
        }
    }

    fn current(&self) -> &(KeyId, [u8; 32]) {
        &self.keys[0]
    }

    fn by_id(&self, id: &[u8]) -> Option<&[u8; 32]> {
        self.keys
            .iter()
            .find(|(k, _)| k.as_slice() == id)
            .map(|(_, key)| key)
    }
}

/// A state to keep: its stream, the sequence it folds up to, the state.
pub(crate) struct NewSnapshot<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub last_sequence: i64,
    pub payload: &'a Value,
}

fn mac(key: &[u8; 32], s: &NewSnapshot<'_>, last_hash: &[u8]) -> Hmac<Sha256> {
    fn field(mac: &mut Hmac<Sha256>, part: &[u8]) {
        mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
        mac.update(part);
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    field(&mut mac, b"casetrail-snapshot-v1");
    field(&mut mac, s.aggregate_type.as_bytes());
    field(&mut mac, s.aggregate_id.as_bytes());
    mac.update(&s.last_sequence.to_be_bytes());
    field(&mut mac, last_hash);
    field(&mut mac, canonical_json(s.payload).as_bytes());
    mac
}

/// The master key id and MAC of a snapshot whose last event has `last_hash`,
/// for a writer that knows that hash already (it just computed it).
pub(crate) fn seal(
    keys: &SnapshotKeys,
    s: &NewSnapshot<'_>,
    last_hash: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let (key_id, key) = keys.current();
    let tag = mac(key, s, last_hash).finalize().into_bytes().to_vec();
    (key_id.as_slice().to_vec(), tag)
}

/// (last sequence, payload, last hash, master key id, MAC, the stored hash of that event).
pub(crate) type Row = (i64, Value, Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>);

/// The newest snapshot of a stream that verifies, as a state of type `A`.
pub(crate) async fn newest_valid<A: DeserializeOwned>(
    pool: &PgPool,
    keys: &SnapshotKeys,
    aggregate_type: &str,
    aggregate_id: &str,
) -> Result<Option<(i64, A)>, StoreError> {
    newest_valid_below(pool, keys, aggregate_type, aggregate_id, i64::MAX).await
}

/// The newest snapshot before a sequence, and the stored hash of the event
/// it claims to end at (looked up by key: `crate::plans`).
pub(crate) const BELOW: &str =
    "SELECT s.last_sequence, s.payload, s.last_hash, s.master_key_id, s.mac, \
            (SELECT e.hash FROM events e \
             WHERE e.aggregate_type = s.aggregate_type AND e.aggregate_id = s.aggregate_id \
               AND e.sequence = s.last_sequence) \
     FROM snapshots s \
     WHERE s.aggregate_type = $1 AND s.aggregate_id = $2 AND s.last_sequence < $3 \
     ORDER BY s.last_sequence DESC LIMIT 1";

/// [`newest_valid`] among the snapshots before sequence `below`.
pub(crate) async fn newest_valid_below<A: DeserializeOwned>(
    pool: &PgPool,
    keys: &SnapshotKeys,
    aggregate_type: &str,
    aggregate_id: &str,
    mut below: i64,
) -> Result<Option<(i64, A)>, StoreError> {
    loop {
        // One query: the snapshot and the stored hash of the event it claims to end at.
        let row: Option<Row> = sqlx::query_as(BELOW)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(below)
            .fetch_optional(pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        below = row.0;
        if let Some(state) = check::<A>(keys, aggregate_type, aggregate_id, row) {
            return Ok(Some(state));
        }
    }
}

/// A snapshot row as a state, if it verifies; otherwise counted and logged
/// (identifiers only) and `None`.
pub(crate) fn check<A: DeserializeOwned>(
    keys: &SnapshotKeys,
    aggregate_type: &str,
    aggregate_id: &str,
    (sequence, payload, last_hash, key_id, tag, event_hash): Row,
) -> Option<(i64, A)> {
    let snapshot = NewSnapshot {
        aggregate_type,
        aggregate_id,
        last_sequence: sequence,
        payload: &payload,
    };
    let Some(key) = keys.by_id(&key_id) else {
        UNKNOWN_KEY.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            stream.kind = aggregate_type,
            stream.id = aggregate_id,
            sequence,
            "a snapshot made under a master key no longer held is ignored"
        );
        return None;
    };
    let chained = event_hash.as_deref() == Some(last_hash.as_slice());
    if !chained || mac(key, &snapshot, &last_hash).verify_slice(&tag).is_err() {
        MISMATCHED.fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            stream.kind = aggregate_type,
            stream.id = aggregate_id,
            sequence,
            reason = if chained { "mac" } else { "event hash" },
            "a snapshot does not match the event log; discarded, the state is folded from the events"
        );
        return None;
    }
    match serde_json::from_value::<A>(payload) {
        Ok(state) => Some((sequence, state)),
        // A snapshot of an older state shape is ignored, not trusted.
        Err(_) => {
            OUTDATED.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}
