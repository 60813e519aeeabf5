//! Evidence bundles end to end: `casetrail audit bundle` writes a case's
//! stream (personal data sealed) with the inclusion proof of its last event
//! in a signed tree head; `casetrail audit verify` (Rust, offline) and
//! `scripts/verify_bundle.py` (Python standard library only) must agree on
//! every bundle, sound or tampered: exit code and the first bad event.

use casetrail_tests::audit::*;
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use casetrail_tests::independent;
use chrono::DateTime;
use domain::values::Role;
use serde_json::Value;
use store::hash::{chain_hash, ChainedFields, GENESIS};
use uuid::Uuid;

const VERIFIER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/verify_bundle.py");

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("casetrail-evidence-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

async fn bundle_of(app: &TestApp, case: Uuid, dir: &std::path::Path) -> Value {
    let file = dir.join(format!("bundle-{case}.json"));
    let run = run_binary(
        env!("CARGO_BIN_EXE_casetrail"),
        &[
            "audit",
            "bundle",
            "--case",
            &case.to_string(),
            "--out",
            file.to_str().expect("utf-8"),
            "--database-url",
            &app.db.url,
        ],
        &[("CASETRAIL_CHECKPOINT_KEY", CHECKPOINT_SEED)],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    let text = std::fs::read_to_string(&file).expect("bundle written");
    for clear in ["Nguyễn Thị Hoa", "+84 912 345 678", "912 345"] {
        assert!(
            !text.contains(clear),
            "personal data in clear in the bundle"
        );
    }
    serde_json::from_str(&text).expect("a JSON bundle")
}

/// The verdict both verifiers print, cut to what must be equal: `sound`,
/// `bad bundle`, or `first bad event: #I (sequence S)`.
fn verdict(stdout: &str) -> String {
    let line = stdout.lines().next().unwrap_or_default();
    if line.starts_with("sound:") {
        "sound".into()
    } else if line.starts_with("bad bundle:") {
        "bad bundle".into()
    } else if let (true, Some(end)) = (line.starts_with("first bad event: #"), line.find("):")) {
        line[..=end].to_string()
    } else {
        format!("unrecognised: {line}")
    }
}

/// Runs both verifiers on a bundle; asserts they agree and returns (exit code, verdict).
async fn verify_both(bundle: &Value, dir: &std::path::Path) -> (Option<i32>, String) {
    let file = dir.join(format!("candidate-{}.json", Uuid::new_v4().simple()));
    std::fs::write(&file, serde_json::to_string_pretty(bundle).expect("json")).expect("write");
    let path = file.to_str().expect("utf-8");
    let key = checkpoint_public_key();
    let rust = run_binary(
        env!("CARGO_BIN_EXE_casetrail"),
        &["audit", "verify", path, "--public-key", &key],
        &[],
    )
    .await;
    let python = run_binary("python3", &[VERIFIER, path, "--public-key", &key], &[]).await;
    assert_eq!(
        rust.code, python.code,
        "exit codes differ:\n{rust:?}\n{python:?}"
    );
    assert_eq!(
        verdict(&rust.stdout),
        verdict(&python.stdout),
        "verdicts differ:\n{rust:?}\n{python:?}"
    );
    let _ = std::fs::remove_file(&file);
    (rust.code, verdict(&rust.stdout))
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

fn events(bundle: &mut Value) -> &mut Vec<Value> {
    bundle["events"].as_array_mut().expect("events")
}

/// Recomputes every chain hash of the bundle from genesis, as someone who
/// rewrote the stream would.
fn rechain(bundle: &mut Value) {
    let stream_type = bundle["stream_type"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let stream_id = bundle["stream_id"].as_str().unwrap_or_default().to_string();
    let mut previous = GENESIS;
    for event in events(bundle) {
        let hash = chain_hash(
            &previous,
            &ChainedFields {
                aggregate_type: &stream_type,
                aggregate_id: &stream_id,
                sequence: event["sequence"].as_i64().unwrap_or_default(),
                event_type: event["event_type"].as_str().unwrap_or_default(),
                event_version: event["event_version"].as_str().unwrap_or_default(),
                payload: &event["payload"],
                metadata: &event["metadata"],
                recorded_at: DateTime::from_timestamp_micros(
                    event["recorded_at_us"].as_i64().unwrap_or_default(),
                )
                .unwrap_or_default(),
            },
        );
        event["hash"] = Value::String(hex::encode(hash));
        previous = hash;
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
    caught_up(&app.db.owner().await).await;
    let dir = temp_dir();
    let mut bundles = Vec::new();
    for case in &cases {
        bundles.push(bundle_of(&app, *case, &dir).await);
    }
    let seed = 0x005e_ed0f_ca5e_u64;
    let mut choose = Choices(seed);
    for round in 0..24 {
        let mut bundle = bundles[choose.below(bundles.len())].clone();
        let n = events(&mut bundle).len();
        let i = choose.below(n);
        let kind = choose.below(8);
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
            _ => events(&mut bundle)[i]["hash"] = Value::String(hex::encode([i as u8; 32])),
        }
        let changed = !bundles.contains(&bundle);
        let (code, found) = verify_both(&bundle, &dir).await;
        assert_eq!(
            code,
            Some(if changed { 1 } else { 0 }),
            "seed {seed:#x} round {round} kind {kind} event {i}: {found}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
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
