//! Auditors replay a case as the system knew it: the state `caseHistory`
//! folds as of a past instant (or version) is exactly what the API answered
//! then. The case's steps are business days apart; each is recorded in turn.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use chrono::{DateTime, Duration, Utc};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

fn day(n: i64) -> String {
    (Utc::now() - Duration::days(10) + Duration::days(n)).to_rfc3339()
}

#[tokio::test]
async fn history_as_of_each_step_and_up_to_each_version_matches_what_the_api_answered_then() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let auditor = token(Role::Auditor);
    let owner = app.db.owner().await;
    let call = app
        .gql(
            &counsellor,
            &receive_call_doc(),
            json!({"input": {"receivedAt": day(0), "channel": "VOICE", "province": "NGHE_AN",
            "callerType": "RELATIVE_OR_FRIEND", "category": "REFERRAL_REQUEST"}}),
        )
        .await;
    let call = id_of(call.data("receiveCall"));
    let case_id = Uuid::new_v4();
    let referral = Uuid::new_v4();
    let mut seen: Vec<(DateTime<Utc>, Value)> = Vec::new();

    let steps: Vec<(String, String, Value)> = vec![
        (
            counsellor.clone(),
            open_case_doc(),
            json!({"input": {"id": case_id, "fromCallId": call, "openedAt": day(1), "region": "NORTH_CENTRAL"}}),
        ),
        (
            counsellor.clone(),
            send_referral_doc(),
            json!({"input": {"id": referral, "caseId": case_id, "agency": "BORDER_GUARD", "referredAt": day(2), "personsAtRisk": 3, "consent": {"given": true}}}),
        ),
        (
            supervisor.clone(),
            update_referral_doc(),
            json!({"input": {"caseId": case_id, "referralId": referral, "status": "ACKNOWLEDGED", "at": day(3)}}),
        ),
        (
            supervisor.clone(),
            "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { id } }".into(),
            json!({"input": {"caseId": case_id, "referralId": referral, "rescuedAt": day(5), "personsRescued": 2}}),
        ),
        (
            supervisor.clone(),
            "mutation($input: CloseCaseInput!) { closeCase(input: $input) { id } }".into(),
            json!({"input": {"caseId": case_id, "closedAt": day(8), "reason": "all safe"}}),
        ),
    ];
    for (bearer, doc, vars) in steps {
        let answer = app.gql(&bearer, &doc, vars).await;
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
        // What the API answers now, and the database's clock right after.
        let state = app
            .gql(&supervisor, &case_doc(), json!({"id": case_id}))
            .await
            .data("case")
            .clone();
        let now: DateTime<Utc> = sqlx::query_scalar("SELECT clock_timestamp()")
            .fetch_one(&owner)
            .await
            .expect("clock");
        seen.push((now, state));
    }

    let history_doc = format!(
        "query($id: UUID!, $asOf: DateTime, $v: Int) {{ caseHistory(caseId: $id, asOf: $asOf, upToVersion: $v) {{ \
           events {{ sequence eventType actor actorRole recordedAt occurredAt correlationId hash eventVersion position }} \
           state {{ {CASE_FIELDS} }} }} }}"
    );
    for (at, expected) in &seen {
        let history = app
            .gql(
                &supervisor,
                &history_doc,
                json!({"id": case_id, "asOf": at.to_rfc3339()}),
            )
            .await;
        let history = history.data("caseHistory");
        assert_eq!(&history["state"], expected, "as of {at}");
        let version = expected["version"].as_i64().expect("version");
        assert_eq!(
            history["events"].as_array().map(|e| e.len() as i64),
            Some(version)
        );
        let by_version = app
            .gql(
                &supervisor,
                &history_doc,
                json!({"id": case_id, "v": version}),
            )
            .await;
        assert_eq!(
            &by_version.data("caseHistory")["state"],
            expected,
            "up to version {version}"
        );
    }
    // Before anything was recorded there is no case.
    let before = app
        .gql(
            &supervisor,
            &history_doc,
            json!({"id": case_id, "asOf": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(before.data("caseHistory")["state"], Value::Null);

    // Every event's metadata is there, for an auditor too, with personal data redacted.
    let audited = app
        .gql(&auditor, &history_doc, json!({"id": case_id}))
        .await;
    let events = audited.data("caseHistory")["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        events.first().map(|e| e["eventType"].clone()),
        Some(json!("CaseOpened"))
    );
    assert_eq!(
        events.last().map(|e| e["eventType"].clone()),
        Some(json!("CaseClosed"))
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["sequence"], json!(i + 1));
        assert!(e["hash"].as_str().is_some_and(|h| h.len() == 64));
        assert!(e["actor"].as_str().is_some_and(|a| a.starts_with("test-")));
        assert!(e["correlationId"].as_str().is_some());
        assert!(e["position"]
            .as_str()
            .is_some_and(|p| p.parse::<i64>().is_ok()));
    }
    let rescued = events
        .iter()
        .find(|e| e["eventType"] == "RescueRecorded")
        .expect("rescue event");
    assert_eq!(
        rescued["occurredAt"].as_str().map(|s| &s[..10]),
        Some(&day(5)[..10])
    );
    assert_eq!(rescued["actorRole"], "SUPERVISOR");
}
