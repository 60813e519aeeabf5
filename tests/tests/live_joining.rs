//! The live tailer reads nothing while nobody is subscribed: it moves its
//! cursor to the readable head instead (`projections/src/live/read.rs`,
//! `pass_over`). A subscriber that joins while calls are being recorded
//! must still get every call after its position, with none skipped where
//! its catch-up from the log hands over to the broadcast.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use casetrail_tests::fixtures::{ago, receive_call_doc};
use casetrail_tests::harness::{client, post_graphql, spawn_app, token};
use casetrail_tests::live::{live_position, LiveClient};
use domain::values::Role;
use serde_json::json;

const CALLS: &str = "subscription($after: String) { callReceived(after: $after) { id } }";
/// Subscribers, one after another, each alone (so each joins a tailer that
/// has been passing over the log).
const ROUNDS: usize = 15;
/// Calls each subscriber reads before it leaves.
const EACH: usize = 4;

#[tokio::test]
async fn subscribers_who_join_one_at_a_time_while_calls_are_recorded_miss_none() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);

    // One writer, one call at a time: the order it was answered in is the log's.
    let recorded = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (recorded, stop) = (recorded.clone(), stop.clone());
        let (address, counsellor) = (app.address.clone(), counsellor.clone());
        tokio::spawn(async move {
            let http = client();
            while !stop.load(Ordering::Relaxed) {
                let answer = post_graphql(&http, &address, Some(&counsellor), &receive_call_doc(),
                    json!({"input": {"receivedAt": ago(5), "channel": "VOICE", "region": "SOUTHEAST", "callerType": "VICTIM", "category": "INFORMATION"}}))
                    .await;
                let id = answer.data("receiveCall")["id"]
                    .as_str()
                    .expect("an id")
                    .to_string();
                recorded.lock().expect("the list").push(id);
            }
        })
    };

    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let after = live_position(&app, &counsellor).await;
        let mut board = LiveClient::open(&app.address, &counsellor).await;
        board
            .subscribe("calls", CALLS, json!({"after": after}))
            .await;
        let mut seen = Vec::new();
        for _ in 0..EACH {
            let data = board.next_data("calls").await;
            seen.push(
                data["callReceived"]["id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
        }
        board.close().await;
        rounds.push(seen);
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("the writer ran");

    let recorded = recorded.lock().expect("the list").clone();
    for seen in rounds {
        let first = recorded
            .iter()
            .position(|id| *id == seen[0])
            .expect("a subscriber was sent a call that was recorded");
        assert_eq!(
            seen,
            recorded[first..first + EACH],
            "a subscriber skipped or reordered calls"
        );
    }
}
