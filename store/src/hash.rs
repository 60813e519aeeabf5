//! The hash chain over each stream, specified in docs/FORMATS.md
//! ("Hash chain"): any change to a stored event, its metadata, its position
//! in the stream or its recording time changes every later hash.
//!
//! Kept hand-written on purpose (`canonical_json` included): every stored hash
//! depends on these exact bytes, so no crate's idea of canonical JSON may change them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash that precedes the first event of every stream.
pub const GENESIS: [u8; 32] = [0; 32];

const DOMAIN_TAG: &[u8] = b"casetrail-event-v1";

/// The fields of one event that the chain covers.
pub struct ChainedFields<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub sequence: i64,
    pub event_type: &'a str,
    pub event_version: &'a str,
    pub payload: &'a Value,
    pub metadata: &'a Value,
    pub recorded_at: DateTime<Utc>,
}

/// `SHA-256(tag ‖ previous ‖ field…)`, each variable field prefixed by its length.
pub fn chain_hash(previous: &[u8], event: &ChainedFields<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    field(&mut h, DOMAIN_TAG);
    field(&mut h, previous);
    field(&mut h, event.aggregate_type.as_bytes());
    field(&mut h, event.aggregate_id.as_bytes());
    h.update(event.sequence.to_be_bytes());
    field(&mut h, event.event_type.as_bytes());
    field(&mut h, event.event_version.as_bytes());
    field(&mut h, canonical_json(event.payload).as_bytes());
    field(&mut h, canonical_json(event.metadata).as_bytes());
    h.update(event.recorded_at.timestamp_micros().to_be_bytes());
    h.finalize().into()
}

fn field(h: &mut Sha256, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    h.update(len.to_be_bytes());
    h.update(bytes);
}

/// JSON with object keys sorted by their UTF-8 bytes and no whitespace;
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

    fn base_clone<'a>(b: &ChainedFields<'a>) -> ChainedFields<'a> {
        ChainedFields { ..*b }
    }
}
