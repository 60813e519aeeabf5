//! Property: statistics, histories and lists answer every value of every
//! scalar they take (the edges of each accepted range, just inside, just
//! outside, and anything chrono or an i32 can hold) with data or a client
//! error, never a 5xx, never INTERNAL, and never a hang (a guard timeout,
//! not a timing).

use std::time::Duration;

use base64::Engine;
use casetrail_tests::fixtures::a_case;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use proptest::prelude::*;
use serde_json::{json, Value};

const GUARD: Duration = Duration::from_secs(30);

/// Days: the accepted edges, just outside, chrono's edges, and any year.
fn day() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "1899-12-31",
            "1900-01-01",
            "1900-01-02",
            "2100-12-30",
            "2100-12-31",
            "2101-01-01",
            "0000-01-01",
            "9999-12-31",
            "+262142-12-31",
            "262142-12-31",
            "-262143-01-01",
            "2024-02-29",
            "2023-02-29",
            "2021-13-01",
            "",
        ])
        .prop_map(Value::from),
        (-300_000i32..300_000, 1u32..=12, 1u32..=31)
            .prop_map(|(y, m, d)| Value::from(format!("{y:04}-{m:02}-{d:02}"))),
        (1890i32..2110, 1u32..=12, 1u32..=28)
            .prop_map(|(y, m, d)| Value::from(format!("{y:04}-{m:02}-{d:02}"))),
        Just(Value::Null),
    ]
}

/// Times, likewise.
fn time() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "1899-12-31T23:59:59Z",
            "1900-01-01T00:00:00Z",
            "2100-12-31T23:59:59Z",
            "2101-01-01T00:00:00Z",
            "+262142-12-31T23:59:59Z",
            "-262143-01-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "0000-01-01T00:00:00-12:00",
        ])
        .prop_map(Value::from),
        (any::<i64>()).prop_filter_map("a time chrono holds", |s| {
            chrono::DateTime::from_timestamp(s % 8_000_000_000_000, 0)
                .map(|t| Value::from(t.to_rfc3339()))
        }),
        Just(Value::Null),
    ]
}

/// Integers: each range's edges, i32's edges, and any i32.
fn int() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            i64::from(i32::MIN),
            -1,
            0,
            1,
            2,
            99,
            100,
            101,
            999_999,
            1_000_000,
            1_000_001,
            i64::from(i32::MAX),
            i64::from(i32::MAX) + 1,
        ])
        .prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        Just(Value::Null),
    ]
}

/// Cursors: garbage, overlong, and well-formed ones with extreme times.
fn cursor() -> impl Strategy<Value = Value> {
    let b64 = |s: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    prop_oneof![
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("A".repeat(100_000))),
        (
            prop::sample::select(vec!["calls", "cases", "referrals"]),
            any::<i64>()
        )
            .prop_map(move |(list, micros)| Value::from(b64(format!(
                "{list}:{micros}:{}",
                uuid::Uuid::nil().simple()
            )))),
        Just(Value::Null),
    ]
}

const STATISTICS: &str = "query($a: Date!, $b: Date!, $m: Int) { statistics(from: $a, to: $b, minCellSize: $m) { totalCalls monthly { month } } }";
const CASE_HISTORY: &str = "query($id: UUID!, $t: DateTime, $v: Int) { caseHistory(caseId: $id, asOf: $t, upToVersion: $v) { events { sequence } } }";
const CALL_HISTORY: &str = "query($id: UUID!, $t: DateTime, $v: Int) { callHistory(callId: $id, asOf: $t, upToVersion: $v) { events { sequence } } }";
const CALLS: &str = "query($n: Int, $c: String, $a: Date, $b: Date) { calls(first: $n, after: $c, filter: { from: $a, to: $b }) { totalCount } }";
const CASES: &str = "query($n: Int, $c: String, $a: Date, $b: Date) { cases(first: $n, after: $c, filter: { openedFrom: $a, openedTo: $b }) { totalCount } }";
const REFERRALS: &str =
    "query($n: Int, $c: String) { referrals(first: $n, after: $c) { totalCount } }";

/// The answer is data, or errors that all carry a client code.
async fn answers(app: &TestApp, bearer: &str, query: &str, variables: Value) -> Result<(), String> {
    let request = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(bearer)
        .json(&json!({ "query": query, "variables": variables }))
        .send();
    let response = tokio::time::timeout(GUARD, request)
        .await
        .map_err(|_| format!("no answer within the guard: {query} {variables}"))?
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status >= 500 {
        return Err(format!("{status} for {query} {variables}: {body}"));
    }
    let client_codes = ["BAD_USER_INPUT", "NOT_FOUND", "FORBIDDEN", "RATE_LIMITED"];
    if let Some(errors) = body["errors"].as_array() {
        for error in errors {
            let code = error["extensions"]["code"].as_str().unwrap_or_default();
            if !client_codes.contains(&code) {
                return Err(format!("{code:?} for {query} {variables}: {error}"));
            }
        }
    } else if body["data"].is_null() {
        return Err(format!(
            "neither data nor errors for {query} {variables}: {body}"
        ));
    }
    Ok(())
}

#[test]
fn every_value_of_every_scalar_gets_data_or_a_client_error_in_bounded_time() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(spawn_app());
    let supervisor = token(Role::Supervisor);
    let case = runtime.block_on(a_case(&app, &supervisor));
    let config = ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(a in day(), b in day(), t in time(), n in int(), m in int(), c in cursor())| {
        let id = json!(case);
        let requests = [
            (STATISTICS, json!({"a": a, "b": b, "m": m})),
            (CASE_HISTORY, json!({"id": id, "t": t, "v": n})),
            (CALL_HISTORY, json!({"id": id, "t": t, "v": m})),
            (CALLS, json!({"n": n, "c": c, "a": a, "b": b})),
            (CASES, json!({"n": m, "c": c, "a": a, "b": b})),
            (REFERRALS, json!({"n": n, "c": c})),
        ];
        for (query, variables) in requests {
            let outcome = runtime.block_on(answers(&app, &supervisor, query, variables));
            prop_assert!(outcome.is_ok(), "{}", outcome.err().unwrap_or_default());
        }
    });
    let health = runtime
        .block_on(async {
            app.client
                .get(format!("{}/healthz", app.address))
                .send()
                .await
        })
        .expect("still serving");
    assert_eq!(health.status(), 200);
}
