//! Property: any single tamper with the stored log, done as the database
//! superuser, is detected at the right stream and sequence: a changed byte
//! of an event's payload, metadata, type, version or recording time; a
//! deleted event; two events of a stream swapped; a forged event inserted
//! (with a valid hash, as a careful attacker would). `store::integrity::verify`
//! names the place; deleting a stream's *last* event leaves a valid chain,
//! and a checkpoint taken before the tamper is what names it then. The
//! checkpoint check fails for every tamper, and only ever at that stream.
//!
//! Each case runs on its own copy of one seeded database (`CREATE DATABASE
//! … TEMPLATE`), so the cases are cheap and independent.

use casetrail_tests::audit::{copy_database, seed_through_the_store, superuser_tx};
use casetrail_tests::harness::TestDatabase;
use casetrail_tests::independent::{self, EventRow};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use store::checkpoint::{self, Checkpoint, SigningKey};
use store::integrity::{verify, Scope};

/// A choice among however many there turn out to be (`pick % len`), so
/// that fixed cases can be written as well as generated.
type Pick = usize;

fn pick(choice: Pick, len: usize) -> usize {
    choice % len
}

#[derive(Clone, Copy, Debug)]
enum Field {
    Payload,
    Metadata,
    EventType,
    EventVersion,
    RecordedAt,
}

#[derive(Clone, Copy, Debug)]
enum Tamper {
    Byte {
        event: Pick,
        field: Field,
        at: Pick,
        xor: u8,
    },
    Delete {
        event: Pick,
    },
    Swap {
        stream: Pick,
        a: Pick,
        b: Pick,
    },
    Insert {
        stream: Pick,
        at: Pick,
    },
}

fn tampers() -> impl Strategy<Value = Tamper> {
    let field = prop_oneof![
        Just(Field::Payload),
        Just(Field::Metadata),
        Just(Field::EventType),
        Just(Field::EventVersion),
        Just(Field::RecordedAt),
    ];
    prop_oneof![
        3 => (any::<Pick>(), field, any::<Pick>(), 1u8..=255)
            .prop_map(|(event, field, at, xor)| Tamper::Byte { event, field, at, xor }),
        1 => any::<Pick>().prop_map(|event| Tamper::Delete { event }),
        1 => (any::<Pick>(), any::<Pick>(), any::<Pick>()).prop_map(|(stream, a, b)| Tamper::Swap { stream, a, b }),
        1 => (any::<Pick>(), any::<Pick>()).prop_map(|(stream, at)| Tamper::Insert { stream, at }),
    ]
}

/// The seeded template: its events by stream, and a checkpoint of it.
struct Seeded {
    template: TestDatabase,
    streams: Vec<Vec<EventRow>>,
    checkpoint: Checkpoint,
    key: SigningKey,
}

/// The template: the store-level log of `audit::seed_through_the_store`.
async fn seed() -> Seeded {
    let template = TestDatabase::create().await;
    let pool = template.as_app_role().await;
    seed_through_the_store(&pool).await;
    pool.close().await;
    let owner = template.owner().await;
    let key = SigningKey::from_bytes(&[5; 32]);
    let checkpoint = checkpoint::create(&owner, &key).await.expect("checkpoint");
    let mut streams: Vec<Vec<EventRow>> = Vec::new();
    for row in independent::all_rows(&owner).await {
        match streams.last_mut() {
            Some(s) if s[0].aggregate_id == row.aggregate_id => s.push(row),
            _ => streams.push(vec![row]),
        }
    }
    owner.close().await;
    Seeded {
        template,
        streams,
        checkpoint,
        key,
    }
}

/// `text` with one ASCII letter or digit changed (inside a JSON string when `json`).
fn flip_one(text: &str, at: Pick, json: bool) -> String {
    let mut candidates = Vec::new();
    let (mut inside, mut escaped) = (!json, false);
    for (i, b) in text.bytes().enumerate() {
        if !inside {
            inside = b == b'"';
        } else if escaped {
            escaped = false;
        } else if json && b == b'\\' {
            escaped = true;
        } else if json && b == b'"' {
            inside = false;
        } else if b.is_ascii_alphanumeric() {
            candidates.push(i);
        }
    }
    assert!(!candidates.is_empty(), "something to change in {text}");
    let mut bytes = text.as_bytes().to_vec();
    let i = candidates[pick(at, candidates.len())];
    bytes[i] = match bytes[i] {
        b'z' => b'a',
        b'Z' => b'A',
        b'9' => b'0',
        b => b + 1,
    };
    String::from_utf8(bytes).expect("ASCII for ASCII keeps UTF-8")
}

/// `value`'s canonical text with one letter or digit of a string changed.
fn flip_json(value: &serde_json::Value, at: Pick) -> serde_json::Value {
    serde_json::from_str(&flip_one(&independent::canonical(value), at, true)).expect("still JSON")
}

enum NewValue {
    Json(serde_json::Value),
    Text(String),
    Time(DateTime<Utc>),
}

const WHERE: &str = "WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3";

/// Applies the tamper; returns the stream, and where `verify` must report
/// (`None`: the chain stays valid and only a checkpoint can tell).
async fn apply(seeded: &Seeded, tamper: &Tamper, owner: &sqlx::PgPool) -> (String, Option<Expect>) {
    let all: Vec<&EventRow> = seeded.streams.iter().flatten().collect();
    let mut tx = superuser_tx(owner).await;
    let (stream, expect) = match *tamper {
        Tamper::Byte {
            event,
            field,
            at,
            xor,
        } => {
            let e = all[pick(event, all.len())];
            let (column, value) = match field {
                Field::Payload => ("payload", NewValue::Json(flip_json(&e.payload, at))),
                Field::Metadata => ("metadata", NewValue::Json(flip_json(&e.metadata, at))),
                Field::EventType => (
                    "event_type",
                    NewValue::Text(flip_one(&e.event_type, at, false)),
                ),
                Field::EventVersion => (
                    "event_version",
                    NewValue::Text(flip_one(&e.event_version, at, false)),
                ),
                Field::RecordedAt => {
                    // One byte of the low five of the big-endian microseconds.
                    let shift = 8 * pick(at, 5) as u32;
                    let micros = e.recorded_at.timestamp_micros() ^ (i64::from(xor) << shift);
                    let when = DateTime::<Utc>::from_timestamp_micros(micros).expect("in range");
                    ("recorded_at", NewValue::Time(when))
                }
            };
            let sql = format!("UPDATE events SET {column} = $4 {WHERE}");
            let query = sqlx::query(&sql)
                .bind(&e.aggregate_type)
                .bind(&e.aggregate_id)
                .bind(e.sequence);
            match value {
                NewValue::Json(v) => query.bind(v),
                NewValue::Text(t) => query.bind(t),
                NewValue::Time(t) => query.bind(t),
            }
            .execute(&mut *tx)
            .await
            .expect("tamper");
            (e.aggregate_id.clone(), Some(Expect::Exactly(e.sequence)))
        }
        Tamper::Delete { event } => {
            let e = all[pick(event, all.len())];
            sqlx::query(&format!("DELETE FROM events {WHERE}"))
                .bind(&e.aggregate_type)
                .bind(&e.aggregate_id)
                .bind(e.sequence)
                .execute(&mut *tx)
                .await
                .expect("delete");
            let last = seeded
                .streams
                .iter()
                .find(|s| s[0].aggregate_id == e.aggregate_id)
                .map_or(0, |s| s.len() as i64);
            (
                e.aggregate_id.clone(),
                (e.sequence < last).then_some(Expect::Exactly(e.sequence + 1)),
            )
        }
        Tamper::Swap { stream, a, b } => {
            let s = &seeded.streams[pick(stream, seeded.streams.len())];
            // Two distinct 0-based places, then as sequences i < j.
            let x = pick(a, s.len());
            let mut y = pick(b, s.len() - 1);
            if y >= x {
                y += 1;
            }
            let (i, j) = (x.min(y) as i64 + 1, x.max(y) as i64 + 1);
            for (from, to) in [(i, 1_000_000), (j, i), (1_000_000, j)] {
                sqlx::query(&format!("UPDATE events SET sequence = $4 {WHERE}"))
                    .bind(&s[0].aggregate_type)
                    .bind(&s[0].aggregate_id)
                    .bind(from)
                    .bind(to)
                    .execute(&mut *tx)
                    .await
                    .expect("swap");
            }
            (s[0].aggregate_id.clone(), Some(Expect::FirstAtAlso(i, j)))
        }
        Tamper::Insert { stream, at } => {
            let s = &seeded.streams[pick(stream, seeded.streams.len())];
            let k = pick(at, s.len());
            for shift in ["sequence + 1000000", "sequence - 999999"] {
                sqlx::query(&format!(
                    "UPDATE events SET sequence = {shift} WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence >= $3"
                ))
                .bind(&s[0].aggregate_type).bind(&s[0].aggregate_id).bind(if shift.contains('+') { k as i64 + 1 } else { 1_000_000 })
                .execute(&mut *tx).await.expect("make room");
            }
            // A forged copy of the event at k, one microsecond later, correctly chained.
            let mut forged = s[k].clone();
            forged.recorded_at += Duration::microseconds(1);
            let previous = if k == 0 {
                independent::GENESIS.to_vec()
            } else {
                s[k - 1].hash.clone()
            };
            forged.hash = independent::event_hash(&previous, &forged).to_vec();
            sqlx::query(
                "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at, hash, chain_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&forged.aggregate_type).bind(&forged.aggregate_id).bind(forged.sequence).bind(&forged.event_type)
            .bind(&forged.event_version).bind(&forged.payload).bind(&forged.metadata).bind(forged.recorded_at).bind(&forged.hash)
            .bind(forged.chain_version)
            .execute(&mut *tx).await.expect("insert");
            (
                s[0].aggregate_id.clone(),
                Some(Expect::FirstAtAlso(
                    forged.sequence + 1,
                    forged.sequence + 1,
                )),
            )
        }
    };
    tx.commit().await.expect("commit");
    (stream, expect)
}

/// Where `verify` must report, within the tampered stream.
#[derive(Debug)]
enum Expect {
    /// Every failure at this sequence.
    Exactly(i64),
    /// The first failure at the first sequence, and one at the second too.
    FirstAtAlso(i64, i64),
}

async fn check(seeded: &Seeded, tamper: Tamper) {
    let db = copy_database(&seeded.template).await;
    let owner = db.owner().await;
    let (stream, expect) = apply(seeded, &tamper, &owner).await;
    let report = verify(&owner, &Scope::default())
        .await
        .expect("verify runs");
    assert!(
        report.failures.iter().all(|f| f.stream_id == stream),
        "{tamper:?}: only the tampered stream: {report:?}"
    );
    let sequences: Vec<i64> = report.failures.iter().map(|f| f.sequence).collect();
    match expect {
        Some(Expect::Exactly(at)) => {
            assert!(
                !sequences.is_empty() && sequences.iter().all(|&s| s == at),
                "{tamper:?}: expected {at}, got {report:?}"
            )
        }
        Some(Expect::FirstAtAlso(first, also)) => {
            assert_eq!(
                sequences.iter().min(),
                Some(&first),
                "{tamper:?}: {report:?}"
            );
            assert!(sequences.contains(&also), "{tamper:?}: {report:?}");
        }
        None => assert!(
            report.ok(),
            "{tamper:?}: a truncated chain still verifies on its own"
        ),
    }
    let against = checkpoint::verify_against_checkpoint(
        &owner,
        &seeded.checkpoint,
        &seeded.key.verifying_key(),
    )
    .await
    .expect("checkpoint check runs");
    assert!(against.invalid.is_none(), "{against:?}");
    assert!(
        !against.failures.is_empty(),
        "{tamper:?}: the checkpoint catches it"
    );
    assert!(
        against.failures.iter().all(|f| f.stream_id == stream),
        "{tamper:?}: {against:?}"
    );
    owner.close().await;
}

/// One of every kind, every field, and both kinds of deletion, whatever
/// the random cases happen to draw.
fn fixed_cases(seeded: &Seeded) -> Vec<Tamper> {
    let first_len = seeded.streams[0].len();
    let mut cases: Vec<Tamper> = [
        Field::Payload,
        Field::Metadata,
        Field::EventType,
        Field::EventVersion,
        Field::RecordedAt,
    ]
    .into_iter()
    .map(|field| Tamper::Byte {
        event: 1,
        field,
        at: 3,
        xor: 1,
    })
    .collect();
    cases.push(Tamper::Delete { event: 0 });
    cases.push(Tamper::Delete {
        event: first_len - 1,
    });
    cases.push(Tamper::Swap {
        stream: 0,
        a: 0,
        b: first_len - 2,
    });
    cases.push(Tamper::Insert { stream: 1, at: 1 });
    cases
}

#[test]
fn any_single_tamper_is_detected_at_its_stream_and_sequence() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let seeded = rt.block_on(seed());
    assert!(seeded.streams.len() >= 7 && seeded.streams.iter().all(|s| s.len() >= 2));
    let untouched = rt.block_on(async {
        let db = copy_database(&seeded.template).await;
        let owner = db.owner().await;
        let ok = checkpoint::verify_against_checkpoint(
            &owner,
            &seeded.checkpoint,
            &seeded.key.verifying_key(),
        )
        .await
        .expect("runs");
        owner.close().await;
        ok
    });
    assert!(untouched.ok(), "an untouched copy verifies: {untouched:?}");
    for tamper in fixed_cases(&seeded) {
        rt.block_on(check(&seeded, tamper));
    }
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&tampers(), |tamper| {
            rt.block_on(check(&seeded, tamper));
            Ok(())
        })
        .expect("every tamper is detected where it happened");
}
