//! Evidence bundles (docs/AUDIT.md "Evidence bundle"): one case's stream,
//! exactly as stored (personal data sealed), with the inclusion proof of its
//! last event in a signed tree head, checked with no database at all.

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::merkle::verify_inclusion;
use super::{parse_hash, Entry, TreeHead};
use crate::hash::{chain_hash, ChainVersion, ChainedFields, GENESIS};
use crate::log::StoredEvent;

/// The `format` of a bundle.
pub const FORMAT: &str = "casetrail-evidence-bundle-v1";

/// One event of the stream, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BundleEvent {
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// As stored: personal fields are sealed envelopes (ciphertext).
    pub payload: Value,
    pub metadata: Value,
    /// `recorded_at` as microseconds since the Unix epoch (what the chain hashes).
    pub recorded_at_us: i64,
    /// Lowercase hex of the stored chain hash.
    pub hash: String,
    /// The formula that hashed it (docs/FORMATS.md, "Hash chain"); absent
    /// in bundles written before version 2 existed, which are all version 1.
    #[serde(default = "version_1")]
    pub chain_version: i64,
}

fn version_1() -> i64 {
    1
}

/// The last event's place in the tree and its audit path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inclusion {
    pub leaf_index: u64,
    /// Lowercase hex hashes, leaf to root (RFC 9162 PATH).
    pub path: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub stream_type: String,
    pub stream_id: String,
    /// Events 1..=n of the stream, n being its last event in the tree.
    pub events: Vec<BundleEvent>,
    pub inclusion: Inclusion,
    pub tree_head: TreeHead,
}

impl BundleEvent {
    pub fn from_stored(event: &StoredEvent) -> BundleEvent {
        BundleEvent {
            sequence: event.sequence,
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            payload: event.payload.clone(),
            metadata: event.metadata.clone(),
            recorded_at_us: event.recorded_at.timestamp_micros(),
            hash: hex::encode(&event.hash),
            chain_version: event.chain_version.into(),
        }
    }
}

/// Why a bundle is unsound. `event` is the 0-based index, in the bundle's
/// `events`, of the first bad event; `None` for the bundle as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsound {
    pub event: Option<usize>,
    pub sequence: Option<i64>,
    pub reason: String,
}

impl std::fmt::Display for Unsound {
    /// The verdict line the Python verifier prints identically.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.event, self.sequence) {
            (Some(i), Some(s)) => {
                write!(f, "first bad event: #{i} (sequence {s}): {}", self.reason)
            }
            _ => write!(f, "bad bundle: {}", self.reason),
        }
    }
}

fn whole(reason: impl Into<String>) -> Unsound {
    Unsound {
        event: None,
        sequence: None,
        reason: reason.into(),
    }
}

/// What a sound bundle proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sound {
    pub events: usize,
    pub tree_size: u64,
    pub timestamp: DateTime<Utc>,
}

impl Bundle {
    /// Checks, in this order: the tree head's signature by `trusted`; each
    /// event's sequence (1, 2, …) and recomputed chain hash against the
    /// stored one; the last event's leaf and its audit path to the signed root.
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<Sound, Unsound> {
        if self.format != FORMAT {
            return Err(whole(format!("unknown bundle format '{}'", self.format)));
        }
        let root = self.tree_head.verify(trusted).map_err(whole)?;
        if self.events.is_empty() {
            return Err(whole("the bundle holds no event"));
        }
        let mut previous = GENESIS;
        for (i, event) in self.events.iter().enumerate() {
            let bad = |reason: String| Unsound {
                event: Some(i),
                sequence: Some(event.sequence),
                reason,
            };
            let expected = i64::try_from(i + 1).unwrap_or(i64::MAX);
            if event.sequence != expected {
                return Err(bad(format!(
                    "sequence {} where {expected} belongs (an event is missing, added or out of order)",
                    event.sequence
                )));
            }
            let recorded_at = DateTime::<Utc>::from_timestamp_micros(event.recorded_at_us)
                .ok_or_else(|| bad("recorded_at_us is out of range".into()))?;
            let version = ChainVersion::from_number(event.chain_version).ok_or_else(|| {
                bad(format!(
                    "chain version {} is not one this verifier knows (1 or 2)",
                    event.chain_version
                ))
            })?;
            let recomputed = chain_hash(
                &previous,
                &ChainedFields {
                    version,
                    aggregate_type: &self.stream_type,
                    aggregate_id: &self.stream_id,
                    sequence: event.sequence,
                    event_type: &event.event_type,
                    event_version: &event.event_version,
                    payload: &event.payload,
                    metadata: &event.metadata,
                    recorded_at,
                },
            );
            if hex::encode(recomputed) != event.hash.to_ascii_lowercase() {
                return Err(bad(
                    "its recomputed chain hash differs from the stored one (the event or its chain was altered)".into(),
                ));
            }
            previous = recomputed;
        }
        let last = self.events.len() - 1;
        let unproved = |reason: &str| Unsound {
            event: Some(last),
            sequence: Some(self.events[last].sequence),
            reason: reason.to_string(),
        };
        let path = self
            .inclusion
            .path
            .iter()
            .map(|h| parse_hash("a hash of the inclusion proof", h))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| unproved(&e))?;
        let leaf = Entry {
            leaf_index: self.inclusion.leaf_index,
            stream_type: self.stream_type.clone(),
            stream_id: self.stream_id.clone(),
            sequence: self.events[last].sequence,
            chain_hash: previous,
        }
        .leaf_hash();
        if !verify_inclusion(
            self.inclusion.leaf_index,
            self.tree_head.size,
            &leaf,
            &path,
            &root,
        ) {
            return Err(unproved(
                "the last event is not in the signed tree (the stream was rewritten, truncated or extended, or the proof altered)",
            ));
        }
        Ok(Sound {
            events: self.events.len(),
            tree_size: self.tree_head.size,
            timestamp: self.tree_head.timestamp,
        })
    }
}
