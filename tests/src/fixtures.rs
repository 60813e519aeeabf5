//! GraphQL documents and small builders the suites share.

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::TestApp;

pub const CALL_FIELDS: &str = "id receivedAt channel region province callerType category topics \
     durationSeconds caseIds version counsellingSessions { id callId startedAt durationMinutes topics }";
pub const CASE_FIELDS: &str = "id status openedAt closedAt region exploitationTypes callIds version \
     persons { id role gender birthYear fullName phone erased } \
     referrals { id caseId agency status outcome referredAt personsAtRisk personsRescued consentOverridden } \
     rescues { id caseId referralId rescuedAt personsRescued region country } \
     supportProvided { id service providedAt personId }";
pub const REFERRAL_FIELDS: &str =
    "id caseId agency status outcome referredAt personsAtRisk personsRescued consentOverridden";

pub fn receive_call_doc() -> String {
    format!(
        "mutation($input: ReceiveCallInput!) {{ receiveCall(input: $input) {{ {CALL_FIELDS} }} }}"
    )
}
pub fn open_case_doc() -> String {
    format!("mutation($input: OpenCaseInput!) {{ openCase(input: $input) {{ {CASE_FIELDS} }} }}")
}
pub fn send_referral_doc() -> String {
    format!("mutation($input: SendReferralInput!) {{ sendReferral(input: $input) {{ {REFERRAL_FIELDS} }} }}")
}
pub fn update_referral_doc() -> String {
    format!("mutation($input: UpdateReferralInput!) {{ updateReferral(input: $input) {{ {REFERRAL_FIELDS} }} }}")
}
pub fn case_doc() -> String {
    format!("query($id: UUID!) {{ case(id: $id) {{ {CASE_FIELDS} }} }}")
}

/// An RFC 3339 instant `minutes` ago.
pub fn ago(minutes: i64) -> String {
    (Utc::now() - Duration::minutes(minutes)).to_rfc3339()
}

/// A VOICE call in Hà Nội a while ago; returns its id.
pub async fn a_call(app: &TestApp, token: &str) -> Uuid {
    let answer = app
        .gql(
            token,
            &receive_call_doc(),
            json!({"input": {"receivedAt": ago(600), "channel": "VOICE", "province": "HA_NOI",
                              "callerType": "VICTIM", "category": "REFERRAL_REQUEST"}}),
        )
        .await;
    id_of(answer.data("receiveCall"))
}

/// A case opened from a fresh call, with one consenting victim; returns its id.
pub async fn a_case(app: &TestApp, token: &str) -> Uuid {
    let call = a_call(app, token).await;
    let answer = app
        .gql(
            token,
            &open_case_doc(),
            json!({"input": {"fromCallId": call, "openedAt": ago(590), "exploitationTypes": ["FORCED_LABOUR"],
                              "persons": [{"role": "VICTIM", "gender": "FEMALE", "birthYear": 2001}]}}),
        )
        .await;
    id_of(answer.data("openCase"))
}

/// A referral with consent on `case`; returns its id.
pub async fn a_referral(app: &TestApp, token: &str, case: Uuid, agency: &str) -> Uuid {
    let answer = app
        .gql(
            token,
            &send_referral_doc(),
            json!({"input": {"caseId": case, "agency": agency, "referredAt": ago(500), "personsAtRisk": 2,
                              "consent": {"given": true}}}),
        )
        .await;
    id_of(answer.data("sendReferral"))
}

pub fn id_of(node: &Value) -> Uuid {
    node["id"]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .unwrap_or_else(|| panic!("no id in {node}"))
}

/// The stream's sequences as stored, in order.
pub async fn sequences(pool: &sqlx::PgPool, aggregate_type: &str, id: Uuid) -> Vec<i64> {
    sqlx::query_scalar("SELECT sequence FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence")
        .bind(aggregate_type)
        .bind(id.to_string())
        .fetch_all(pool)
        .await
        .expect("events readable")
}

/// The read models' tables, for comparing incremental and rebuilt contents.
pub const READ_MODEL_TABLES: [&str; 11] = [
    "calls",
    "cases",
    "follow_ups",
    "referrals",
    "statistics_calls_by_category",
    "statistics_calls_by_channel",
    "statistics_counselling_sessions",
    "statistics_cases_opened",
    "statistics_referrals",
    "statistics_facts",
    "statistics_cells",
];

/// A digest of every read-model table's rows, order-independent.
pub async fn read_model_digest(pool: &sqlx::PgPool) -> Vec<(String, i64, Option<String>)> {
    let mut digest = Vec::new();
    for table in READ_MODEL_TABLES {
        let row: (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"
        ))
        .fetch_one(pool)
        .await
        .expect("read model readable");
        digest.push((table.to_string(), row.0, row.1));
    }
    digest
}

/// Waits until every projection has applied the whole log.
pub async fn caught_up(pool: &sqlx::PgPool) {
    projections::wait_until_caught_up(pool, std::time::Duration::from_secs(60))
        .await
        .expect("projections catch up");
}
