//! Rotating the master key while servers run: every data key records which
//! master key wrapped it, servers hold the current and the previous key, and
//! `rotate-master-key` re-wraps whatever is not under the current one, as
//! often as needed. A data key under a master key a server does not hold
//! makes that person read as "[unavailable]", never a failed read.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{client, post_graphql, token, TestDatabase};
use casetrail_tests::process::ServerProcess;
use domain::values::Role;
use serde_json::json;
use store::vault::MasterKey;
use uuid::Uuid;

const BINARY: &str = env!("CARGO_BIN_EXE_casetrail");

/// Runs `casetrail rotate-master-key`: whether it succeeded, and what it said.
fn rotate(db_url: &str, current: &str, previous: Option<&str>) -> (bool, String) {
    let mut command = std::process::Command::new(BINARY);
    command
        .args(["rotate-master-key", "--database-url", db_url])
        .env("CASETRAIL_MASTER_KEY", current)
        .env_remove("CASETRAIL_PREVIOUS_MASTER_KEY");
    if let Some(previous) = previous {
        command.env("CASETRAIL_PREVIOUS_MASTER_KEY", previous);
    }
    let out = command.output().expect("rotation runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn key_id(hex_key: &str) -> Vec<u8> {
    let raw: [u8; 32] = hex::decode(hex_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .expect("a 32-byte key");
    MasterKey::new(raw).id().to_vec()
}

/// Opens a case with one named person; returns the case id.
async fn case_with(http: &reqwest::Client, server: &ServerProcess, name: &str) -> Uuid {
    let opened = post_graphql(http, &server.address, Some(&token(Role::Counsellor)), &open_case_doc(),
        json!({"input": {"openedAt": ago(10), "region": "NORTHWEST", "persons": [{"role": "VICTIM", "gender": "FEMALE", "fullName": name}]}})).await;
    id_of(opened.data("openCase"))
}

async fn names(http: &reqwest::Client, server: &ServerProcess, case: Uuid) -> Vec<String> {
    let read = post_graphql(
        http,
        &server.address,
        Some(&token(Role::Counsellor)),
        &case_doc(),
        json!({"id": case}),
    )
    .await;
    read.data("case")["persons"]
        .as_array()
        .expect("persons")
        .iter()
        .map(|p| p["fullName"].as_str().unwrap_or("<null>").to_string())
        .collect()
}

async fn metric(http: &reqwest::Client, server: &ServerProcess, line: &str) -> u64 {
    casetrail_tests::harness::metric_value(http, &server.address, line).await
}

#[tokio::test]
async fn after_rotation_the_new_master_key_reads_personal_data_and_a_server_with_only_the_old_one_reads_it_as_unavailable(
) {
    let db = TestDatabase::create().await;
    let (old_key, new_key) = ("07".repeat(32), "2a".repeat(32));
    let http = client();
    let mut before = ServerProcess::start(BINARY, &db.url, &[("CASETRAIL_MASTER_KEY", &old_key)]);
    let case = case_with(&http, &before, "Rotation Test").await;
    before.kill();

    let (ok, said) = rotate(&db.url, &new_key, Some(&old_key));
    assert!(ok, "{said}");
    assert!(said.contains("re-wrapped 1 data keys"), "{said}");
    // Re-runnable: nothing left to move.
    let (ok, said) = rotate(&db.url, &new_key, Some(&old_key));
    assert!(ok && said.contains("re-wrapped 0 data keys"), "{said}");

    let after = ServerProcess::start(BINARY, &db.url, &[("CASETRAIL_MASTER_KEY", &new_key)]);
    assert_eq!(names(&http, &after, case).await, ["Rotation Test"]);

    let stale = ServerProcess::start(BINARY, &db.url, &[("CASETRAIL_MASTER_KEY", &old_key)]);
    assert_eq!(names(&http, &stale, case).await, ["[unavailable]"]);
    let unreadable = "casetrail_vault_unreadable_total{what=\"data_key\"} ";
    assert_eq!(metric(&http, &stale, unreadable).await, 1);
    assert!(!stale.log().contains("Rotation Test"));
    assert!(stale.log().contains("a data key cannot be unwrapped"));
}

/// The documented procedure under load: a server still on the OLD key keeps
/// writing while servers on NEW (with OLD as previous) write and the re-wrap
/// runs; it even creates a key after the re-wrap. A rerun moves that one, and
/// after a restart with only the NEW key every person reads.
#[tokio::test]
async fn rotating_during_concurrent_writes_then_restarting_with_only_the_new_key_loses_no_one() {
    let guard = Duration::from_secs(240);
    tokio::time::timeout(guard, rotation_under_load())
        .await
        .expect("the rotation under load finished (a hang is a failure)");
}

async fn rotation_under_load() {
    let db = TestDatabase::create().await;
    let (old_key, new_key) = ("5c".repeat(32), "a3".repeat(32));
    let http = client();
    let lagging = Arc::new(ServerProcess::start(
        BINARY,
        &db.url,
        &[("CASETRAIL_MASTER_KEY", &old_key)],
    ));
    let deployed = Arc::new(ServerProcess::start(
        BINARY,
        &db.url,
        &[
            ("CASETRAIL_MASTER_KEY", &new_key),
            ("CASETRAIL_PREVIOUS_MASTER_KEY", &old_key),
        ],
    ));
    let mut written = Vec::new();
    for i in 0..5 {
        let name = format!("Before {i}");
        written.push((case_with(&http, &lagging, &name).await, name));
    }

    let stop = Arc::new(AtomicBool::new(false));
    // Cases each writer has recorded: the rotation starts once both are writing.
    let recorded = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
    let writers: Vec<_> = [Arc::clone(&lagging), Arc::clone(&deployed)]
        .into_iter()
        .enumerate()
        .map(|(w, server)| {
            let (stop, http) = (Arc::clone(&stop), http.clone());
            let recorded = Arc::clone(&recorded);
            tokio::spawn(async move {
                let mut mine = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) || i < 5 {
                    let name = format!("Writer {w} person {i}");
                    mine.push((case_with(&http, &server, &name).await, name));
                    recorded[w].fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
                mine
            })
        })
        .collect();
    let writing = tokio::time::timeout(Duration::from_secs(60), async {
        while recorded.iter().any(|n| n.load(Ordering::Relaxed) < 2) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        writing.is_ok(),
        "both writers record cases before the rotation"
    );
    let url = db.url.clone();
    let (old, new) = (old_key.clone(), new_key.clone());
    let during = tokio::task::spawn_blocking(move || rotate(&url, &new, Some(&old)))
        .await
        .expect("rotation ran");
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        written.extend(writer.await.expect("writer finished"));
    }
    assert!(
        during.1.contains("re-wrapped"),
        "the first run reports: {}",
        during.1
    );

    // The race the procedure must survive: a key created under OLD after the re-wrap.
    let late = case_with(&http, &lagging, "After the re-wrap").await;
    written.push((late, "After the re-wrap".to_string()));
    drop(lagging); // the last server on OLD is restarted with NEW (+ OLD as previous)

    let (ok, said) = rotate(&db.url, &new_key, Some(&old_key));
    assert!(ok, "the rerun finishes the rotation: {said}");
    assert!(!said.contains("re-wrapped 0 data keys"), "{said}");
    let owner = db.owner().await;
    let not_current: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM data_keys WHERE wrapped_key IS NOT NULL \
         AND master_key_id IS DISTINCT FROM $1",
    )
    .bind(key_id(&new_key))
    .fetch_one(&owner)
    .await
    .expect("count");
    assert_eq!(not_current, 0);
    drop(deployed);

    // Previous key dropped everywhere.
    let only_new = ServerProcess::start(BINARY, &db.url, &[("CASETRAIL_MASTER_KEY", &new_key)]);
    assert!(written.len() > 10, "{} cases written", written.len());
    for (case, name) in &written {
        assert_eq!(names(&http, &only_new, *case).await, [name.as_str()]);
    }
    let unreadable = "casetrail_vault_unreadable_total{what=\"data_key\"} ";
    assert_eq!(metric(&http, &only_new, unreadable).await, 0);
}

/// One data key under a master key this server does not hold (a server
/// started with a wrong key wrote it): that person reads "[unavailable]",
/// logged and counted; the other person of the same case reads normally.
#[tokio::test]
async fn a_data_key_under_an_unknown_master_key_makes_one_person_unavailable_not_the_whole_read() {
    let db = TestDatabase::create().await;
    let (wrong_key, right_key) = ("e1".repeat(32), "3b".repeat(32));
    let http = client();
    let wrong = ServerProcess::start(BINARY, &db.url, &[("CASETRAIL_MASTER_KEY", &wrong_key)]);
    let case = case_with(&http, &wrong, "Wrong Key Person").await;
    drop(wrong);

    let right = ServerProcess::start(BINARY, &db.url, &[("CASETRAIL_MASTER_KEY", &right_key)]);
    let attach = "mutation($input: AttachPersonInput!) { attachPerson(input: $input) { id } }";
    post_graphql(&http, &right.address, Some(&token(Role::Counsellor)), attach,
        json!({"input": {"caseId": case, "person": {"role": "ACCOMPANYING_MINOR", "gender": "MALE", "fullName": "Readable Person"}}}))
        .await
        .data("attachPerson");

    let unreadable = "casetrail_vault_unreadable_total{what=\"data_key\"} ";
    let before = metric(&http, &right, unreadable).await;
    let read = post_graphql(
        &http,
        &right.address,
        Some(&token(Role::Counsellor)),
        &case_doc(),
        json!({"id": case}),
    )
    .await;
    assert_eq!(metric(&http, &right, unreadable).await, before + 1);
    let persons = read.data("case")["persons"].clone();
    assert_eq!(persons[0]["fullName"], "[unavailable]");
    assert_eq!(persons[0]["erased"], false);
    assert_eq!(persons[1]["fullName"], "Readable Person");
    let log = right.log();
    assert!(log.contains("a data key cannot be unwrapped"), "{log}");
    assert!(log.contains(&hex::encode(key_id(&wrong_key))));
    assert!(!log.contains("Wrong Key Person"));

    // Rotation cannot move that key and says so: the previous key must not be dropped.
    let (ok, said) = rotate(&db.url, &right_key, None);
    assert!(!ok, "{said}");
    assert!(
        said.contains("1 data keys are still under another master key"),
        "{said}"
    );
}
