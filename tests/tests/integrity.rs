//! Tamper evidence through the `casetrail` binary: `verify` recomputes every
//! chain, `checkpoint` signs every stream's head, and `verify --checkpoint`
//! proves the log still extends what was signed, so even a rewrite with
//! recomputed hashes, a truncation or a deleted stream is caught. The
//! independent implementation (written from docs/FORMATS.md) agrees with
//! the server on every hash and on the checkpoint's root and signature.

use casetrail_tests::audit::*;
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use casetrail_tests::independent;
use domain::values::Role;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{json, Value};
use uuid::Uuid;

async fn casetrail(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_binary(env!("CARGO_BIN_EXE_casetrail"), args, env).await
}

/// Runs `casetrail checkpoint` against the app's database into a temporary file.
async fn take_checkpoint(app: &TestApp, dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join(format!("checkpoint-{}.json", Uuid::new_v4().simple()));
    let run = casetrail(
        &[
            "checkpoint",
            "--database-url",
            &app.db.url,
            "--out",
            file.to_str().expect("utf-8 path"),
        ],
        &[("CASETRAIL_CHECKPOINT_KEY", CHECKPOINT_SEED)],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    file
}

async fn verify_with(app: &TestApp, checkpoint: &std::path::Path) -> Run {
    casetrail(
        &[
            "verify",
            "--database-url",
            &app.db.url,
            "--checkpoint",
            checkpoint.to_str().expect("utf-8"),
        ],
        &[("CASETRAIL_CHECKPOINT_PUBLIC_KEY", &checkpoint_public_key())],
    )
    .await
}

async fn verify_chains(app: &TestApp) -> Run {
    casetrail(&["verify", "--database-url", &app.db.url], &[]).await
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("casetrail-integrity-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

async fn head_sequence(app: &TestApp, kind: &str, id: Uuid) -> i64 {
    *sequences(&app.db.owner().await, kind, id)
        .await
        .last()
        .expect("the stream has events")
}

#[tokio::test]
async fn a_checkpoint_round_trips_survives_appends_and_catches_a_rewrite_with_recomputed_hashes() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let cases = [
        a_case(&app, &counsellor).await,
        a_case(&app, &counsellor).await,
        a_case(&app, &counsellor).await,
    ];
    let dir = temp_dir();
    let file = take_checkpoint(&app, &dir).await;

    let run = verify_with(&app, &file).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("the log extends it"), "{}", run.stdout);
    assert!(
        !run.stderr.contains("WARNING"),
        "a pinned key gives no warning: {}",
        run.stderr
    );

    // Later events, in an old stream and in new ones, extend the checkpoint.
    a_referral(&app, &counsellor, cases[0], "CRIMINAL_POLICE").await;
    a_case(&app, &counsellor).await;
    let run = verify_with(&app, &file).await;
    assert_eq!(run.code, Some(0), "appends are not failures: {run:?}");

    // Without a pinned key it still checks, but warns the auditor loudly.
    let unpinned = casetrail(
        &[
            "verify",
            "--database-url",
            &app.db.url,
            "--checkpoint",
            file.to_str().expect("utf-8"),
        ],
        &[],
    )
    .await;
    assert_eq!(unpinned.code, Some(0), "{unpinned:?}");
    assert!(
        unpinned.stderr.contains("WARNING") && unpinned.stderr.contains("pin"),
        "{}",
        unpinned.stderr
    );

    // Someone with full access rewrites case 2's opening and recomputes its chain.
    let victim = cases[1];
    let owner = app.db.owner().await;
    let mut tx = superuser_tx(&owner).await;
    sqlx::query(
        "UPDATE events SET payload = jsonb_set(payload, '{CaseOpened,exploitation_types}', '[\"OTHER\"]') \
         WHERE aggregate_type = 'Case' AND aggregate_id = $1 AND sequence = 1",
    )
    .bind(victim.to_string())
    .execute(&mut *tx)
    .await
    .expect("rewrite");
    independent::rechain_stream(&mut tx, "Case", &victim.to_string()).await;
    tx.commit().await.expect("commit");

    let chains_only = verify_chains(&app).await;
    assert_eq!(
        chains_only.code,
        Some(0),
        "recomputed chains verify on their own: {chains_only:?}"
    );
    let run = verify_with(&app, &file).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    let head = head_sequence(&app, "Case", victim).await;
    assert!(
        run.stdout
            .contains(&format!("FAIL Case {victim} sequence {head}")),
        "names the rewritten stream at its signed head: {}",
        run.stdout
    );
    assert_eq!(run.stdout.matches("FAIL ").count(), 1, "{}", run.stdout);
    assert!(run.stderr.contains("FAILED"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_truncated_or_vanished_stream_fails_the_checkpoint_though_every_chain_verifies() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let (truncated, kept) = (
        a_case(&app, &counsellor).await,
        a_case(&app, &counsellor).await,
    );
    let vanished = a_call(&app, &counsellor).await;
    let dir = temp_dir();
    let file = take_checkpoint(&app, &dir).await;
    let last = head_sequence(&app, "Case", truncated).await;
    assert!(last >= 2, "the case has more than its opening");

    let owner = app.db.owner().await;
    let mut tx = superuser_tx(&owner).await;
    sqlx::query(
        "DELETE FROM events WHERE aggregate_type = 'Case' AND aggregate_id = $1 AND sequence = $2",
    )
    .bind(truncated.to_string())
    .bind(last)
    .execute(&mut *tx)
    .await
    .expect("delete the last event");
    sqlx::query("DELETE FROM events WHERE aggregate_type = 'Call' AND aggregate_id = $1")
        .bind(vanished.to_string())
        .execute(&mut *tx)
        .await
        .expect("delete a stream");
    tx.commit().await.expect("commit");

    let chains_only = verify_chains(&app).await;
    assert_eq!(
        chains_only.code,
        Some(0),
        "what is left still chains: {chains_only:?}"
    );
    let run = verify_with(&app, &file).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("FAIL Case {truncated} sequence {last}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("FAIL Call {vanished} sequence 1")),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains(&kept.to_string()),
        "the intact case is not blamed: {}",
        run.stdout
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_checkpoint_from_another_key_or_edited_by_hand_is_refused() {
    let app = spawn_app().await;
    a_case(&app, &token(Role::Counsellor)).await;
    let dir = temp_dir();
    let file = take_checkpoint(&app, &dir).await;

    let stranger = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[42; 32])
            .verifying_key()
            .as_bytes(),
    );
    let run = casetrail(
        &[
            "verify",
            "--database-url",
            &app.db.url,
            "--checkpoint",
            file.to_str().expect("utf-8"),
            "--public-key",
            &stranger,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("INVALID"), "{}", run.stdout);

    // Editing a head in the file to match a rewritten log breaks the root.
    let mut json: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    json["heads"][0]["hash"] = json!(hex::encode([1u8; 32]));
    std::fs::write(&file, json.to_string()).expect("write");
    let run = verify_with(&app, &file).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stdout.contains("Merkle root"), "{}", run.stdout);

    // The development key is refused in production.
    let refused = casetrail(
        &["checkpoint", "--database-url", &app.db.url],
        &[("CASETRAIL_ENV", "production")],
    )
    .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("CASETRAIL_CHECKPOINT_KEY is required"),
        "{}",
        refused.stderr
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn verify_exits_1_naming_stream_and_sequence_after_a_superuser_edit() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let (clean, edited) = (
        a_case(&app, &counsellor).await,
        a_case(&app, &counsellor).await,
    );
    let run = verify_chains(&app).await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains(": OK"), "{}", run.stdout);

    let owner = app.db.owner().await;
    let mut tx = superuser_tx(&owner).await;
    sqlx::query(
        "UPDATE events SET payload = jsonb_set(payload, '{PersonAttached,birth_year}', '1990') \
         WHERE aggregate_type = 'Case' AND aggregate_id = $1 AND event_type = 'PersonAttached'",
    )
    .bind(edited.to_string())
    .execute(&mut *tx)
    .await
    .expect("tamper");
    tx.commit().await.expect("commit");
    let sequence: i64 = sqlx::query_scalar(
        "SELECT sequence FROM events WHERE aggregate_type = 'Case' AND aggregate_id = $1 AND event_type = 'PersonAttached'",
    )
    .bind(edited.to_string())
    .fetch_one(&owner)
    .await
    .expect("the edited event");

    let run = verify_chains(&app).await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("FAIL Case {edited} sequence {sequence}")),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains(&clean.to_string()), "{}", run.stdout);
    assert!(
        !run.stdout.contains("1990"),
        "the report quotes no payload: {}",
        run.stdout
    );
}

#[tokio::test]
async fn an_independent_implementation_agrees_with_every_stored_hash_and_the_signed_checkpoint() {
    let app = spawn_app().await;
    for _ in 0..2 {
        a_realistic_case(&app).await;
    }
    let dir = temp_dir();
    let file = take_checkpoint(&app, &dir).await;
    let checkpoint: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");

    let rows = independent::all_rows(&app.db.owner().await).await;
    assert!(rows.len() >= 30, "a realistic log: {} events", rows.len());
    let kinds: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.event_type.as_str()).collect();
    assert!(kinds.len() >= 10, "most event types occur: {kinds:?}");
    assert!(
        rows.iter()
            .any(|r| independent::canonical(&r.metadata).contains("\\\"Hoa\\\" \\\\ ca\\tđêm")),
        "escaping and non-ASCII are exercised"
    );
    let mut previous = (String::new(), String::new(), independent::GENESIS.to_vec());
    for row in &rows {
        if (previous.0.as_str(), previous.1.as_str())
            != (row.aggregate_type.as_str(), row.aggregate_id.as_str())
        {
            previous = (
                row.aggregate_type.clone(),
                row.aggregate_id.clone(),
                independent::GENESIS.to_vec(),
            );
        }
        let hash = independent::event_hash(&previous.2, row);
        assert_eq!(
            hex::encode(hash),
            hex::encode(&row.hash),
            "{} {} sequence {} ({})",
            row.aggregate_type,
            row.aggregate_id,
            row.sequence,
            row.event_type
        );
        previous.2 = hash.to_vec();
    }

    // The checkpoint: its position, heads, root and signature, all recomputed from the rows.
    let position = checkpoint["position"].as_i64().expect("position");
    assert_eq!(
        position,
        rows.iter().map(|r| r.position).max().expect("rows")
    );
    let heads = independent::heads(&rows);
    assert_eq!(checkpoint["streams"].as_u64(), Some(heads.len() as u64));
    let root = independent::merkle_root(&heads);
    assert_eq!(checkpoint["merkle_root"], json!(hex::encode(root)));
    let created_at = checkpoint["created_at"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .expect("created_at")
        .with_timezone(&chrono::Utc);
    let message = independent::checkpoint_message(position, created_at, heads.len() as u64, &root);
    let key_bytes: [u8; 32] = hex::decode(checkpoint_public_key())
        .expect("hex")
        .try_into()
        .expect("32");
    let signature: [u8; 64] = hex::decode(checkpoint["signature"].as_str().expect("signature"))
        .expect("hex")
        .try_into()
        .expect("64 bytes");
    VerifyingKey::from_bytes(&key_bytes)
        .expect("a key")
        .verify_strict(&message, &Signature::from_bytes(&signature))
        .expect("the signature verifies over the independently built message");
    let _ = std::fs::remove_dir_all(dir);
}
