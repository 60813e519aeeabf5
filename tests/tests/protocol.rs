//! GraphQL over HTTP: media types, status codes, and errors that never leak
//! database or panic text, even when the database fails.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use domain::values::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn malformed_requests_get_4xx_with_a_code_and_graphql_response_json_gets_400_for_invalid_documents(
) {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.address);
    let bearer = token(Role::Counsellor);

    let not_json = app
        .client
        .post(&url)
        .bearer_auth(&bearer)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");
    assert_eq!(not_json.status(), 400);
    assert_eq!(
        not_json.json::<Value>().await.expect("json")["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );

    let wrong_type = app
        .client
        .post(&url)
        .bearer_auth(&bearer)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(wrong_type.status(), 415);

    let invalid =
        json!({"query": "{ case(id: \"00000000-0000-0000-0000-000000000000\") { noSuchField } }"});
    let plain = app
        .client
        .post(&url)
        .bearer_auth(&bearer)
        .json(&invalid)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        plain.status(),
        200,
        "application/json answers 200 for a well-formed request"
    );
    assert_eq!(plain.headers()["content-type"], "application/json");
    let strict = app
        .client
        .post(&url)
        .bearer_auth(&bearer)
        .header("accept", "application/graphql-response+json")
        .json(&invalid)
        .send()
        .await
        .expect("answer");
    assert_eq!(strict.status(), 400);
    assert_eq!(
        strict.headers()["content-type"],
        "application/graphql-response+json"
    );
    let body: Value = strict.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let huge = "x".repeat(2 * 1024 * 1024);
    let too_big = app
        .client
        .post(&url)
        .bearer_auth(&bearer)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("answer");
    assert_eq!(too_big.status(), 413);
}

#[tokio::test]
async fn when_the_database_refuses_a_write_the_client_gets_internal_without_database_text_and_nothing_changes(
) {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    let owner = app.db.owner().await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&owner)
        .await
        .expect("count");
    // Sabotage: the server's role loses the right to append.
    sqlx::query("REVOKE INSERT ON events FROM casetrail_app")
        .execute(&owner)
        .await
        .expect("revoke");
    let answer = app
        .gql(&counsellor, &send_referral_doc(),
             json!({"input": {"caseId": case, "agency": "NGO", "referredAt": ago(100), "personsAtRisk": 1, "consent": {"given": true}}}))
        .await;
    assert_eq!(answer.code(), Some("INTERNAL"), "{}", answer.body);
    let text = answer.body.to_string().to_lowercase();
    for leak in [
        "permission",
        "denied",
        "events",
        "insert",
        "sql",
        "postgres",
        "relation",
        "42501",
    ] {
        assert!(
            !text.contains(leak),
            "database text reached the client: {leak} in {text}"
        );
    }
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(before, after);
    // Reads still work, and the case is unchanged.
    let read = app.gql(&counsellor, &case_doc(), json!({"id": case})).await;
    assert_eq!(read.data("case")["referrals"], json!([]));
}

#[tokio::test]
async fn probes_answer_and_graphiql_is_served_in_dev_mode() {
    let app = spawn_app().await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();
    assert_eq!(get("/healthz").await.expect("answer").status(), 200);
    assert_eq!(get("/readyz").await.expect("answer").status(), 200);
    let page = get("/").await.expect("answer");
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .expect("html")
        .to_lowercase()
        .contains("graphiql"));
}
