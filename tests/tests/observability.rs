//! `/metrics` exposes what an on-call operator needs, by name.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use domain::values::Role;

#[tokio::test]
async fn metrics_name_requests_command_latency_events_and_the_pool() {
    let app = spawn_app().await;
    a_case(&app, &token(Role::Counsellor)).await;
    let refused = app
        .gql(
            &token(Role::Analyst),
            &receive_call_doc(),
            serde_json::json!({"input": {}}),
        )
        .await;
    assert!(refused.code().is_some());
    let response = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/plain"));
    let text = response.text().await.expect("text");
    for name in [
        "casetrail_requests_total{operation=\"receiveCall\",outcome=\"ok\"}",
        "casetrail_requests_total{operation=\"openCase\",outcome=\"ok\"}",
        "casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"+Inf\"}",
        "casetrail_command_duration_seconds_count{stream=\"Call\"}",
        "casetrail_events_appended_total",
        "casetrail_command_conflicts_total",
        "casetrail_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics:\n{text}");
    }
    let appended: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("casetrail_events_appended_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default();
    assert!(
        appended >= 4.0,
        "call received, case opened, person attached, call linked: {appended}"
    );
}
