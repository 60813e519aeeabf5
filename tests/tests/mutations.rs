//! Every mutation of the contract, over HTTP against the real server, with
//! its result visible to the very next query and its events in the log.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use domain::values::Role;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn a_case_goes_through_its_whole_life_and_each_step_is_visible_to_the_next_query() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);

    // receiveCall: province given, region derived.
    let call_id = Uuid::new_v4();
    let call = app
        .gql(
            &counsellor,
            &receive_call_doc(),
            json!({"input": {"id": call_id, "receivedAt": ago(120), "channel": "ZALO", "province": "TUYEN_QUANG",
                              "callerType": "RELATIVE_OR_FRIEND", "category": "COUNSELLING",
                              "topics": ["POLICY", "PSYCHOLOGICAL", "POLICY"], "durationSeconds": 540}}),
        )
        .await;
    let call = call.data("receiveCall");
    assert_eq!(call["id"], json!(call_id));
    assert_eq!(call["region"], "NORTHEAST");
    assert_eq!(call["province"], "TUYEN_QUANG");
    assert_eq!(call["topics"], json!(["PSYCHOLOGICAL", "POLICY"]));
    assert_eq!(call["version"], 1);

    // recordCounsellingSession, with notes that are personal data.
    let session = app
        .gql(
            &counsellor,
            &format!("mutation($input: RecordCounsellingSessionInput!) {{ recordCounsellingSession(input: $input) {{ {CALL_FIELDS} }} }}"),
            json!({"input": {"callId": call_id, "startedAt": ago(118), "durationMinutes": 25,
                              "topics": ["VICTIM_SUPPORT"], "notes": "Caller's sister is held in a karaoke bar"}}),
        )
        .await;
    let sessions = &session.data("recordCounsellingSession")["counsellingSessions"];
    assert_eq!(sessions.as_array().map(Vec::len), Some(1));
    assert_eq!(sessions[0]["durationMinutes"], 25);

    // openCase from the call, with a person.
    let person_id = Uuid::new_v4();
    let opened = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"fromCallId": call_id, "openedAt": ago(110), "exploitationTypes": ["SEXUAL"],
                              "persons": [{"id": person_id, "role": "VICTIM", "gender": "FEMALE", "birthYear": 2004,
                                           "fullName": "Nguyễn Thị Hoa", "phone": "+84 912 345 678"}]}}),
        )
        .await;
    let case = opened.data("openCase");
    let case_id = id_of(case);
    assert_eq!(case["status"], "OPEN");
    assert_eq!(
        case["region"], "NORTHEAST",
        "the region falls back to the call's"
    );
    assert_eq!(case["callIds"], json!([call_id]));
    assert_eq!(
        case["persons"][0]["fullName"], "Nguyễn Thị Hoa",
        "a counsellor reads personal data"
    );
    assert_eq!(case["persons"][0]["phone"], "+84 912 345 678");

    // The call learned of the case in the same transaction.
    let call = app
        .gql(
            &counsellor,
            &format!("query($id: UUID!) {{ call(id: $id) {{ {CALL_FIELDS} }} }}"),
            json!({"id": call_id}),
        )
        .await;
    assert_eq!(call.data("call")["caseIds"], json!([case_id]));

    // attachCall: a second call.
    let second_call = a_call(&app, &counsellor).await;
    let attached = app
        .gql(
            &counsellor,
            &format!("mutation($input: AttachCallInput!) {{ attachCall(input: $input) {{ {CASE_FIELDS} }} }}"),
            json!({"input": {"caseId": case_id, "callId": second_call}}),
        )
        .await;
    assert_eq!(
        attached.data("attachCall")["callIds"],
        json!([call_id, second_call])
    );

    // attachPerson.
    let attached = app
        .gql(
            &counsellor,
            &format!("mutation($input: AttachPersonInput!) {{ attachPerson(input: $input) {{ {CASE_FIELDS} }} }}"),
            json!({"input": {"caseId": case_id, "person": {"role": "ACCOMPANYING_MINOR", "gender": "MALE", "birthYear": 2015}}}),
        )
        .await;
    assert_eq!(
        attached.data("attachPerson")["persons"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // sendReferral with consent.
    let referral = app
        .gql(
            &counsellor,
            &send_referral_doc(),
            json!({"input": {"caseId": case_id, "agency": "CRIMINAL_POLICE", "referredAt": ago(100), "personsAtRisk": 2,
                              "consent": {"given": true}, "reason": "location known"}}),
        )
        .await;
    let referral = referral.data("sendReferral");
    let referral_id = id_of(referral);
    assert_eq!(referral["status"], "SENT");
    assert_eq!(referral["consentOverridden"], false);

    // updateReferral along the state machine.
    for (status, at) in [("ACKNOWLEDGED", 95), ("IN_PROGRESS", 90)] {
        let moved = app
            .gql(&supervisor, &update_referral_doc(), json!({"input": {"caseId": case_id, "referralId": referral_id, "status": status, "at": ago(at)}}))
            .await;
        assert_eq!(moved.data("updateReferral")["status"], status);
    }

    // recordRescue on the referral.
    let rescue = app
        .gql(
            &supervisor,
            "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { id caseId referralId rescuedAt personsRescued region country } }",
            json!({"input": {"caseId": case_id, "referralId": referral_id, "rescuedAt": ago(80), "personsRescued": 2,
                              "region": "OVERSEAS", "country": "cn"}}),
        )
        .await;
    let rescue = rescue.data("recordRescue");
    assert_eq!(rescue["personsRescued"], 2);
    assert_eq!(rescue["country"], "CN");

    let completed = app
        .gql(&supervisor, &update_referral_doc(), json!({"input": {"caseId": case_id, "referralId": referral_id, "status": "COMPLETED", "at": ago(70), "outcome": "RESCUED"}}))
        .await;
    let completed = completed.data("updateReferral");
    assert_eq!(completed["outcome"], "RESCUED");
    assert_eq!(completed["personsRescued"], 2);

    // provideSupport to the person.
    let supported = app
        .gql(
            &counsellor,
            &format!("mutation($input: ProvideSupportInput!) {{ provideSupport(input: $input) {{ {CASE_FIELDS} }} }}"),
            json!({"input": {"caseId": case_id, "personId": person_id, "service": "PSYCHOLOGICAL", "providedAt": ago(60)}}),
        )
        .await;
    assert_eq!(
        supported.data("provideSupport")["supportProvided"][0]["service"],
        "PSYCHOLOGICAL"
    );

    // closeCase, then nothing more can be recorded, then reopenCase.
    let closed = app
        .gql(&supervisor, &format!("mutation($input: CloseCaseInput!) {{ closeCase(input: $input) {{ {CASE_FIELDS} }} }}"),
             json!({"input": {"caseId": case_id, "closedAt": ago(50), "reason": "victim home safely"}}))
        .await;
    assert_eq!(closed.data("closeCase")["status"], "CLOSED");
    let refused = app
        .gql(
            &counsellor,
            "mutation($input: ProvideSupportInput!) { provideSupport(input: $input) { id } }",
            json!({"input": {"caseId": case_id, "service": "MEDICAL", "providedAt": ago(40)}}),
        )
        .await;
    assert_eq!(refused.code(), Some("INVALID_STATE"), "{:?}", refused.body);
    let reopened = app
        .gql(&supervisor, &format!("mutation($input: ReopenCaseInput!) {{ reopenCase(input: $input) {{ {CASE_FIELDS} }} }}"),
             json!({"input": {"caseId": case_id, "reopenedAt": ago(30), "reason": "new information"}}))
        .await;
    let reopened = reopened.data("reopenCase");
    assert_eq!(reopened["status"], "OPEN");
    assert_eq!(reopened["closedAt"], serde_json::Value::Null);

    // The next query sees it all, from the events.
    let case = app
        .gql(&counsellor, &case_doc(), json!({"id": case_id}))
        .await;
    let case = case.data("case");
    assert_eq!(case["referrals"][0]["status"], "COMPLETED");
    assert_eq!(case["rescues"][0]["personsRescued"], 2);
    assert_eq!(case["version"], reopened["version"]);

    // Every event carries its metadata; the stream has no gap.
    let owner = app.db.owner().await;
    let seqs = sequences(&owner, "Case", case_id).await;
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let metadata: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT metadata FROM events WHERE aggregate_type = 'Case' AND aggregate_id = $1 ORDER BY sequence")
            .bind(case_id.to_string())
            .fetch_all(&owner)
            .await
            .expect("metadata");
    assert_eq!(metadata[0]["actor"], "test-counsellor");
    assert_eq!(metadata[0]["actor_role"], "COUNSELLOR");
    assert!(metadata[0]["correlation_id"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert!(metadata[0]["causation_id"]
        .as_str()
        .is_some_and(|s| Uuid::parse_str(s).is_ok()));
    assert!(metadata[0]["occurred_at"].as_str().is_some());
    assert!(metadata.iter().any(|m| m["actor_role"] == "SUPERVISOR"));

    // Personal data is not in the log in plaintext.
    let log: String =
        sqlx::query_scalar("SELECT string_agg(payload::text || metadata::text, ' ') FROM events")
            .fetch_one(&owner)
            .await
            .expect("log text");
    for secret in [
        "Nguyễn Thị Hoa",
        "912 345 678",
        "karaoke",
        "victim home safely",
        "location known",
        "new information",
    ] {
        assert!(
            !log.contains(secret),
            "plaintext personal data in the log: {secret}"
        );
    }
}

#[tokio::test]
async fn a_correlation_id_from_the_client_is_kept_in_the_metadata() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token(Role::Counsellor))
        .header("x-request-id", "req-4711")
        .json(&json!({"query": receive_call_doc(), "variables": {"input": {"receivedAt": ago(5), "channel": "WEB",
            "region": "MEKONG_DELTA", "callerType": "CITIZEN", "category": "INFORMATION"}}}))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("req-4711")
    );
    assert_eq!(response.status(), 200);
    let owner = app.db.owner().await;
    let correlation: String = sqlx::query_scalar("SELECT metadata->>'correlation_id' FROM events")
        .fetch_one(&owner)
        .await
        .expect("one event");
    assert_eq!(correlation, "req-4711");
}
