//! Snapshots decide commands, so they are verified on load: an edited
//! snapshot is discarded (and counted), the decision is taken on the state
//! folded from the events, and the server's role cannot rewrite snapshots.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{
    agency_token, client, post_graphql, spawn_app, start_server, token, TestApp,
};
use domain::values::{Agency, Role};
use serde_json::json;
use uuid::Uuid;

const MISMATCH: &str = "casetrail_snapshots_discarded_total{reason=\"mismatch\"} ";

async fn metric_at(address: &str, line: &str) -> u64 {
    casetrail_tests::harness::metric_value(&client(), address, line).await
}

/// A case with a referral to the criminal police, pushed past its first snapshot.
async fn long_case(app: &TestApp) -> (Uuid, Uuid) {
    let counsellor = token(Role::Counsellor);
    let case = a_case(app, &counsellor).await;
    let referral = a_referral(app, &counsellor, case, "CRIMINAL_POLICE").await;
    let support =
        "mutation($input: ProvideSupportInput!) { provideSupport(input: $input) { version } }";
    let mut version = 0;
    while version < 100 {
        let answer = app
            .gql(
                &counsellor,
                support,
                json!({"input": {"caseId": case, "service": "MEDICAL", "providedAt": ago(60)}}),
            )
            .await;
        version = answer.data("provideSupport")["version"]
            .as_i64()
            .expect("a version");
    }
    (case, referral)
}

#[tokio::test]
async fn an_edited_snapshot_is_discarded_counted_and_the_next_command_decides_on_the_true_state() {
    let app = spawn_app().await;
    let (case, referral) = long_case(&app).await;
    let owner = app.db.owner().await;
    let snapshots: i64 =
        sqlx::query_scalar("SELECT count(*) FROM snapshots WHERE aggregate_id = $1")
            .bind(case.to_string())
            .fetch_one(&owner)
            .await
            .expect("count");
    assert_eq!(snapshots, 1);

    // As the superuser: hand the referral to the border guard in the snapshot only.
    let edited = sqlx::query(
        "UPDATE snapshots SET payload = replace(payload::text, '\"CRIMINAL_POLICE\"', '\"BORDER_GUARD\"')::jsonb \
         WHERE aggregate_id = $1 AND payload::text LIKE '%CRIMINAL_POLICE%'",
    )
    .bind(case.to_string())
    .execute(&owner)
    .await
    .expect("edit");
    assert_eq!(edited.rows_affected(), 1, "the snapshot names the agency");

    // A server that ran the case's commands keeps their committed state in
    // memory (checked against the log's head, never against the snapshot)
    // and would not read the snapshot at all. A server that has not seen the
    // case starts from the newest snapshot: that one must discard the edit.
    let (fresh, server) = start_server(&app.db.url).await;
    let http = client();
    let discarded = metric_at(&fresh, MISMATCH).await;
    let ack = |status: &str| json!({"input": {"caseId": case, "referralId": referral, "status": status, "at": ago(30)}});
    // The edited snapshot would let the border guard act; the events say otherwise.
    let border = post_graphql(
        &http,
        &fresh,
        Some(&agency_token(Agency::BorderGuard)),
        &update_referral_doc(),
        ack("ACKNOWLEDGED"),
    )
    .await;
    assert_eq!(border.code(), Some("FORBIDDEN"), "{}", border.body);
    let police = post_graphql(
        &http,
        &fresh,
        Some(&agency_token(Agency::CriminalPolice)),
        &update_referral_doc(),
        ack("ACKNOWLEDGED"),
    )
    .await;
    assert_eq!(police.data("updateReferral")["agency"], "CRIMINAL_POLICE");
    assert_eq!(police.data("updateReferral")["status"], "ACKNOWLEDGED");
    assert!(metric_at(&fresh, MISMATCH).await > discarded);
    server.abort();

    // The audit query still says the log is sound: the snapshot is not evidence.
    let audit = app
        .gql(
            &token(Role::Auditor),
            "{ verifyIntegrity { ok } }",
            json!({}),
        )
        .await;
    assert_eq!(audit.data("verifyIntegrity")["ok"], true);
}

#[tokio::test]
async fn the_servers_role_can_add_snapshots_but_never_rewrite_or_remove_them() {
    let app = spawn_app().await;
    let (case, _) = long_case(&app).await;
    let server = app.db.as_app_role().await;
    for statement in [
        "UPDATE snapshots SET payload = '{}'::jsonb WHERE aggregate_id = $1",
        "DELETE FROM snapshots WHERE aggregate_id = $1",
    ] {
        let refused = sqlx::query(statement)
            .bind(case.to_string())
            .execute(&server)
            .await
            .expect_err("refused to the server's role");
        let code = refused
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some("42501"), "{statement}: {refused}");
    }
    let truncate = sqlx::query("TRUNCATE snapshots").execute(&server).await;
    assert!(truncate.is_err());
}
