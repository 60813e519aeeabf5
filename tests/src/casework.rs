//! Shared steps of the casework suites (`casework_shift.rs`, `casework_limits.rs`).

use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::{ago, id_of};
use crate::harness::{jwt, Answer, TestApp};
use domain::values::Role;

/// A token for a named member of staff.
pub fn staff(sub: &str, role: Role) -> String {
    api::auth::mint(&jwt(), sub, role, None, 600).expect("token")
}

/// One request, for brevity in long walkthroughs.
pub async fn gql(app: &TestApp, token: &str, doc: &str, variables: Value) -> Answer {
    app.gql(token, doc, variables).await
}

/// The ids of a connection's nodes, in order.
pub fn ids(list: &Value) -> Vec<String> {
    list["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .filter_map(|e| e["node"]["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A call received `hours` ago with a counselling session with notes, and a
/// case opened from it just after. Returns (call, case).
pub async fn call_and_case(app: &TestApp, lan: &str, hours: i64) -> (Uuid, Uuid) {
    let call = gql(
        app,
        lan,
        "mutation($at: DateTime!) { receiveCall(input: {receivedAt: $at, channel: VOICE, province: \"LAO_CAI\", \
         callerType: RELATIVE_OR_FRIEND, category: REFERRAL_REQUEST, topics: [VICTIM_SUPPORT]}) { id } }",
        json!({"at": ago(hours * 60)}),
    )
    .await;
    let call = id_of(call.data("receiveCall"));
    gql(
        app,
        lan,
        "mutation($call: UUID!, $at: DateTime!) { recordCounsellingSession(input: {callId: $call, startedAt: $at, \
         durationMinutes: 15, topics: [VICTIM_SUPPORT], notes: \"Daughter, 17, taken across the border in May.\"}) { version } }",
        json!({"call": call, "at": ago(hours * 60)}),
    )
    .await
    .data("recordCounsellingSession");
    let case = gql(
        app,
        lan,
        "mutation($call: UUID!, $at: DateTime!) { openCase(input: {fromCallId: $call, openedAt: $at, \
         exploitationTypes: [SEXUAL]}) { id owner } }",
        json!({"call": call, "at": ago(hours * 60 - 5)}),
    )
    .await;
    let opened = case.data("openCase");
    assert_eq!(opened["owner"], Value::Null, "a case starts unassigned");
    (call, id_of(opened))
}
