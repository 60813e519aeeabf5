//! A second implementation of docs/FORMATS.md's "Hash chain" and "Signed
//! checkpoints", written from that text alone: it shares no code with
//! `store` (not its hash, canonical JSON, Merkle tree or SQL), so when both
//! agree on every stored event, the spec is precise enough for an outside
//! auditor's tool. It also serves the tests as the attacker's tool: someone
//! with full database access who rewrites history and recomputes the chain.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool, Row};

/// `hash(0)`: 32 zero bytes.
pub const GENESIS: [u8; 32] = [0; 32];

/// One row of `events`, as the spec's formula reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub payload: Value,
    pub metadata: Value,
    pub recorded_at: DateTime<Utc>,
    pub hash: Vec<u8>,
}

/// Every event, by stream then sequence.
pub async fn all_rows(pool: &PgPool) -> Vec<EventRow> {
    let rows = sqlx::query(
        "SELECT position, aggregate_type, aggregate_id, sequence, event_type, event_version, \
                payload, metadata, recorded_at, hash FROM events",
    )
    .fetch_all(pool)
    .await
    .expect("events readable");
    let mut events: Vec<EventRow> = rows
        .iter()
        .map(|r| EventRow {
            position: r.get("position"),
            aggregate_type: r.get("aggregate_type"),
            aggregate_id: r.get("aggregate_id"),
            sequence: r.get("sequence"),
            event_type: r.get("event_type"),
            event_version: r.get("event_version"),
            payload: r.get("payload"),
            metadata: r.get("metadata"),
            recorded_at: r.get("recorded_at"),
            hash: r.get("hash"),
        })
        .collect();
    events.sort_by(|a, b| {
        (
            a.aggregate_type.as_bytes(),
            a.aggregate_id.as_bytes(),
            a.sequence,
        )
            .cmp(&(
                b.aggregate_type.as_bytes(),
                b.aggregate_id.as_bytes(),
                b.sequence,
            ))
    });
    events
}

/// `F(x) = BE32(len x) ‖ x`.
fn framed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `canonical(json)`: no whitespace, keys sorted by UTF-8 bytes at every
/// depth, numbers as written, strings with `"`, `\` and control characters
/// escaped (short forms where JSON has them, else `\u00xx`), the rest as UTF-8.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `hash(n)` of one event given `hash(n-1)`.
pub fn event_hash(previous: &[u8], e: &EventRow) -> [u8; 32] {
    let mut m = Vec::new();
    framed(&mut m, b"casetrail-event-v1");
    framed(&mut m, previous);
    framed(&mut m, e.aggregate_type.as_bytes());
    framed(&mut m, e.aggregate_id.as_bytes());
    m.extend_from_slice(&e.sequence.to_be_bytes());
    framed(&mut m, e.event_type.as_bytes());
    framed(&mut m, e.event_version.as_bytes());
    framed(&mut m, canonical(&e.payload).as_bytes());
    framed(&mut m, canonical(&e.metadata).as_bytes());
    m.extend_from_slice(&e.recorded_at.timestamp_micros().to_be_bytes());
    Sha256::digest(&m).into()
}

/// Each stream's head `(type, id, sequence, hash)` among `rows`.
pub fn heads(rows: &[EventRow]) -> Vec<(String, String, i64, Vec<u8>)> {
    let mut heads: Vec<(String, String, i64, Vec<u8>)> = Vec::new();
    for r in rows {
        match heads.last_mut() {
            Some(h) if h.0 == r.aggregate_type && h.1 == r.aggregate_id => {
                if r.sequence > h.2 {
                    h.2 = r.sequence;
                    h.3 = r.hash.clone();
                }
            }
            _ => heads.push((
                r.aggregate_type.clone(),
                r.aggregate_id.clone(),
                r.sequence,
                r.hash.clone(),
            )),
        }
    }
    heads
}

/// The checkpoint's Merkle root over heads (sorted here by UTF-8 bytes).
pub fn merkle_root(heads: &[(String, String, i64, Vec<u8>)]) -> [u8; 32] {
    let mut sorted: Vec<&(String, String, i64, Vec<u8>)> = heads.iter().collect();
    sorted.sort_by(|a, b| (a.0.as_bytes(), a.1.as_bytes()).cmp(&(b.0.as_bytes(), b.1.as_bytes())));
    let mut level: Vec<[u8; 32]> = sorted
        .iter()
        .map(|(t, id, seq, hash)| {
            let mut m = vec![0x00];
            framed(&mut m, t.as_bytes());
            framed(&mut m, id.as_bytes());
            m.extend_from_slice(&seq.to_be_bytes());
            m.extend_from_slice(hash);
            Sha256::digest(&m).into()
        })
        .collect();
    if level.is_empty() {
        return Sha256::digest(b"").into();
    }
    while level.len() > 1 {
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        let mut i = 0;
        while i < level.len() {
            if i + 1 < level.len() {
                let mut m = vec![0x01];
                m.extend_from_slice(&level[i]);
                m.extend_from_slice(&level[i + 1]);
                next.push(Sha256::digest(&m).into());
            } else {
                next.push(level[i]);
            }
            i += 2;
        }
        level = next;
    }
    level[0]
}

/// The bytes a checkpoint's Ed25519 signature covers.
pub fn checkpoint_message(
    position: i64,
    created_at: DateTime<Utc>,
    streams: u64,
    root: &[u8; 32],
) -> Vec<u8> {
    let mut m = Vec::new();
    framed(&mut m, b"casetrail-checkpoint-v1");
    m.extend_from_slice(&position.to_be_bytes());
    m.extend_from_slice(&created_at.timestamp_micros().to_be_bytes());
    m.extend_from_slice(&streams.to_be_bytes());
    m.extend_from_slice(root);
    m
}

/// The attacker's step: recompute and store every hash of one stream so its
/// chain verifies again. The caller's transaction must bypass the
/// append-only triggers (`SET LOCAL session_replication_role = replica`).
pub async fn rechain_stream(tx: &mut PgConnection, aggregate_type: &str, aggregate_id: &str) {
    let rows = sqlx::query(
        "SELECT sequence, event_type, event_version, payload, metadata, recorded_at \
         FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence",
    )
    .bind(aggregate_type)
    .bind(aggregate_id)
    .fetch_all(&mut *tx)
    .await
    .expect("stream readable");
    let mut previous = GENESIS.to_vec();
    for r in rows {
        let row = EventRow {
            position: 0,
            aggregate_type: aggregate_type.into(),
            aggregate_id: aggregate_id.into(),
            sequence: r.get("sequence"),
            event_type: r.get("event_type"),
            event_version: r.get("event_version"),
            payload: r.get("payload"),
            metadata: r.get("metadata"),
            recorded_at: r.get("recorded_at"),
            hash: vec![],
        };
        let hash = event_hash(&previous, &row).to_vec();
        sqlx::query(
            "UPDATE events SET hash = $4 WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3",
        )
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(row.sequence)
        .bind(&hash)
        .execute(&mut *tx)
        .await
        .expect("hash rewritten");
        previous = hash;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_follows_the_spec_text() {
        let v = json!({"b": [1, -2.5, null], "a": {"é": "x\"\\\n\u{1}\u{7f}ü", "Z": true}});
        assert_eq!(
            canonical(&v),
            "{\"a\":{\"Z\":true,\"é\":\"x\\\"\\\\\\n\\u0001\u{7f}ü\"},\"b\":[1,-2.5,null]}"
        );
    }

    #[test]
    fn merkle_root_of_nothing_is_the_hash_of_nothing() {
        assert_eq!(
            hex::encode(merkle_root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
