//! Casework inputs are bounded (BAD_USER_INPUT, NOT_FOUND, before anything
//! is sealed: a refusal leaves no data key), and an id names one thing.

use casetrail_tests::casework::{call_and_case, gql, staff};
use casetrail_tests::harness::spawn_app;
use domain::values::Role;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn casework_inputs_are_bounded_and_a_refusal_leaves_no_key() {
    let app = spawn_app().await;
    let lan = staff("lan", Role::Counsellor);
    let minh = staff("minh", Role::Supervisor);
    let (_, case) = call_and_case(&app, &lan, 3).await;
    let long_owner = "x".repeat(101);
    let refusals = [
        (
            &minh,
            "mutation($c: UUID!, $o: String!) { assignCase(input: {caseId: $c, owner: $o, reason: \"r\"}) { id } }",
            json!({"c": case, "o": long_owner}),
            "BAD_USER_INPUT",
        ),
        (
            &minh,
            "mutation($c: UUID!) { assignCase(input: {caseId: $c, owner: \"lan\", reason: \"  \"}) { id } }",
            json!({"c": case}),
            "BAD_USER_INPUT",
        ),
        (
            &lan,
            "mutation($c: UUID!, $t: String!) { writeCaseNote(input: {caseId: $c, text: $t}) { id } }",
            json!({"c": case, "t": "n".repeat(10_001)}),
            "BAD_USER_INPUT",
        ),
        (
            &minh,
            "mutation($c: UUID!, $due: DateTime!) { createFollowUp(input: {caseId: $c, dueAt: $due, description: \"d\"}) { id } }",
            json!({"c": case, "due": (chrono::Utc::now() + chrono::Duration::days(400)).to_rfc3339()}),
            "BAD_USER_INPUT",
        ),
        (
            &lan,
            "mutation($c: UUID!) { writeCaseNote(input: {caseId: $c, text: \"t\", writtenAt: \"2099-01-01T00:00:00Z\"}) { id } }",
            json!({"c": case}),
            "BAD_USER_INPUT",
        ),
        (
            &lan,
            "mutation($c: UUID!) { writeCaseNote(input: {caseId: $c, text: \"t\"}) { id } }",
            json!({"c": Uuid::now_v7()}),
            "NOT_FOUND",
        ),
        (&lan, "{ myCases(first: 101) { totalCount } }", json!({}), "BAD_USER_INPUT"),
        (&lan, "{ myFollowUps(after: \"junk\") { totalCount } }", json!({}), "BAD_USER_INPUT"),
    ];
    for (token, doc, variables, code) in refusals {
        let answer = gql(&app, token, doc, variables).await;
        assert_eq!(answer.code(), Some(code), "{doc}: {}", answer.body);
    }
    // Nothing above sealed anything: the case still has no data key.
    let keys: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM data_keys WHERE subject_kind = 'case' AND subject_id = $1",
    )
    .bind(case)
    .fetch_one(&app.db.owner().await)
    .await
    .expect("readable");
    assert_eq!(keys, 0);
    // The same note id for another case is another thing: CONFLICT.
    let note = Uuid::now_v7();
    let (_, other_case) = call_and_case(&app, &lan, 2).await;
    let write = "mutation($id: UUID!, $c: UUID!) { writeCaseNote(input: {id: $id, caseId: $c, text: \"t\"}) { id } }";
    gql(&app, &lan, write, json!({"id": note, "c": case}))
        .await
        .data("writeCaseNote");
    let reused = gql(&app, &lan, write, json!({"id": note, "c": other_case})).await;
    assert_eq!(reused.code(), Some("CONFLICT"), "{}", reused.body);
}
