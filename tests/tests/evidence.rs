//! Evidence bundles end to end: `casetrail audit bundle` writes a case's
//! stream (personal data sealed) with the inclusion proof of its last event
//! in a signed tree head; `casetrail audit verify` (Rust, offline) and
//! `scripts/verify_bundle.py` (Python standard library only) must agree on
//! every bundle, sound or tampered: exit code and the first bad event.

use casetrail_tests::audit::*;
use casetrail_tests::bundles::{self, events, rechain};
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use casetrail_tests::independent;
use domain::values::Role;
use serde_json::Value;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_casetrail");

async fn bundle_of(app: &TestApp, case: Uuid, dir: &std::path::Path) -> Value {
    bundles::bundle_of(BIN, &app.db.url, case, dir).await
}

async fn verify_both(bundle: &Value, dir: &std::path::Path) -> (Option<i32>, String) {
    bundles::verify_both(BIN, bundle, dir).await
}

fn temp_dir() -> std::path::PathBuf {
    bundles::temp_dir("evidence")
}

/// Changes the first string found in `value` (depth first); false if none.
fn alter_first_string(value: &mut Value) -> bool {
    match value {
        Value::String(s) => {
            s.push('!');
            true
        }
        Value::Array(items) => items.iter_mut().any(alter_first_string),
        Value::Object(map) => map.values_mut().any(alter_first_string),
        _ => false,
    }
}

#[tokio::test]
async fn every_tamper_of_a_bundle_is_caught_by_rust_and_python_alike() {
    let app = spawn_app().await;
    let case = a_realistic_case(&app).await;
    a_case(&app, &token(Role::Counsellor)).await;
    caught_up(&app.db.owner().await).await;
    let dir = temp_dir();
    let sound = bundle_of(&app, case, &dir).await;
    let n = sound["events"].as_array().map_or(0, Vec::len);
    assert!(n >= 8, "a realistic case has many events: {n}");
    assert!(
        sound["events"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| e["chain_version"] == 2),
        "new events are hashed by chain version 2 (RFC 8785)"
    );
    assert_eq!(verify_both(&sound, &dir).await, (Some(0), "sound".into()));

    let at = |i: usize| format!("first bad event: #{i} (sequence {})", i + 1);
    let mut cases: Vec<(&str, Value, String)> = Vec::new();
    let mut b = sound.clone();
    assert!(alter_first_string(&mut events(&mut b)[3]["payload"]));
    cases.push(("a payload byte", b, at(3)));
    let mut b = sound.clone();
    assert!(alter_first_string(&mut events(&mut b)[2]["metadata"]));
    cases.push(("metadata", b, at(2)));
    let mut b = sound.clone();
    events(&mut b)[4]["recorded_at_us"] =
        (sound["events"][4]["recorded_at_us"].as_i64().unwrap_or(0) + 1).into();
    cases.push(("the recording time", b, at(4)));
    let mut b = sound.clone();
    events(&mut b).swap(1, 2);
    cases.push(("order", b, "first bad event: #1 (sequence 3)".into()));
    let mut b = sound.clone();
    events(&mut b).remove(2);
    cases.push((
        "a deleted event",
        b,
        "first bad event: #2 (sequence 4)".into(),
    ));
    let mut b = sound.clone();
    events(&mut b).pop();
    cases.push(("truncation", b, at(n - 2)));
    let mut b = sound.clone();
    assert!(alter_first_string(&mut events(&mut b)[1]["payload"]));
    rechain(&mut b);
    cases.push(("a rewrite with recomputed hashes", b, at(n - 1)));
    let mut b = sound.clone();
    b["inclusion"]["path"][0] = Value::String(hex::encode([7u8; 32]));
    cases.push(("the inclusion proof", b, at(n - 1)));
    let mut b = sound.clone();
    b["inclusion"]["leaf_index"] =
        (sound["inclusion"]["leaf_index"].as_u64().unwrap_or(0) + 1).into();
    cases.push(("the leaf index", b, at(n - 1)));
    let mut b = sound.clone();
    b["tree_head"]["size"] = (sound["tree_head"]["size"].as_u64().unwrap_or(0) + 1).into();
    cases.push(("the tree head's size", b, "bad bundle".into()));
    let mut b = sound.clone();
    b["tree_head"]["root"] = Value::String(hex::encode([1u8; 32]));
    cases.push(("the tree head's root", b, "bad bundle".into()));
    let mut b = sound.clone();
    b["events"][0]
        .as_object_mut()
        .map(|e| e.remove("recorded_at_us"));
    cases.push(("a missing field", b, "bad bundle".into()));
    for (what, version, at_event) in [
        ("a chain version lowered to 1", Some(Value::from(1)), 3),
        ("an unknown chain version", Some(Value::from(7)), 5),
        ("a chain version left out (read as 1)", None, 6),
    ] {
        let mut b = sound.clone();
        let event = events(&mut b)[at_event].as_object_mut().expect("an event");
        match version {
            Some(v) => event.insert("chain_version".into(), v),
            None => event.remove("chain_version"),
        };
        cases.push((what, b, at(at_event)));
    }
    let mut b = sound.clone();
    events(&mut b)[2]["chain_version"] = Value::String("2".into());
    cases.push((
        "a chain version that is not a number",
        b,
        "bad bundle".into(),
    ));
    for (what, bundle, expected) in cases {
        let (code, found) = verify_both(&bundle, &dir).await;
        assert_eq!((code, found), (Some(1), expected), "tampered {what}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// xorshift64*: a reproducible stream of choices without a dependency.
struct Choices(u64);

impl Choices {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

#[tokio::test]
async fn rust_and_python_agree_on_random_bundles() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let mut cases = vec![a_realistic_case(&app).await];
    for _ in 0..2 {
        let case = a_case(&app, &counsellor).await;
        a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
        cases.push(case);
    }
    let owner = app.db.owner().await;
    caught_up(&owner).await;
    // A log begun before chain version 2: the second case's first two
    // events and all of the third's as a casetrail before it recorded them.
    older_chain_version(&owner, cases[1], 2).await;
    older_chain_version(&owner, cases[2], i64::MAX).await;
    casetrail_tests::evidence::rebuild_transparency_log(BIN, &app.db.url).await;
    let dir = temp_dir();
    let mut bundles = Vec::new();
    for case in &cases {
        bundles.push(bundle_of(&app, *case, &dir).await);
    }
    let versions = |b: &Value| -> Vec<i64> {
        b["events"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["chain_version"].as_i64().unwrap_or(0))
            .collect()
    };
    assert!(versions(&bundles[0]).iter().all(|v| *v == 2));
    assert_eq!(
        versions(&bundles[1])[..3],
        [1, 1, 2],
        "a stream of both versions"
    );
    assert!(versions(&bundles[2]).iter().all(|v| *v == 1));
    // A bundle written before chain version 2 existed has no chain_version at all.
    let mut before_v2 = bundles[2].clone();
    for event in events(&mut before_v2) {
        event.as_object_mut().map(|e| e.remove("chain_version"));
    }
    for bundle in [&bundles[0], &bundles[1], &bundles[2], &before_v2] {
        assert_eq!(verify_both(bundle, &dir).await, (Some(0), "sound".into()));
    }
    let seed = 0x005e_ed0f_ca5e_u64;
    let mut choose = Choices(seed);
    for round in 0..40 {
        let mut bundle = bundles[choose.below(bundles.len())].clone();
        let n = events(&mut bundle).len();
        let i = choose.below(n);
        let kind = choose.below(10);
        match kind {
            0 => {}
            1 => {
                alter_first_string(&mut events(&mut bundle)[i]["payload"]);
            }
            2 => {
                alter_first_string(&mut events(&mut bundle)[i]["metadata"]);
            }
            3 => events(&mut bundle)[i]["event_version"] = Value::String("9.9".into()),
            4 => {
                events(&mut bundle).swap(i, (i + 1) % n);
            }
            5 => {
                events(&mut bundle).remove(i);
            }
            6 => {
                alter_first_string(&mut events(&mut bundle)[i]["payload"]);
                rechain(&mut bundle);
            }
            7 => {
                let flipped = 3 - events(&mut bundle)[i]["chain_version"]
                    .as_i64()
                    .unwrap_or(1);
                events(&mut bundle)[i]["chain_version"] = flipped.into();
            }
            8 => {
                events(&mut bundle)[i]
                    .as_object_mut()
                    .map(|e| e.remove("chain_version"));
            }
            _ => events(&mut bundle)[i]["hash"] = Value::String(hex::encode([i as u8; 32])),
        }
        // Sound exactly when it says what one of the bundles says (an
        // absent chain version says 1).
        let changed = !bundles.iter().any(|b| as_read(b) == as_read(&bundle));
        let (code, found) = verify_both(&bundle, &dir).await;
        assert_eq!(
            code,
            Some(if changed { 1 } else { 0 }),
            "seed {seed:#x} round {round} kind {kind} event {i}: {found}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// The bundle as a verifier reads it: an absent chain version is 1.
fn as_read(bundle: &Value) -> Value {
    let mut read = bundle.clone();
    for event in events(&mut read) {
        if let Some(e) = event.as_object_mut() {
            e.entry("chain_version").or_insert(1.into());
        }
    }
    read
}

/// Makes the first `first` events of CASE's stream chain version 1, as a
/// casetrail before version 2 recorded them, and rechains the stream
/// (version 2 after them), through the superuser's back door.
async fn older_chain_version(owner: &sqlx::PgPool, case: Uuid, first: i64) {
    let mut tx = superuser_tx(owner).await;
    sqlx::query(
        "UPDATE events SET chain_version = 1 \
         WHERE aggregate_type = 'Case' AND aggregate_id = $1 AND sequence <= $2",
    )
    .bind(case.to_string())
    .bind(first)
    .execute(&mut *tx)
    .await
    .expect("older events");
    independent::rechain_stream(&mut tx, "Case", &case.to_string()).await;
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn a_stream_rewritten_in_the_database_with_recomputed_hashes_yields_an_unsound_bundle() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    caught_up(&app.db.owner().await).await;
    let dir = temp_dir();
    assert_eq!(
        verify_both(&bundle_of(&app, case, &dir).await, &dir).await,
        (Some(0), "sound".into())
    );
    let owner = app.db.owner().await;
    let mut tx = superuser_tx(&owner).await;
    sqlx::query(
        "UPDATE events SET payload = jsonb_set(payload, '{CaseOpened,exploitation_types}', '[\"OTHER\"]') \
         WHERE aggregate_type = 'Case' AND aggregate_id = $1 AND sequence = 1",
    )
    .bind(case.to_string())
    .execute(&mut *tx)
    .await
    .expect("rewrite");
    independent::rechain_stream(&mut tx, "Case", &case.to_string()).await;
    tx.commit().await.expect("commit");
    let rewritten = bundle_of(&app, case, &dir).await;
    let last = rewritten["events"].as_array().map_or(0, Vec::len) - 1;
    assert_eq!(
        verify_both(&rewritten, &dir).await,
        (
            Some(1),
            format!("first bad event: #{last} (sequence {})", last + 1)
        ),
        "the chain recomputes, but its head is not the event the log signed"
    );
    let _ = std::fs::remove_dir_all(dir);
}
