//! Evidence bundles in the suites (evidence.rs, evidence_rewrites.rs):
//! written by `casetrail audit bundle`, judged by both verifiers, and
//! rewritten as someone who recomputes the chain would.

use chrono::DateTime;
use serde_json::Value;
use store::hash::{chain_hash, ChainVersion, ChainedFields, GENESIS};
use uuid::Uuid;

use crate::audit::{checkpoint_public_key, run_binary, CHECKPOINT_SEED};

/// The independent verifier, Python's standard library only.
pub const VERIFIER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/verify_bundle.py");

/// The bundle of CASE from the database at `url`, with the suites'
/// checkpoint key; asserts that no personal data is in clear in it.
pub async fn bundle_of(binary: &str, url: &str, case: Uuid, dir: &std::path::Path) -> Value {
    let file = dir.join(format!("bundle-{case}-{}.json", Uuid::new_v4().simple()));
    let run = run_binary(
        binary,
        &[
            "audit",
            "bundle",
            "--case",
            &case.to_string(),
            "--out",
            file.to_str().expect("utf-8"),
            "--database-url",
            url,
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
pub fn verdict(stdout: &str) -> String {
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
pub async fn verify_both(
    binary: &str,
    bundle: &Value,
    dir: &std::path::Path,
) -> (Option<i32>, String) {
    let file = dir.join(format!("candidate-{}.json", Uuid::new_v4().simple()));
    std::fs::write(&file, serde_json::to_string_pretty(bundle).expect("json")).expect("write");
    let path = file.to_str().expect("utf-8");
    let key = checkpoint_public_key();
    let rust = run_binary(
        binary,
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

pub fn events(bundle: &mut Value) -> &mut Vec<Value> {
    bundle["events"].as_array_mut().expect("events")
}

/// Recomputes every chain hash of the bundle from genesis, each event by
/// its own chain version, as someone who rewrote the stream would.
pub fn rechain(bundle: &mut Value) {
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
                version: ChainVersion::from_number(event["chain_version"].as_i64().unwrap_or(1))
                    .expect("a known chain version"),
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

pub fn temp_dir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("casetrail-{prefix}-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
