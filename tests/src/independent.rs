//! A second implementation of docs/FORMATS.md's "Hash chain" (both chain
//! versions, RFC 8785 JCS included) and "Signed checkpoints", written from
//! that text alone: it shares no code with `store` (not its hash, canonical
//! JSON, Merkle tree or SQL), so when both
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
    /// 1: casetrail's canonical JSON; 2: RFC 8785.
    pub chain_version: i16,
}

/// Every event, by stream then sequence.
pub async fn all_rows(pool: &PgPool) -> Vec<EventRow> {
    let rows = sqlx::query(
        "SELECT position, aggregate_type, aggregate_id, sequence, event_type, event_version, \
                payload, metadata, recorded_at, hash, chain_version FROM events",
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
            chain_version: r.get("chain_version"),
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

/// `jcs(json)`, RFC 8785: no whitespace, member names sorted by UTF-16 code
/// units, strings escaped as above (JSON.stringify's escapes), numbers as
/// ECMAScript writes the double they denote.
pub fn jcs(value: &Value) -> String {
    match value {
        Value::Number(n) => es_number(n.as_f64().expect("a JSON number")),
        Value::Array(items) => format!("[{}]", items.iter().map(jcs).collect::<Vec<_>>().join(",")),
        Value::Object(map) => {
            let mut names: Vec<&String> = map.keys().collect();
            names.sort_by_key(|name| name.encode_utf16().collect::<Vec<u16>>());
            let members: Vec<String> = names
                .into_iter()
                .map(|name| {
                    let mut member = String::new();
                    write_string(name, &mut member);
                    format!("{member}:{}", jcs(&map[name]))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        other => canonical(other),
    }
}

/// ECMA-262 Number::toString, from the plain decimal that Rust's `{}`
/// prints (the shortest digits that read back, never an exponent).
pub fn es_number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let plain = format!("{}", x.abs());
    let (int, frac) = plain.split_once('.').unwrap_or((&plain, ""));
    let all = format!("{int}{frac}");
    let leading = all.len() - all.trim_start_matches('0').len();
    let shortest = all.trim_matches('0');
    // x = 0.digits × 10^n
    let n = int.len() as i64 - leading as i64;
    let k = shortest.len() as i64;
    // Of the k-digit strings that read back as x, ECMAScript takes the one
    // closest to x (ties to even); `{}` may take the other on a tie, so x
    // rounded exactly to k digits is preferred when it reads back too.
    let rounded = format!("{:.*e}", shortest.len().saturating_sub(1), x.abs());
    let exact: String = rounded
        .split('e')
        .next()
        .unwrap_or_default()
        .replace('.', "");
    let digits = if rounded.parse::<f64>() == Ok(x.abs()) && exact.len() == shortest.len() {
        exact
    } else {
        shortest.to_string()
    };
    let digits = digits.as_str();
    let sign = if x < 0.0 { "-" } else { "" };
    let text = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..])
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let rest = if k > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        format!("{}{rest}e{:+}", &digits[..1], n - 1)
    };
    format!("{sign}{text}")
}

/// `hash(n)` of one event given `hash(n-1)`, by its chain version.
pub fn event_hash(previous: &[u8], e: &EventRow) -> [u8; 32] {
    let (tag, form): (&[u8], fn(&Value) -> String) = match e.chain_version {
        1 => (b"casetrail-event-v1", canonical),
        2 => (b"casetrail-event-v2", jcs),
        other => panic!("chain version {other} is not in the spec"),
    };
    let mut m = Vec::new();
    framed(&mut m, tag);
    framed(&mut m, previous);
    framed(&mut m, e.aggregate_type.as_bytes());
    framed(&mut m, e.aggregate_id.as_bytes());
    m.extend_from_slice(&e.sequence.to_be_bytes());
    framed(&mut m, e.event_type.as_bytes());
    framed(&mut m, e.event_version.as_bytes());
    framed(&mut m, form(&e.payload).as_bytes());
    framed(&mut m, form(&e.metadata).as_bytes());
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
        "SELECT sequence, event_type, event_version, payload, metadata, recorded_at, chain_version \
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
            chain_version: r.get("chain_version"),
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
    fn jcs_follows_rfc_8785() {
        // The numbers as Rust literals: serde_json's default float parser
        // reads 333333333.33333329 as the double next to it.
        let mut v: Value = serde_json::from_str(
            r#"{"numbers": [],
                "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                "literals": [null, true, false], "\ud83d\ude02": 1, "\ufb33": 2}"#,
        )
        .expect("json");
        v["numbers"] = serde_json::json!([
            333_333_333.333_333_3_f64, // the double RFC 8785 writes 333333333.33333329
            1E30_f64,
            4.50_f64,
            2e-3_f64,
            1e-27_f64
        ]);
        assert_eq!(
            jcs(&v),
            "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\
             \"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\",\"\u{1f602}\":1,\"\u{fb33}\":2}"
        );
        for (bits, text) in [
            (0x8000_0000_0000_0001_u64, "-5e-324"),
            (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x444b_1ae4_d6e2_ef50, "1e+21"),
            (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"),
            (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
            (0xbecb_f647_612f_3696, "-0.0000033333333333333333"),
            (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
        ] {
            assert_eq!(es_number(f64::from_bits(bits)), text, "{bits:x}");
        }
    }

    #[test]
    fn merkle_root_of_nothing_is_the_hash_of_nothing() {
        assert_eq!(
            hex::encode(merkle_root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
