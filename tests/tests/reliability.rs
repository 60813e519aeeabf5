//! Faults under load: a server killed mid-stream loses no acknowledged
//! event and invents none; connections cut by the database recover by
//! themselves with clean errors meanwhile.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{client, post_graphql, token, TestDatabase};
use casetrail_tests::process::ServerProcess;
use domain::values::Role;
use serde_json::json;
use uuid::Uuid;

/// A call's input; `at` is fixed per test so that a retry is the same input.
fn receive(id: Uuid, at: &str) -> serde_json::Value {
    json!({"input": {"id": id, "receivedAt": at, "channel": "VOICE", "region": "SOUTHEAST", "callerType": "CITIZEN", "category": "INFORMATION"}})
}

#[tokio::test]
async fn a_server_killed_under_load_keeps_every_acknowledged_call_exactly_once_and_nothing_unsent()
{
    let db = TestDatabase::create().await;
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_casetrail"), &db.url, &[]);
    let address = server.address.clone();
    let sent: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
    let acknowledged: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
    let bearer = token(Role::Counsellor);
    let doc = receive_call_doc();
    let at = ago(30);
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let (sent, acknowledged, address, bearer, doc, at) = (
                sent.clone(),
                acknowledged.clone(),
                address.clone(),
                bearer.clone(),
                doc.clone(),
                at.clone(),
            );
            tokio::spawn(async move {
                let client = client();
                let deadline = Instant::now() + Duration::from_secs(30);
                while Instant::now() < deadline {
                    let id = Uuid::new_v4();
                    sent.lock().expect("lock").insert(id);
                    let request = client
                        .post(format!("{address}/graphql"))
                        .bearer_auth(&bearer)
                        .json(&json!({"query": doc, "variables": receive(id, &at)}))
                        .send()
                        .await;
                    let Ok(response) = request else { break };
                    let Ok(body) = response.json::<serde_json::Value>().await else {
                        break;
                    };
                    if body["data"]["receiveCall"]["id"] == json!(id) {
                        acknowledged.lock().expect("lock").insert(id);
                    }
                }
            })
        })
        .collect();
    // Kill it once a fair number of calls have been acknowledged, mid-stream.
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().expect("lock").len() < 300 && Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    server.kill();
    for writer in writers {
        let _ = writer.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let sent = sent.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 300,
        "only {} acknowledged before the kill",
        acknowledged.len()
    );

    // Restart on the same database: it serves again, and the log is whole.
    let restarted = ServerProcess::start(env!("CARGO_BIN_EXE_casetrail"), &db.url, &[]);
    let owner = db.owner().await;
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT aggregate_id, count(*) FROM events WHERE event_type = 'CallReceived' GROUP BY aggregate_id",
    )
    .fetch_all(&owner)
    .await
    .expect("events");
    let stored_ids: HashSet<Uuid> = stored
        .iter()
        .filter_map(|(id, _)| Uuid::parse_str(id).ok())
        .collect();
    assert!(stored.iter().all(|(_, n)| *n == 1), "a call recorded twice");
    assert!(
        acknowledged.is_subset(&stored_ids),
        "an acknowledged call was lost"
    );
    assert!(stored_ids.is_subset(&sent), "an event no one sent");
    let in_flight = stored_ids.difference(&acknowledged).count();
    assert!(
        in_flight <= 16,
        "{in_flight} unacknowledged events: more than the writers had in flight"
    );
    let verify = store::integrity::verify(&owner, &Default::default())
        .await
        .expect("verify");
    assert!(verify.ok(), "{verify:?}");
    // The projections converge to exactly what a rebuild from zero gives.
    caught_up(&owner).await;
    let incremental = read_model_digest(&owner).await;
    assert!(
        incremental[0].1 >= acknowledged.len() as i64,
        "calls read model: {:?}",
        incremental[0]
    );
    let rebuilt = std::process::Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["projections", "rebuild", "--database-url", &db.url])
        .output()
        .expect("rebuild runs");
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert_eq!(
        read_model_digest(&owner).await,
        incremental,
        "rebuilt read models differ"
    );
    // A retry of an acknowledged request after the restart is recognised.
    let any = *acknowledged.iter().next().expect("one");
    let retry = post_graphql(
        &client(),
        &restarted.address,
        Some(&bearer),
        &doc,
        receive(any, &at),
    )
    .await;
    assert!(retry.body.get("errors").is_none(), "{}", retry.body);
}

#[tokio::test]
async fn connections_cut_by_the_database_give_clean_errors_and_the_server_recovers_by_itself() {
    let db = TestDatabase::create().await;
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_casetrail"), &db.url, &[]);
    let client = client();
    let bearer = token(Role::Counsellor);
    let owner = db.owner().await;
    let doc = receive_call_doc();
    let mut outcomes = Vec::new();
    for round in 0..10 {
        // Cut every server connection, then write straight away.
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            .execute(&owner)
            .await
            .expect("terminate");
        let started = Instant::now();
        let answer = post_graphql(
            &client,
            &server.address,
            Some(&bearer),
            &doc,
            receive(Uuid::new_v4(), &ago(30)),
        )
        .await;
        assert!(
            started.elapsed() < Duration::from_secs(31),
            "round {round}: hung beyond the request timeout"
        );
        assert!(answer.status < 500, "round {round}: {}", answer.status);
        if let Some(code) = answer.code() {
            assert_eq!(code, "INTERNAL", "round {round}: {}", answer.body);
            let text = answer.body.to_string().to_lowercase();
            assert!(
                !text.contains("terminat") && !text.contains("connection") && !text.contains("sql"),
                "{text}"
            );
        }
        outcomes.push(answer.code().map(str::to_string));
    }
    // Recovery: without any restart, writes succeed again and /readyz is ready.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let answer = post_graphql(
            &client,
            &server.address,
            Some(&bearer),
            &doc,
            receive(Uuid::new_v4(), &ago(30)),
        )
        .await;
        if answer.code().is_none() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not recover: {}",
            answer.body
        );
    }
    let ready = client
        .get(format!("{}/readyz", server.address))
        .send()
        .await
        .expect("answer");
    assert_eq!(ready.status(), 200);
    eprintln!("outcomes right after each cut: {outcomes:?}");
}
