//! Signed tree heads of the transparency log through the `casetrail`
//! binary: consistency between heads, the witness that keeps them and fails
//! loudly on a split view, a shrunk log or a rewritten past, inclusion
//! proofs on the command line, and the `merkle_leaves` model itself
//! (insert-only for the server, the same leaves after a rebuild, and the
//! root an independent RFC 9162 computation over the events gives).

use casetrail_tests::audit::*;
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use sha2::{Digest, Sha256};
use store::transparency::proofs::InclusionProof;
use store::transparency::TreeHead;
use uuid::Uuid;

async fn casetrail(args: &[&str]) -> Run {
    run_binary(
        env!("CARGO_BIN_EXE_casetrail"),
        args,
        &[
            ("CASETRAIL_CHECKPOINT_KEY", CHECKPOINT_SEED),
            ("CASETRAIL_CHECKPOINT_PUBLIC_KEY", &checkpoint_public_key()),
        ],
    )
    .await
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("casetrail-heads-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

async fn tree_head(
    app: &TestApp,
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, TreeHead) {
    let file = dir.join(name);
    let run = casetrail(&[
        "checkpoint",
        "--database-url",
        &app.db.url,
        "--tree-head",
        path(&file),
        "--only-tree-head",
    ])
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.trim().is_empty(),
        "no checkpoint with --only-tree-head: {run:?}"
    );
    let head: TreeHead = serde_json::from_str(&std::fs::read_to_string(&file).expect("written"))
        .expect("a tree head");
    (file, head)
}

fn signer() -> store::checkpoint::SigningKey {
    let seed: [u8; 32] = hex::decode(CHECKPOINT_SEED)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    store::checkpoint::SigningKey::from_bytes(&seed)
}

#[tokio::test]
async fn later_heads_extend_earlier_ones_and_a_fork_shrink_or_rewrite_fails_loudly() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let first_case = a_case(&app, &counsellor).await;
    a_case(&app, &counsellor).await;
    caught_up(&app.db.owner().await).await;
    let dir = temp_dir();
    let keep = dir.join("kept");
    let (f1, h1) = tree_head(&app, &dir, "h1.json").await;
    assert!(h1.size >= 2, "{h1:?}");
    a_referral(&app, &counsellor, first_case, "CRIMINAL_POLICE").await;
    a_case(&app, &counsellor).await;
    caught_up(&app.db.owner().await).await;
    let (f2, h2) = tree_head(&app, &dir, "h2.json").await;
    assert!(h2.size > h1.size, "{h1:?} {h2:?}");

    let url = app.db.url.clone();
    let consistent = casetrail(&[
        "audit",
        "consistency",
        path(&f1),
        path(&f2),
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(consistent.code, Some(0), "{consistent:?}");
    assert!(
        consistent.stdout.starts_with("consistent:"),
        "{consistent:?}"
    );
    let witness = |head: std::path::PathBuf| {
        let (keep, url) = (keep.clone(), url.clone());
        async move {
            casetrail(&[
                "audit",
                "witness",
                "--keep",
                path(&keep),
                "--tree-head",
                path(&head),
                "--database-url",
                &url,
            ])
            .await
        }
    };
    for (head, expected) in [(&f1, "kept:"), (&f2, "kept:"), (&f2, "already kept")] {
        let run = witness(head.clone()).await;
        assert_eq!(run.code, Some(0), "{run:?}");
        assert!(run.stdout.starts_with(expected), "{run:?}");
    }
    let replayed = witness(f1.clone()).await;
    assert_eq!(replayed.code, Some(1), "{replayed:?}");
    assert!(replayed.stderr.contains("shrank"), "{replayed:?}");

    // The inclusion proof of the first case's opening, against the signed h2.
    let inclusion = casetrail(&[
        "audit",
        "inclusion",
        "--case",
        &first_case.to_string(),
        "--sequence",
        "1",
        "--tree-head",
        path(&f2),
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(inclusion.code, Some(0), "{inclusion:?}");
    let proof: InclusionProof = serde_json::from_str(&inclusion.stdout).expect("a proof");
    let trusted = signer().verifying_key();
    assert_eq!(proof.verify(&h2, &trusted), Ok(()));
    let mut moved = proof.clone();
    moved.sequence = 2;
    assert!(moved.verify(&h2, &trusted).is_err());

    // A split view: another root signed for the same size.
    let forged = dir.join("forged.json");
    let fork = TreeHead::sign(h2.size, [9; 32], h2.timestamp, &signer());
    std::fs::write(&forged, serde_json::to_string(&fork).expect("json")).expect("write");
    let split = witness(forged.clone()).await;
    assert_eq!(split.code, Some(1), "{split:?}");
    assert!(split.stderr.contains("SPLIT VIEW"), "{split:?}");
    let split = casetrail(&[
        "audit",
        "consistency",
        path(&f2),
        path(&forged),
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(split.code, Some(1), "{split:?}");
    assert!(split.stderr.contains("SPLIT VIEW"), "{split:?}");

    // Someone with full access rewrites the first leaf, and a new head is signed over it.
    let owner = app.db.owner().await;
    sqlx::query(
        "UPDATE merkle_leaves SET leaf_hash = sha256('forged'::bytea) WHERE leaf_index = 0",
    )
    .execute(&owner)
    .await
    .expect("owner rewrites a leaf");
    a_case(&app, &counsellor).await;
    caught_up(&owner).await;
    let (f3, _) = tree_head(&app, &dir, "h3.json").await;
    let rewritten = casetrail(&[
        "audit",
        "consistency",
        path(&f2),
        path(&f3),
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(rewritten.code, Some(1), "{rewritten:?}");
    assert!(rewritten.stderr.contains("REWRITTEN PAST"), "{rewritten:?}");
    let refused = witness(f3.clone()).await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(refused.stderr.contains("REWRITTEN PAST"), "{refused:?}");
    let kept = std::fs::read_dir(&keep).expect("kept dir").count();
    assert_eq!(kept, 2, "nothing refused is kept");

    // A log cut back below a signed head cannot prove it any more.
    sqlx::query("DELETE FROM merkle_leaves WHERE leaf_index >= $1")
        .bind(i64::try_from(h1.size).unwrap_or(0))
        .execute(&owner)
        .await
        .expect("owner truncates");
    let truncated = casetrail(&[
        "audit",
        "consistency",
        path(&f1),
        path(&f2),
        "--database-url",
        &url,
    ])
    .await;
    assert_eq!(truncated.code, Some(1), "{truncated:?}");
    assert!(truncated.stderr.contains("REWRITTEN PAST"), "{truncated:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// RFC 9162 MTH, written here from the RFC, over leaf hashes.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - (n - 1).leading_zeros() - 1);
            let mut h = Sha256::new();
            h.update([1u8]);
            h.update(mth(&leaves[..k]));
            h.update(mth(&leaves[k..]));
            h.finalize().into()
        }
    }
}

fn f(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).expect("short").to_be_bytes());
    out.extend_from_slice(bytes);
}

#[tokio::test]
async fn the_leaves_are_the_events_in_commit_order_insert_only_and_rebuilt_identically() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    for _ in 0..3 {
        let case = a_case(&app, &counsellor).await;
        a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    }
    a_call(&app, &counsellor).await;
    let owner = app.db.owner().await;
    caught_up(&owner).await;
    let dir = temp_dir();
    let (_, head) = tree_head(&app, &dir, "head.json").await;

    // Independently: every event, in (transaction_id, position) order, as documented leaves.
    let rows: Vec<(String, String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, sequence, hash FROM events ORDER BY transaction_id, position",
    )
    .fetch_all(&owner)
    .await
    .expect("events");
    let leaves: Vec<[u8; 32]> = rows
        .iter()
        .enumerate()
        .map(|(i, (kind, id, sequence, hash))| {
            let mut data = Vec::new();
            f(&mut data, b"casetrail-leaf-v1");
            data.extend_from_slice(&(i as u64).to_be_bytes());
            f(&mut data, kind.as_bytes());
            f(&mut data, id.as_bytes());
            data.extend_from_slice(&sequence.to_be_bytes());
            data.extend_from_slice(hash);
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(&data);
            h.finalize().into()
        })
        .collect();
    assert_eq!(head.size, leaves.len() as u64);
    assert_eq!(head.root, hex::encode(mth(&leaves)));
    assert_eq!(
        head.verify(&signer().verifying_key()).map(hex::encode),
        Ok(head.root.clone())
    );

    let stored = |pool: sqlx::PgPool| async move {
        sqlx::query_as::<_, (i64, Vec<u8>)>(
            "SELECT leaf_index, leaf_hash FROM merkle_leaves ORDER BY leaf_index",
        )
        .fetch_all(&pool)
        .await
        .expect("leaves")
    };
    let before = stored(owner.clone()).await;
    let server = app.db.as_app_role().await;
    let refused_for_the_server = |server: sqlx::PgPool| async move {
        for sql in [
            "UPDATE merkle_leaves SET leaf_hash = leaf_hash",
            "DELETE FROM merkle_leaves",
            "TRUNCATE merkle_leaves",
        ] {
            let err = sqlx::query(sql).execute(&server).await.expect_err(sql);
            let code = err
                .as_database_error()
                .and_then(|e| e.code())
                .map(|c| c.to_string());
            assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
        }
    };
    refused_for_the_server(server.clone()).await;
    let rebuilt = casetrail(&[
        "projections",
        "rebuild",
        "merkle_log",
        "--database-url",
        &app.db.url,
    ])
    .await;
    assert_eq!(rebuilt.code, Some(0), "{rebuilt:?}");
    assert_eq!(
        stored(owner.clone()).await,
        before,
        "a rebuild lays out the same leaves"
    );
    refused_for_the_server(app.db.as_app_role().await).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_auditor_gets_proofs_over_graphql_that_check_against_the_signed_head() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    a_case(&app, &counsellor).await;
    caught_up(&app.db.owner().await).await;
    let dir = temp_dir();
    let (_, head) = tree_head(&app, &dir, "head.json").await;
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
