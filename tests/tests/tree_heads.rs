//! Signed tree heads of the transparency log through the `casetrail`
//! binary: consistency between heads, the witness that keeps them and fails
//! loudly on a split view, a shrunk log or a rewritten past, inclusion
//! proofs on the command line, and the `merkle_leaves` model itself
//! (insert-only for the server, the same leaves after a rebuild, and the
//! root an independent RFC 9162 computation over the events gives).

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use domain::values::Role;
use sha2::{Digest, Sha256};
use store::transparency::proofs::InclusionProof;
use store::transparency::TreeHead;

const BIN: &str = env!("CARGO_BIN_EXE_casetrail");

use casetrail_tests::evidence::*;

#[tokio::test]
async fn later_heads_extend_earlier_ones_and_a_fork_shrink_or_rewrite_fails_loudly() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let first_case = a_case(&app, &counsellor).await;
    a_case(&app, &counsellor).await;
    caught_up(&app.db.owner().await).await;
    let dir = temp_dir();
    let keep = dir.join("kept");
    let (f1, h1) = tree_head(BIN, &app, &dir, "h1.json").await;
    assert!(h1.size >= 2, "{h1:?}");
    a_referral(&app, &counsellor, first_case, "CRIMINAL_POLICE").await;
    a_case(&app, &counsellor).await;
    caught_up(&app.db.owner().await).await;
    let (f2, h2) = tree_head(BIN, &app, &dir, "h2.json").await;
    assert!(h2.size > h1.size, "{h1:?} {h2:?}");

    let url = app.db.url.clone();
    let consistent = casetrail(
        BIN,
        &[
            "audit",
            "consistency",
            path(&f1),
            path(&f2),
            "--database-url",
            &url,
        ],
    )
    .await;
    assert_eq!(consistent.code, Some(0), "{consistent:?}");
    assert!(
        consistent.stdout.starts_with("consistent:"),
        "{consistent:?}"
    );
    let witness = |head: std::path::PathBuf| {
        let (keep, url) = (keep.clone(), url.clone());
        async move {
            casetrail(
                BIN,
                &[
                    "audit",
                    "witness",
                    "--keep",
                    path(&keep),
                    "--tree-head",
                    path(&head),
                    "--database-url",
                    &url,
                ],
            )
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
    let inclusion = casetrail(
        BIN,
        &[
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
        ],
    )
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
    let split = casetrail(
        BIN,
        &[
            "audit",
            "consistency",
            path(&f2),
            path(&forged),
            "--database-url",
            &url,
        ],
    )
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
    let (f3, _) = tree_head(BIN, &app, &dir, "h3.json").await;
    let rewritten = casetrail(
        BIN,
        &[
            "audit",
            "consistency",
            path(&f2),
            path(&f3),
            "--database-url",
            &url,
        ],
    )
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
    let truncated = casetrail(
        BIN,
        &[
            "audit",
            "consistency",
            path(&f1),
            path(&f2),
            "--database-url",
            &url,
        ],
    )
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
    let (_, head) = tree_head(BIN, &app, &dir, "head.json").await;

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
    let rebuilt = casetrail(
        BIN,
        &[
            "projections",
            "rebuild",
            "merkle_log",
            "--database-url",
            &app.db.url,
        ],
    )
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
