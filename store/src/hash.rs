//! The hash chain over each stream, specified in docs/FORMATS.md
//! ("Hash chain"): any change to a stored event, its metadata, its position
//! in the stream or its recording time changes every later hash.
//!
//! Two versions of the formula, recorded per event (`events.chain_version`):
//! version 1 hashes casetrail's own canonical JSON ([`canonical_json`]),
//! version 2, which every new event gets, hashes RFC 8785 (JCS) canonical
//! JSON ([`crate::jcs`]) so that any JCS library reproduces the hash. Events
//! recorded under version 1 keep it and keep verifying.
//!
//! Kept hand-written on purpose (both canonical forms included): every stored
//! hash depends on these exact bytes, so no crate's idea of canonical JSON may change them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash that precedes the first event of every stream.
pub const GENESIS: [u8; 32] = [0; 32];

/// Which formula hashed an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainVersion {
    /// `casetrail-event-v1`: casetrail's canonical JSON (keys by UTF-8 bytes,
    /// numbers as serde_json writes them). Events recorded before version 2.
    V1,
    /// `casetrail-event-v2`: RFC 8785 (JCS) canonical JSON.
    V2,
}

impl ChainVersion {
    /// The version the store appends with.
    pub const CURRENT: ChainVersion = ChainVersion::V2;

    /// The number stored in `events.chain_version` and written in bundles and exports.
    pub fn number(self) -> i16 {
        match self {
            ChainVersion::V1 => 1,
            ChainVersion::V2 => 2,
        }
    }

    /// The version a stored number names; `None` for any other number.
    pub fn from_number(number: i64) -> Option<ChainVersion> {
        match number {
            1 => Some(ChainVersion::V1),
            2 => Some(ChainVersion::V2),
            _ => None,
        }
    }

    fn domain_tag(self) -> &'static [u8] {
        match self {
            ChainVersion::V1 => b"casetrail-event-v1",
            ChainVersion::V2 => b"casetrail-event-v2",
        }
    }

    /// A payload or metadata document in this version's canonical form.
    pub fn canonical(self, value: &Value) -> String {
        match self {
            ChainVersion::V1 => canonical_json(value),
            ChainVersion::V2 => crate::jcs::canonical(value),
        }
    }
}

/// The fields of one event that the chain covers.
pub struct ChainedFields<'a> {
    pub version: ChainVersion,
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    pub event_type: &'a str,
    pub event_version: &'a str,
    pub payload: &'a Value,
    pub metadata: &'a Value,
    pub recorded_at: DateTime<Utc>,
}

/// `SHA-256(tag ‖ previous ‖ field…)`, each variable field prefixed by its
/// length; the tag and the canonical JSON are the event's version's.
pub fn chain_hash(previous: &[u8], event: &ChainedFields<'_>) -> [u8; 32] {
    let version = event.version;
    let mut h = Sha256::new();
    field(&mut h, version.domain_tag());
    field(&mut h, previous);
    field(&mut h, event.aggregate_type.as_bytes());
    field(&mut h, event.aggregate_id.as_bytes());
    h.update(event.sequence.to_be_bytes());
    field(&mut h, event.event_type.as_bytes());
    field(&mut h, event.event_version.as_bytes());
    field(&mut h, version.canonical(event.payload).as_bytes());
    field(&mut h, version.canonical(event.metadata).as_bytes());
    h.update(event.recorded_at.timestamp_micros().to_be_bytes());
    h.finalize().into()
}

fn field(h: &mut Sha256, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    h.update(len.to_be_bytes());
    h.update(bytes);
}

/// Chain version 1's canonical JSON (also what snapshot MACs and receipt
/// hashes cover): object keys sorted by their UTF-8 bytes and no whitespace;
/// strings and numbers as serde_json writes them. PostgreSQL's jsonb keeps
/// values but not key order, so the order is fixed here, not trusted.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"x","d":[true,null]},"b":1}"#
        );
    }

    #[test]
    fn any_field_changes_the_hash() {
        let payload = json!({"x": 1});
        let metadata = json!({"actor": "a"});
        let at = DateTime::<Utc>::from_timestamp_micros(1_700_000_000_000_001).expect("valid");
        let base = ChainedFields {
            version: ChainVersion::CURRENT,
            aggregate_type: "Case",
            aggregate_id: "1",
            sequence: 1,
            event_type: "T",
            event_version: "1.0",
            payload: &payload,
            metadata: &metadata,
            recorded_at: at,
        };
        let h = chain_hash(&GENESIS, &base);
        assert_ne!(h, chain_hash(&[1; 32], &base));
        // Even where both canonical forms agree, the version's tag differs.
        assert_eq!(
            ChainVersion::V1.canonical(&payload),
            ChainVersion::V2.canonical(&payload)
        );
        assert_ne!(
            h,
            chain_hash(
                &GENESIS,
                &ChainedFields {
                    version: ChainVersion::V1,
                    ..base_clone(&base)
                }
            )
        );
        assert_ne!(
            h,
            chain_hash(
                &GENESIS,
                &ChainedFields {
                    sequence: 2,
                    ..base_clone(&base)
                }
            )
        );
        let later = at + chrono::Duration::microseconds(1);
        assert_ne!(
            h,
            chain_hash(
                &GENESIS,
                &ChainedFields {
                    recorded_at: later,
                    ..base_clone(&base)
                }
            )
        );
        let other = json!({"x": 2});
        assert_ne!(
            h,
            chain_hash(
                &GENESIS,
                &ChainedFields {
                    payload: &other,
                    ..base_clone(&base)
                }
            )
        );
    }

    /// Known answers, computed by scripts/verify_bundle.py (an independent
    /// implementation): version 1 must never change, version 2 is pinned
    /// too. The payload's names order differently by UTF-8 bytes and by
    /// UTF-16 code units (U+FB33 and U+1F602), and the second holds doubles.
    #[test]
    #[allow(clippy::excessive_precision)] // RFC 8785's number, as its example writes it
    fn known_answers_of_both_versions() {
        let payload = json!({"CaseOpened": {"birth_year": 2004, "\u{fb33}": true,
                             "\u{1f602}": null, "notes": "ca\tđêm \"x\""}});
        let metadata = json!({"actor": "tổng đài viên 7", "actor_role": "COUNSELLOR",
                              "correlation_id": "req-1", "causation_id": "c-1"});
        let doubles = json!({"amounts": [1.5, 100, 1e21, -0.0, 5e-324, 333333333.33333329]});
        let at = DateTime::<Utc>::from_timestamp_micros(1_764_459_000_123_456).expect("valid");
        let event = |version, payload| ChainedFields {
            version,
            aggregate_type: "Case",
            aggregate_id: "6f1c0000-0000-4000-8000-0000000000e2",
            sequence: 1,
            event_type: "CaseOpened",
            event_version: "1.0",
            payload,
            metadata: &metadata,
            recorded_at: at,
        };
        let hash = |fields| hex::encode(chain_hash(&GENESIS, &fields));
        assert_eq!(
            hash(event(ChainVersion::V1, &payload)),
            "920a47f90480990289bf59e55d584d74e9a06d575f39951a366f85a5dfba0dff"
        );
        assert_eq!(
            hash(event(ChainVersion::V2, &payload)),
            "16a32a2301bd41531a6707c1497f31dfe51a89fbf14a892c7be6db7ce11a4984"
        );
        assert_eq!(
            hash(event(ChainVersion::V2, &doubles)),
            "713061eb029d2c6a1bb01e3fded1e43a3e7cf9b6ff3a8d9d26eed2c4bcd97d61"
        );
        assert_eq!(
            ChainVersion::V2.canonical(&doubles),
            r#"{"amounts":[1.5,100,1e+21,0,5e-324,333333333.3333333]}"#
        );
    }

    #[test]
    fn versions_are_numbered_1_and_2_and_no_other() {
        for version in [ChainVersion::V1, ChainVersion::V2] {
            assert_eq!(
                ChainVersion::from_number(version.number().into()),
                Some(version)
            );
        }
        assert_eq!(ChainVersion::CURRENT, ChainVersion::V2);
        assert_eq!(ChainVersion::from_number(0), None);
        assert_eq!(ChainVersion::from_number(3), None);
    }

    fn base_clone<'a>(b: &ChainedFields<'a>) -> ChainedFields<'a> {
        ChainedFields { ..*b }
    }
}
