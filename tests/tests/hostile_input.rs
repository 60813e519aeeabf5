//! Hostile input over HTTP: malformed JSON, wrong types, huge numbers,
//! invalid UUIDs and dates, deep nesting and random documents. The server
//! never panics, never answers 5xx, and every error carries a contract code.

use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use proptest::prelude::*;
use serde_json::{json, Value};

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(9_999_999_999_999_999_999u64)),
        ".{0,40}".prop_map(Value::from),
        Just(json!("not-a-uuid")),
        Just(json!("2026-13-45T99:99:99Z")),
        Just(json!("00000000-0000-0000-0000-000000000000")),
        Just(json!("\u{0000}\u{ffff}")),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const DOCUMENTS: &[&str] = &[
    "mutation($input: ReceiveCallInput!) { receiveCall(input: $input) { id } }",
    "mutation($input: OpenCaseInput!) { openCase(input: $input) { id persons { fullName } } }",
    "mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }",
    "mutation($input: UpdateReferralInput!) { updateReferral(input: $input) { id } }",
    "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { id } }",
    "query($id: UUID!) { case(id: $id) { id } }",
    "query($id: UUID!, $asOf: DateTime, $v: Int) { caseHistory(caseId: $id, asOf: $asOf, upToVersion: $v) { caseId } }",
    "query($s: StreamKind, $id: UUID) { verifyIntegrity(streamKind: $s, streamId: $id) { ok } }",
];

fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(DOCUMENTS).prop_map(str::to_string),
        "[{}()\\[\\]:$!@a-zA-Z0-9 \"]{0,200}",
        (1usize..300).prop_map(|depth| format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth))),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // A GraphQL request with random variables.
        (document(), json_value()).prop_map(|(q, v)| {
            json!({"query": q, "variables": {"input": v, "id": v}})
                .to_string()
                .into_bytes()
        }),
        // Any JSON at all.
        json_value().prop_map(|v| v.to_string().into_bytes()),
        // Not JSON.
        prop::collection::vec(any::<u8>(), 0..300),
    ]
}

async fn send(app: &TestApp, bearer: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(bearer)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers (it did not crash)");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[test]
fn random_requests_never_get_5xx_and_every_error_has_a_contract_code() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(spawn_app());
    let bearer = token(Role::Supervisor);
    let codes = [
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "CONFLICT",
        "INVALID_STATE",
        "RATE_LIMITED",
    ];
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(body in body())| {
        let (status, answer) = runtime.block_on(send(&app, &bearer, body));
        prop_assert!(status < 500, "{status}: {answer}");
        if let Some(errors) = answer["errors"].as_array() {
            for error in errors {
                let code = error["extensions"]["code"].as_str().unwrap_or_default();
                prop_assert!(codes.contains(&code), "error without a client code: {error}");
                let message = error["message"].as_str().unwrap_or_default().to_lowercase();
                prop_assert!(!message.contains("panick") && !message.contains("sqlx") && !message.contains("postgres"), "{message}");
            }
        }
    });
    // Still serving.
    let (status, _) = runtime.block_on(send(
        &app,
        &bearer,
        br#"{"query":"{ __typename }"}"#.to_vec(),
    ));
    assert_eq!(status, 200);
    drop(app);
}
