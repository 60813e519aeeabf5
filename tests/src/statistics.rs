//! What the statistics suites by province share (`statistics_provinces.rs`,
//! `statistics_record_keys.rs`): cases opened in a province with their
//! referrals, and the statistics query of the province breakdowns.

use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{token, TestApp};

const OPEN: &str = "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }";
const REFER: &str = "mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }";

pub const BY_PROVINCE: &str = "query($from: Date!, $to: Date!, $region: Region, $map: Date) { \
    statistics(from: $from, to: $to, region: $region, map: $map) { \
    minCellSize map casesOpened referrals \
    casesOpenedByProvince { code count suppressed monthly { month count suppressed } } \
    referralsByProvince { code count suppressed monthly { month count suppressed } } \
    callsByProvince { code count monthly { month count } } } }";

/// Opens a case (in `province`, or in `region` alone) and sends one
/// referral per id in `referrals`, an hour after the opening.
pub async fn case_in(
    app: &TestApp,
    id: Uuid,
    place: (&str, &str),
    opened_at: chrono::DateTime<chrono::Utc>,
    referrals: &[Uuid],
) {
    let counsellor = token(Role::Counsellor);
    let mut input = json!({"id": id, "openedAt": opened_at.to_rfc3339()});
    input[place.0] = json!(place.1);
    app.gql(&counsellor, OPEN, json!({ "input": input }))
        .await
        .data("openCase");
    let referred_at = opened_at + chrono::Duration::minutes(60);
    for (i, referral) in referrals.iter().enumerate() {
        let agency = ["CRIMINAL_POLICE", "WOMENS_UNION"][i % 2];
        app.gql(
            &counsellor,
            REFER,
            json!({"input": {"id": referral, "caseId": id, "agency": agency,
                "referredAt": referred_at.min(chrono::Utc::now()).to_rfc3339(),
                "personsAtRisk": 1, "consent": {"given": true}}}),
        )
        .await
        .data("sendReferral");
    }
}

/// An instant from RFC 3339 text.
pub fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().unwrap_or_default()
}

/// The province breakdowns ([`BY_PROVINCE`]) as `role` reads them.
pub async fn by_province(app: &TestApp, role: Role, variables: Value) -> Value {
    app.gql(&token(role), BY_PROVINCE, variables)
        .await
        .data("statistics")
        .clone()
}

/// The row of `code` in the breakdown `field`.
pub fn row(answer: &Value, field: &str, code: &str) -> Value {
    answer[field]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["code"] == code))
        .cloned()
        .unwrap_or_default()
}

/// A breakdown row's count and its months' counts, as published.
pub fn with_months(answer: &Value, field: &str, code: &str) -> (Value, Vec<(String, Value)>) {
    let r = row(answer, field, code);
    let months = r["monthly"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    (
                        m["month"].as_str().unwrap_or("").to_string(),
                        m["count"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (r["count"].clone(), months)
}
