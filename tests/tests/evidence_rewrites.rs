//! Someone with full access to the database rewrites a case's history and
//! recomputes every hash, so that each chain verifies again: a changed
//! payload, changed metadata, two events swapped, one deleted from the
//! middle, the last one cut off. Both lines of defence must catch each:
//!
//! 1. an evidence bundle taken afterwards is unsound (Rust and Python
//!    verifiers alike): its last event is not the one the log signed;
//! 2. if the attacker also rebuilds the transparency log from the rewritten
//!    events (and more events follow), a bundle against a head signed
//!    afterwards is sound again (the log proves itself), but the
//!    consistency proof from a head signed before fails (REWRITTEN PAST)
//!    and a witness holding that head refuses the new one.

use casetrail_tests::audit::*;
use casetrail_tests::bundles::{bundle_of, temp_dir, verify_both};
use casetrail_tests::evidence::{casetrail, path, rebuild_transparency_log, tree_head_of, witness};
use casetrail_tests::harness::TestDatabase;
use casetrail_tests::independent::rechain_stream;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_casetrail");

#[derive(Clone, Copy, Debug)]
enum Rewrite {
    Payload,
    Metadata,
    Order,
    Deletion,
    Truncation,
}

const WHERE: &str = "WHERE aggregate_type = 'Case' AND aggregate_id = $1";

/// Applies the rewrite to CASE's stream of `last` events and recomputes its chain.
async fn rewrite(db: &TestDatabase, case: &str, last: i64, how: Rewrite) {
    let owner = db.owner().await;
    let mut tx = superuser_tx(&owner).await;
    let statements: Vec<String> = match how {
        Rewrite::Payload => vec![format!(
            "UPDATE events SET payload = jsonb_set(payload, '{{forged}}', 'true') {WHERE} AND sequence = 2"
        )],
        Rewrite::Metadata => vec![format!(
            "UPDATE events SET metadata = jsonb_set(metadata, '{{actor}}', '\"someone else\"') {WHERE} AND sequence = 1"
        )],
        Rewrite::Order => vec![
            format!("UPDATE events SET sequence = 1000 {WHERE} AND sequence = 2"),
            format!("UPDATE events SET sequence = 2 {WHERE} AND sequence = 3"),
            format!("UPDATE events SET sequence = 3 {WHERE} AND sequence = 1000"),
        ],
        Rewrite::Deletion => vec![
            format!("DELETE FROM events {WHERE} AND sequence = 2"),
            format!("UPDATE events SET sequence = sequence - 1 {WHERE} AND sequence > 2"),
        ],
        Rewrite::Truncation => vec![format!("DELETE FROM events {WHERE} AND sequence = {last}")],
    };
    for sql in statements {
        sqlx::query(&sql)
            .bind(case)
            .execute(&mut *tx)
            .await
            .expect("rewrite");
    }
    rechain_stream(&mut tx, "Case", case).await;
    tx.commit().await.expect("commit");
    owner.close().await;
}

#[tokio::test]
async fn every_rewrite_with_recomputed_hashes_fails_the_bundle_and_the_consistency_proof() {
    let template = TestDatabase::create().await;
    let owner = template.owner().await;
    seed_through_the_store(&owner).await;
    let (case, last): (String, i64) = sqlx::query_as(
        "SELECT aggregate_id, max(sequence) FROM events WHERE aggregate_type = 'Case' \
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
    )
    .fetch_one(&owner)
    .await
    .expect("the longest case");
    owner.close().await;
    assert!(last >= 4, "room to rewrite: {last} events");
    let case_id = Uuid::parse_str(&case).expect("a case id");
    rebuild_transparency_log(BIN, &template.url).await;
    let dir = temp_dir("rewrites");
    let (before, head_before) = tree_head_of(BIN, &template.url, &dir, "before.json").await;
    assert_eq!(
        verify_both(
            BIN,
            &bundle_of(BIN, &template.url, case_id, &dir).await,
            &dir
        )
        .await,
        (Some(0), "sound".into())
    );

    for how in [
        Rewrite::Payload,
        Rewrite::Metadata,
        Rewrite::Order,
        Rewrite::Deletion,
        Rewrite::Truncation,
    ] {
        let db = copy_database(&template).await;
        rewrite(&db, &case, last, how).await;
        let integrity = casetrail(BIN, &["verify", "--database-url", &db.url]).await;
        assert_eq!(
            integrity.code,
            Some(0),
            "{how:?}: every chain verifies again: {integrity:?}"
        );

        let (code, verdict) =
            verify_both(BIN, &bundle_of(BIN, &db.url, case_id, &dir).await, &dir).await;
        assert_eq!(code, Some(1), "{how:?}: {verdict}");
        assert!(
            verdict.starts_with("first bad event: #"),
            "{how:?}: {verdict}"
        );

        // The attacker covers their tracks: more events, a rebuilt log, a new head.
        let owner = db.owner().await;
        seed_through_the_store(&owner).await;
        owner.close().await;
        rebuild_transparency_log(BIN, &db.url).await;
        let (after, head_after) = tree_head_of(BIN, &db.url, &dir, &format!("{how:?}.json")).await;
        assert!(head_after.size > head_before.size, "{how:?}: the log grew");
        assert_eq!(
            verify_both(BIN, &bundle_of(BIN, &db.url, case_id, &dir).await, &dir).await,
            (Some(0), "sound".into()),
            "{how:?}: against the new head alone the rewritten stream proves itself"
        );
        let consistency = casetrail(
            BIN,
            &[
                "audit",
                "consistency",
                path(&before),
                path(&after),
                "--database-url",
                &db.url,
            ],
        )
        .await;
        assert_eq!(consistency.code, Some(1), "{how:?}: {consistency:?}");
        assert!(
            consistency.stderr.contains("REWRITTEN PAST"),
            "{how:?}: {consistency:?}"
        );

        let keep = dir.join(format!("kept-{how:?}"));
        assert_eq!(
            witness(BIN, &keep, &before, &db.url).await.code,
            Some(0),
            "{how:?}: the old head is kept"
        );
        let refused = witness(BIN, &keep, &after, &db.url).await;
        assert_eq!(refused.code, Some(1), "{how:?}: {refused:?}");
        assert!(
            refused.stderr.contains("REWRITTEN PAST"),
            "{how:?}: {refused:?}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
