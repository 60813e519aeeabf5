//! The domain's rules, seen from a client: each refusal arrives with the
//! contract's error code, and nothing is recorded.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use chrono::{Duration, Utc};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

async fn event_count(app: &TestApp) -> i64 {
    let owner = app.db.owner().await;
    sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&owner)
        .await
        .expect("count")
}

async fn expect_code(app: &TestApp, token: &str, doc: &str, variables: Value, code: &str) {
    let before = event_count(app).await;
    let answer = app.gql(token, doc, variables).await;
    assert_eq!(answer.code(), Some(code), "{}", answer.body);
    assert_eq!(answer.status, 200);
    let message = answer.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        !message.contains("sql") && !message.contains("panick"),
        "leaky message: {message}"
    );
    assert_eq!(
        event_count(app).await,
        before,
        "a refused command recorded something"
    );
}

#[tokio::test]
async fn referral_rules_answer_with_the_contracts_codes() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let case = a_case(&app, &counsellor).await;
    let send = |consent: Value, count: i32| json!({"input": {"caseId": case, "agency": "BORDER_GUARD", "referredAt": ago(100), "personsAtRisk": count, "consent": consent}});
    // No consent and no override.
    expect_code(
        &app,
        &counsellor,
        &send_referral_doc(),
        send(json!({"given": false}), 1),
        "INVALID_STATE",
    )
    .await;
    // An override by a counsellor.
    expect_code(
        &app,
        &counsellor,
        &send_referral_doc(),
        send(
            json!({"given": false, "overrideReason": "imminent danger"}),
            1,
        ),
        "FORBIDDEN",
    )
    .await;
    // Out-of-bounds counts.
    expect_code(
        &app,
        &counsellor,
        &send_referral_doc(),
        send(json!({"given": true}), 0),
        "BAD_USER_INPUT",
    )
    .await;
    expect_code(
        &app,
        &counsellor,
        &send_referral_doc(),
        send(json!({"given": true}), 100_000),
        "BAD_USER_INPUT",
    )
    .await;
    // A supervisor's override is recorded as such.
    let answer = app
        .gql(
            &supervisor,
            &send_referral_doc(),
            send(
                json!({"given": false, "overrideReason": "imminent danger"}),
                3,
            ),
        )
        .await;
    let referral = answer.data("sendReferral");
    assert_eq!(referral["consentOverridden"], true);
    let referral_id = id_of(referral);

    let update = |status: &str, outcome: Value, at: String| json!({"input": {"caseId": case, "referralId": referral_id, "status": status, "at": at, "outcome": outcome}});
    // Off the state machine.
    expect_code(
        &app,
        &supervisor,
        &update_referral_doc(),
        update("COMPLETED", json!("RESCUED"), ago(90)),
        "INVALID_STATE",
    )
    .await;
    // Outcome only with COMPLETED.
    expect_code(
        &app,
        &supervisor,
        &update_referral_doc(),
        update("ACKNOWLEDGED", json!("RESCUED"), ago(90)),
        "BAD_USER_INPUT",
    )
    .await;
    // Before the referral.
    expect_code(
        &app,
        &supervisor,
        &update_referral_doc(),
        update("ACKNOWLEDGED", Value::Null, ago(200)),
        "INVALID_STATE",
    )
    .await;
    // In the future.
    let future = (Utc::now() + Duration::hours(2)).to_rfc3339();
    expect_code(
        &app,
        &supervisor,
        &update_referral_doc(),
        update("ACKNOWLEDGED", Value::Null, future),
        "BAD_USER_INPUT",
    )
    .await;
    // Counsellors do not move referrals.
    expect_code(
        &app,
        &counsellor,
        &update_referral_doc(),
        update("ACKNOWLEDGED", Value::Null, ago(90)),
        "FORBIDDEN",
    )
    .await;

    // A declined referral takes no rescue.
    app.gql(
        &supervisor,
        &update_referral_doc(),
        update("DECLINED", Value::Null, ago(80)),
    )
    .await
    .data("updateReferral");
    let rescue = "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { id } }";
    expect_code(&app, &supervisor, rescue,
        json!({"input": {"caseId": case, "referralId": referral_id, "rescuedAt": ago(70), "personsRescued": 1}}), "INVALID_STATE").await;
    // A rescue on a referral of another case, or of none.
    expect_code(&app, &supervisor, rescue,
        json!({"input": {"caseId": case, "referralId": Uuid::new_v4(), "rescuedAt": ago(70), "personsRescued": 1}}), "NOT_FOUND").await;
}

#[tokio::test]
async fn case_and_call_rules_answer_with_the_contracts_codes() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    // A case on a call that does not exist.
    expect_code(
        &app,
        &counsellor,
        &open_case_doc(),
        json!({"input": {"fromCallId": Uuid::new_v4(), "openedAt": ago(5)}}),
        "NOT_FOUND",
    )
    .await;
    // A call in the future, a merged province, a country outside OVERSEAS, no location at all.
    let call = |extra: Value| {
        let mut input = json!({"receivedAt": ago(5), "channel": "VOICE", "callerType": "VICTIM", "category": "INFORMATION"});
        if let (Some(i), Some(e)) = (input.as_object_mut(), extra.as_object()) {
            i.extend(e.clone());
        }
        json!({"input": input})
    };
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    expect_code(
        &app,
        &counsellor,
        &receive_call_doc(),
        call(json!({"region": "UNKNOWN", "receivedAt": future})),
        "BAD_USER_INPUT",
    )
    .await;
    expect_code(
        &app,
        &counsellor,
        &receive_call_doc(),
        call(json!({"province": "BINH_DUONG"})),
        "BAD_USER_INPUT",
    )
    .await;
    expect_code(
        &app,
        &counsellor,
        &receive_call_doc(),
        call(json!({"region": "SOUTHEAST", "country": "KH"})),
        "BAD_USER_INPUT",
    )
    .await;
    expect_code(
        &app,
        &counsellor,
        &receive_call_doc(),
        call(json!({})),
        "BAD_USER_INPUT",
    )
    .await;
    expect_code(
        &app,
        &counsellor,
        &receive_call_doc(),
        call(json!({"region": "SOUTHEAST", "durationSeconds": -1})),
        "BAD_USER_INPUT",
    )
    .await;
    // GraphQL-level input errors carry a code too.
    expect_code(
        &app,
        &counsellor,
        &receive_call_doc(),
        call(json!({"region": "ATLANTIS"})),
        "BAD_USER_INPUT",
    )
    .await;
    expect_code(
        &app,
        &counsellor,
        &case_doc(),
        json!({"id": "not-a-uuid"}),
        "BAD_USER_INPUT",
    )
    .await;

    // The same call id twice.
    let id = Uuid::new_v4();
    let first = call(json!({"id": id, "region": "SOUTHEAST"}));
    app.gql(&counsellor, &receive_call_doc(), first)
        .await
        .data("receiveCall");
    let different = call(json!({"id": id, "region": "NORTHWEST"}));
    expect_code(
        &app,
        &counsellor,
        &receive_call_doc(),
        different,
        "CONFLICT",
    )
    .await;

    // Closing needs a supervisor and a reason; a closed case takes nothing.
    let case = a_case(&app, &counsellor).await;
    let close = "mutation($input: CloseCaseInput!) { closeCase(input: $input) { status } }";
    expect_code(
        &app,
        &counsellor,
        close,
        json!({"input": {"caseId": case, "closedAt": ago(1), "reason": "done"}}),
        "FORBIDDEN",
    )
    .await;
    expect_code(
        &app,
        &supervisor,
        close,
        json!({"input": {"caseId": case, "closedAt": ago(1), "reason": "  "}}),
        "BAD_USER_INPUT",
    )
    .await;
    expect_code(
        &app,
        &supervisor,
        close,
        json!({"input": {"caseId": case, "closedAt": ago(10_000), "reason": "done"}}),
        "INVALID_STATE",
    )
    .await;
    app.gql(
        &supervisor,
        close,
        json!({"input": {"caseId": case, "closedAt": ago(1), "reason": "done"}}),
    )
    .await
    .data("closeCase");
    let attach = "mutation($input: AttachPersonInput!) { attachPerson(input: $input) { id } }";
    expect_code(
        &app,
        &counsellor,
        attach,
        json!({"input": {"caseId": case, "person": {"role": "RELATIVE", "gender": "UNKNOWN"}}}),
        "INVALID_STATE",
    )
    .await;
    let reopen = "mutation($input: ReopenCaseInput!) { reopenCase(input: $input) { status } }";
    expect_code(
        &app,
        &supervisor,
        reopen,
        json!({"input": {"caseId": Uuid::new_v4(), "reopenedAt": ago(0), "reason": "x"}}),
        "NOT_FOUND",
    )
    .await;
}
