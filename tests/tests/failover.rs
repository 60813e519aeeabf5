//! Two `casetrail serve` processes on one database: both serve writes,
//! each projection runs in exactly one of them, and when that process dies
//! the other takes the projections over and catches up.

use std::time::{Duration, Instant};

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{client, post_graphql, token, TestDatabase};
use casetrail_tests::process::ServerProcess;
use casetrail_tests::waiting::until;
use domain::values::Role;
use serde_json::json;

#[tokio::test]
async fn when_the_process_running_the_projections_is_killed_the_other_takes_over_and_catches_up() {
    let db = TestDatabase::create().await;
    let binary = env!("CARGO_BIN_EXE_casetrail");
    let first = ServerProcess::start(binary, &db.url, &[]);
    // The first process answers before its projector tasks have taken every
    // lock; a second one started at that moment could win some of them (a
    // split the runtime allows, but not what this test sets up).
    let took = until(
        Duration::from_secs(30),
        Duration::from_millis(20),
        || async { first.projections_held() >= projections::PROJECTIONS.len() },
    )
    .await;
    assert!(
        took,
        "the first process did not take the projections: {}",
        first.log()
    );
    let second = ServerProcess::start(binary, &db.url, &[]);
    let http = client();
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let calls = "query { calls(first: 100) { totalCount } }";
    let total = |address: String| {
        let http = http.clone();
        let supervisor = supervisor.clone();
        async move {
            post_graphql(&http, &address, Some(&supervisor), calls, json!({}))
                .await
                .data("calls")["totalCount"]
                .as_i64()
                .unwrap_or(-1)
        }
    };
    // Both serve writes.
    for server in [&first, &second] {
        for _ in 0..3 {
            let answer = post_graphql(&http, &server.address, Some(&counsellor), &receive_call_doc(),
                json!({"input": {"receivedAt": ago(5), "channel": "VOICE", "region": "NORTHEAST", "callerType": "CITIZEN", "category": "INFORMATION"}})).await;
            answer.data("receiveCall");
        }
    }
    let owner = db.owner().await;
    caught_up(&owner).await;
    assert_eq!(total(second.address.clone()).await, 6);

    // Exactly one process holds every projection (the first to start took them).
    let (mut holder, standby) = if first.projections_held() > 0 {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(
        holder.projections_held(),
        projections::PROJECTIONS.len(),
        "{}",
        holder.log()
    );
    assert_eq!(standby.projections_held(), 0);
    holder.kill();

    // Writes go on through the survivor, which takes the projections over.
    for _ in 0..5 {
        let answer = post_graphql(&http, &standby.address, Some(&counsellor), &receive_call_doc(),
            json!({"input": {"receivedAt": ago(4), "channel": "ZALO", "region": "NORTHWEST", "callerType": "VICTIM", "category": "COUNSELLING"}})).await;
        answer.data("receiveCall");
    }
    // Each projection is taken over as its lock frees (polled), then caught up.
    let deadline = Instant::now() + Duration::from_secs(60);
    while standby.projections_held() < projections::PROJECTIONS.len()
        || total(standby.address.clone()).await != 11
    {
        assert!(
            Instant::now() < deadline,
            "the survivor did not take over and catch up: {}",
            standby.log()
        );
        tokio::task::yield_now().await;
    }
    caught_up(&owner).await;
    let statuses = post_graphql(
        &http,
        &standby.address,
        Some(&supervisor),
        "{ projections { name lag } }",
        json!({}),
    )
    .await;
    for status in statuses
        .data("projections")
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        assert_eq!(status["lag"], 0, "{status}");
    }
}
