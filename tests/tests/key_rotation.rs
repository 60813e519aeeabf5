//! Rotating the master key re-wraps every data key: personal data reads the
//! same under the new key, and the old key opens nothing.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{client, post_graphql, token, TestDatabase};
use casetrail_tests::process::ServerProcess;
use domain::values::Role;
use serde_json::json;

#[tokio::test]
async fn after_rotation_the_new_master_key_reads_personal_data_and_the_old_one_does_not() {
    let db = TestDatabase::create().await;
    let binary = env!("CARGO_BIN_EXE_casetrail");
    let old_key = "07".repeat(32);
    let new_key = "2a".repeat(32);
    let http = client();
    let counsellor = token(Role::Counsellor);
    let mut before = ServerProcess::start(binary, &db.url, &[("CASETRAIL_MASTER_KEY", &old_key)]);
    let opened = post_graphql(&http, &before.address, Some(&counsellor), &open_case_doc(),
        json!({"input": {"openedAt": ago(10), "region": "NORTHWEST", "persons": [{"role": "VICTIM", "gender": "FEMALE", "fullName": "Rotation Test"}]}})).await;
    let case = id_of(opened.data("openCase"));
    before.kill();

    let rotated = std::process::Command::new(binary)
        .args(["rotate-master-key", "--database-url", &db.url])
        .env("CASETRAIL_MASTER_KEY", &old_key)
        .env("CASETRAIL_NEW_MASTER_KEY", &new_key)
        .output()
        .expect("rotation runs");
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(String::from_utf8_lossy(&rotated.stderr).contains("re-wrapped 1 data keys"));

    let after = ServerProcess::start(binary, &db.url, &[("CASETRAIL_MASTER_KEY", &new_key)]);
    let read = post_graphql(
        &http,
        &after.address,
        Some(&counsellor),
        &case_doc(),
        json!({"id": case}),
    )
    .await;
    assert_eq!(read.data("case")["persons"][0]["fullName"], "Rotation Test");

    let stale = ServerProcess::start(binary, &db.url, &[("CASETRAIL_MASTER_KEY", &old_key)]);
    let refused = post_graphql(
        &http,
        &stale.address,
        Some(&counsellor),
        &case_doc(),
        json!({"id": case}),
    )
    .await;
    assert_eq!(refused.code(), Some("INTERNAL"), "{}", refused.body);
    assert!(!refused.body.to_string().contains("Rotation Test"));
}
