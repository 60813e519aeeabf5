//! The transparency log over GraphQL, for the AUDITOR: the root the
//! projection holds, inclusion and consistency proofs that check against a
//! tree head signed by `casetrail checkpoint --tree-head`, and clear errors
//! for sizes and events the log does not hold.

use casetrail_tests::evidence::*;
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use domain::values::Role;
use store::transparency::proofs::InclusionProof;

const BIN: &str = env!("CARGO_BIN_EXE_casetrail");

#[tokio::test]
async fn an_auditor_gets_proofs_over_graphql_that_check_against_the_signed_head() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    a_case(&app, &counsellor).await;
    caught_up(&app.db.owner().await).await;
    let dir = temp_dir();
    let (_, head) = tree_head(BIN, &app, &dir, "head.json").await;
    let auditor = token(Role::Auditor);

    let log = app
        .gql(
            &auditor,
            "{ transparencyLog { size rootHash } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(log.data("transparencyLog")["size"], head.size);
    assert_eq!(log.data("transparencyLog")["rootHash"], head.root.as_str());

    let answer = app
        .gql(
            &auditor,
            "query($id: UUID!, $n: Int!) { inclusionProof(caseId: $id, sequence: 2, treeSize: $n) \
             { sequence chainHash leafIndex treeSize rootHash path } }",
            serde_json::json!({"id": case, "n": head.size}),
        )
        .await;
    let node = answer.data("inclusionProof");
    assert_eq!(node["rootHash"], head.root.as_str());
    let proof = InclusionProof {
        stream_type: "Case".into(),
        stream_id: case.to_string(),
        sequence: node["sequence"].as_i64().unwrap_or_default(),
        chain_hash: node["chainHash"].as_str().unwrap_or_default().into(),
        leaf_index: node["leafIndex"].as_u64().unwrap_or(u64::MAX),
        tree_size: node["treeSize"].as_u64().unwrap_or_default(),
        path: serde_json::from_value(node["path"].clone()).expect("hex list"),
    };
    assert_eq!(proof.verify(&head, &signer().verifying_key()), Ok(()));

    let old = head.size - 2;
    let answer = app
        .gql(
            &auditor,
            "query($o: Int!, $n: Int!) { consistencyProof(oldSize: $o, newSize: $n) \
             { oldRootHash newRootHash path } }",
            serde_json::json!({"o": old, "n": head.size}),
        )
        .await;
    let node = answer.data("consistencyProof");
    let hash = |v: &serde_json::Value| {
        store::transparency::parse_hash("hash", v.as_str().unwrap_or_default())
    };
    let path: Vec<[u8; 32]> = node["path"]
        .as_array()
        .map(|a| a.iter().filter_map(|h| hash(h).ok()).collect())
        .unwrap_or_default();
    assert_eq!(node["newRootHash"], head.root.as_str());
    assert!(store::transparency::merkle::verify_consistency(
        old,
        head.size,
        &hash(&node["oldRootHash"]).expect("old root"),
        &hash(&node["newRootHash"]).expect("new root"),
        &path,
    ));

    for (doc, code) in [
        ("{ inclusionProof(caseId: \"00000000-0000-0000-0000-000000000001\", sequence: 1, treeSize: 1000000) { path } }", "BAD_USER_INPUT"),
        ("{ inclusionProof(caseId: \"00000000-0000-0000-0000-000000000001\", sequence: 1, treeSize: 1) { path } }", "NOT_FOUND"),
        ("{ inclusionProof(caseId: \"00000000-0000-0000-0000-000000000001\", sequence: 0, treeSize: 1) { path } }", "BAD_USER_INPUT"),
        ("{ consistencyProof(oldSize: 3, newSize: 2) { path } }", "BAD_USER_INPUT"),
        ("{ consistencyProof(oldSize: -1, newSize: 2) { path } }", "BAD_USER_INPUT"),
        ("{ consistencyProof(oldSize: 1, newSize: 2147483647) { path } }", "BAD_USER_INPUT"),
    ] {
        let answer = app.gql(&auditor, doc, serde_json::json!({})).await;
        assert_eq!(answer.code(), Some(code), "{doc}: {}", answer.body);
    }
    let _ = std::fs::remove_dir_all(dir);
}
