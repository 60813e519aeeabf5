//! Limits before side effects: a refused command leaves nothing behind, not
//! even a key row (sealing personal data creates one for its subject), no
//! receipt and no event. Every limit, duplicate or taken id, and every
//! domain refusal that can be known before sealing, comes first.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

async fn count(app: &TestApp, sql: &str) -> i64 {
    let owner = app.db.owner().await;
    sqlx::query_scalar(sql)
        .fetch_one(&owner)
        .await
        .expect("count")
}

#[tokio::test]
async fn a_refused_open_case_leaves_no_key_no_receipt_and_no_event() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let person = |n: usize, name: String| {
        json!({"id": Uuid::now_v7(), "role": "VICTIM", "gender": "FEMALE", "fullName": name,
               "phone": format!("+84 90 000 {n:04}")})
    };
    let nothing_left = |what: &'static str| {
        let app = &app;
        async move {
            for table in ["data_keys", "command_receipts", "events", "entity_ids"] {
                let rows = count(app, &format!("SELECT count(*) FROM {table}")).await;
                assert_eq!(rows, 0, "{what}: {table} has rows");
            }
        }
    };

    // 201 persons with names: over the limit, refused before the first seal.
    let persons: Vec<Value> = (0..201).map(|n| person(n, format!("Person {n}"))).collect();
    let over = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"id": Uuid::now_v7(), "openedAt": ago(60), "region": "RED_RIVER_DELTA",
                             "persons": persons}}),
        )
        .await;
    assert_eq!(over.code(), Some("INVALID_STATE"), "{}", over.body);
    nothing_left("201 persons").await;

    // The second person's name is too long: the first is not sealed either.
    let persons = vec![person(0, "Short".into()), person(1, "x".repeat(201))];
    let long = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"id": Uuid::now_v7(), "openedAt": ago(60), "region": "RED_RIVER_DELTA",
                             "persons": persons}}),
        )
        .await;
    assert_eq!(long.code(), Some("BAD_USER_INPUT"), "{}", long.body);
    nothing_left("a name too long").await;

    // Two persons with one id, and a birth year in the future.
    let twin = person(0, "Twin".into());
    let twins = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"openedAt": ago(60), "region": "RED_RIVER_DELTA",
                             "persons": [twin.clone(), twin]}}),
        )
        .await;
    assert_eq!(twins.code(), Some("CONFLICT"), "{}", twins.body);
    let mut unborn = person(0, "Unborn".into());
    unborn["birthYear"] = json!(2099);
    let future = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"openedAt": ago(60), "region": "RED_RIVER_DELTA", "persons": [unborn]}}),
        )
        .await;
    assert_eq!(future.code(), Some("BAD_USER_INPUT"), "{}", future.body);
    nothing_left("twins and the unborn").await;

    // Exactly 200 is accepted.
    let persons: Vec<Value> = (0..200).map(|n| person(n, format!("Person {n}"))).collect();
    let full = app
        .gql(
            &counsellor,
            &open_case_doc(),
            json!({"input": {"openedAt": ago(60), "region": "RED_RIVER_DELTA", "persons": persons}}),
        )
        .await;
    assert_eq!(
        full.data("openCase")["persons"].as_array().map(Vec::len),
        Some(200)
    );
}

#[tokio::test]
async fn commands_refused_by_the_domain_seal_nothing() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let case = a_case(&app, &counsellor).await;
    let call = a_call(&app, &counsellor).await;
    let keys = || count(&app, "SELECT count(*) FROM data_keys");
    let before = keys().await;
    let named = json!([{"role": "VICTIM", "gender": "FEMALE", "fullName": "Never sealed", "phone": "+84 90 111 2222"}]);
    let ghost = Uuid::now_v7();
    let refusals: Vec<(&str, &str, String, Value)> = vec![
        // Opened in the future.
        (&counsellor, "BAD_USER_INPUT", open_case_doc(),
         json!({"input": {"openedAt": "2999-01-01T00:00:00Z", "region": "SOUTHEAST", "persons": named}})),
        // From a call that was never received.
        (&counsellor, "NOT_FOUND", open_case_doc(),
         json!({"input": {"fromCallId": ghost, "openedAt": ago(60), "persons": named}})),
        // A named person on a case that does not exist.
        (&counsellor, "NOT_FOUND", "mutation($input: AttachPersonInput!) { attachPerson(input: $input) { id } }".into(),
         json!({"input": {"caseId": ghost, "person": named[0]}})),
        // A reason sealed under a case that does not exist.
        (&counsellor, "NOT_FOUND", send_referral_doc(),
         json!({"input": {"caseId": ghost, "agency": "NGO", "referredAt": ago(60), "personsAtRisk": 1,
                          "consent": {"given": true}, "reason": "never sealed"}})),
        (&supervisor, "NOT_FOUND", "mutation($input: CloseCaseInput!) { closeCase(input: $input) { id } }".into(),
         json!({"input": {"caseId": ghost, "closedAt": ago(1), "reason": "never sealed"}})),
        (&supervisor, "NOT_FOUND", "mutation($input: ReopenCaseInput!) { reopenCase(input: $input) { id } }".into(),
         json!({"input": {"caseId": ghost, "reopenedAt": ago(1), "reason": "never sealed"}})),
        // Notes sealed under a call that does not exist.
        (&counsellor, "NOT_FOUND", "mutation($input: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $input) { id } }".into(),
         json!({"input": {"callId": ghost, "startedAt": ago(60), "durationMinutes": 5, "topics": ["LEGAL"],
                          "notes": "never sealed"}})),
        // On a call and a case that exist (neither has a key yet): refused by their rules.
        (&counsellor, "BAD_USER_INPUT", "mutation($input: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $input) { id } }".into(),
         json!({"input": {"callId": call, "startedAt": ago(30), "durationMinutes": 5, "topics": [],
                          "notes": "never sealed"}})),
        (&counsellor, "BAD_USER_INPUT", send_referral_doc(),
         json!({"input": {"caseId": case, "agency": "NGO", "referredAt": "2999-01-01T00:00:00Z", "personsAtRisk": 1,
                          "consent": {"given": true}, "reason": "never sealed"}})),
        (&counsellor, "INVALID_STATE", send_referral_doc(),
         json!({"input": {"caseId": case, "agency": "NGO", "referredAt": ago(30), "personsAtRisk": 1,
                          "consent": {"given": false}, "reason": "never sealed"}})),
        (&supervisor, "BAD_USER_INPUT", send_referral_doc(),
         json!({"input": {"caseId": case, "agency": "NGO", "referredAt": "2999-01-01T00:00:00Z", "personsAtRisk": 1,
                          "consent": {"given": false, "overrideReason": "never sealed"}}})),
        // Overriding consent needs a supervisor: refused before the reason is sealed.
        (&counsellor, "FORBIDDEN", send_referral_doc(),
         json!({"input": {"caseId": case, "agency": "NGO", "referredAt": ago(60), "personsAtRisk": 1,
                          "consent": {"given": false, "overrideReason": "urgent"}}})),
    ];
    for (bearer, code, doc, variables) in refusals {
        let answer = app.gql(bearer, &doc, variables.clone()).await;
        assert_eq!(answer.code(), Some(code), "{variables}: {}", answer.body);
    }
    assert_eq!(keys().await, before, "no key row for any refused command");
}
