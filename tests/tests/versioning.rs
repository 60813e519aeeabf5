//! Old event versions in a real log still read, through the upcasters, in
//! `call(id)` and `callHistory`: a `CounsellingSessionRecorded` 1.0 (with
//! minutes) written before version 2.0 (seconds) existed, chained correctly,
//! beside a 2.0 written through the API today; and a log whose chain
//! versions alternate (1 before RFC 8785 hashing, 2 since) verifies.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use casetrail_tests::independent::{self, EventRow};
use chrono::{DateTime, Utc};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

#[tokio::test]
async fn a_version_1_counselling_session_in_the_log_reads_through_call_and_call_history() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let supervisor = token(Role::Supervisor);
    let call = a_call(&app, &counsellor).await;

    // The event as the code before version 2.0 wrote it, appended by hand with its chain hash.
    let owner = app.db.owner().await;
    let rows = independent::all_rows(&owner).await;
    let head = rows
        .iter()
        .find(|r| r.aggregate_id == call.to_string() && r.sequence == 1)
        .expect("the call's first event");
    let session = Uuid::new_v4();
    let started_at = ago(595);
    let mut metadata = head.metadata.clone();
    metadata["occurred_at"] = json!(started_at);
    let recorded_at: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&owner)
        .await
        .expect("clock");
    let mut old = EventRow {
        position: 0,
        aggregate_type: "Call".into(),
        aggregate_id: call.to_string(),
        sequence: 2,
        event_type: "CounsellingSessionRecorded".into(),
        event_version: "1.0".into(),
        payload: json!({"CounsellingSessionRecorded": {
            "session_id": session, "started_at": started_at, "duration_minutes": 25,
            "topics": ["VICTIM_SUPPORT"], "notes": null}}),
        metadata,
        recorded_at,
        hash: vec![],
        // Inserted below without naming the column, as that code did: version 1.
        chain_version: 1,
    };
    old.hash = independent::event_hash(&head.hash, &old).to_vec();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                             payload, metadata, recorded_at, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&old.aggregate_type)
    .bind(&old.aggregate_id)
    .bind(old.sequence)
    .bind(&old.event_type)
    .bind(&old.event_version)
    .bind(&old.payload)
    .bind(&old.metadata)
    .bind(old.recorded_at)
    .bind(&old.hash)
    .execute(&owner)
    .await
    .expect("a version 1.0 event appended");

    let read = app
        .gql(
            &counsellor,
            &format!("query($id: UUID!) {{ call(id: $id) {{ {CALL_FIELDS} }} }}"),
            json!({"id": call}),
        )
        .await;
    let sessions = &read.data("call")["counsellingSessions"];
    assert_eq!(sessions[0]["id"], json!(session));
    assert_eq!(
        sessions[0]["durationMinutes"], 25,
        "1.0's minutes, through the upcaster"
    );

    // A new session today is written as 2.0, in seconds; both read side by side.
    let recorded = app
        .gql(
            &counsellor,
            "mutation($input: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $input) { counsellingSessions { durationMinutes } } }",
            json!({"input": {"callId": call, "startedAt": ago(590), "durationMinutes": 40, "topics": ["LEGAL"]}}),
        )
        .await;
    assert_eq!(
        recorded.data("recordCounsellingSession")["counsellingSessions"],
        json!([{"durationMinutes": 25}, {"durationMinutes": 40}])
    );
    let (version, payload): (String, Value) = sqlx::query_as(
        "SELECT event_version, payload FROM events WHERE aggregate_id = $1 AND sequence = 3",
    )
    .bind(call.to_string())
    .fetch_one(&owner)
    .await
    .expect("the new event");
    assert_eq!(version, "2.0");
    assert_eq!(
        payload["CounsellingSessionRecorded"]["duration_seconds"],
        2400
    );

    // History shows each event as recorded, and folds them through the upcasters.
    let history_doc = "query($id: UUID!, $v: Int) { callHistory(callId: $id, upToVersion: $v) { \
        events { sequence eventType eventVersion payload hash } \
        state { version counsellingSessions { id durationMinutes } } } }";
    let history = app.gql(&supervisor, history_doc, json!({"id": call})).await;
    let history = history.data("callHistory");
    let events = history["events"].as_array().expect("events");
    assert_eq!(events.len(), 3);
    assert_eq!(events[1]["eventVersion"], "1.0");
    assert_eq!(
        events[1]["payload"]["CounsellingSessionRecorded"]["duration_minutes"], 25,
        "as recorded, not rewritten"
    );
    assert_eq!(events[1]["hash"], json!(hex::encode(&old.hash)));
    assert_eq!(events[2]["eventVersion"], "2.0");
    assert_eq!(
        history["state"]["counsellingSessions"][0]["durationMinutes"],
        25
    );
    assert_eq!(
        history["state"]["counsellingSessions"][1]["durationMinutes"],
        40
    );
    let as_then = app
        .gql(&supervisor, history_doc, json!({"id": call, "v": 2}))
        .await;
    assert_eq!(
        as_then.data("callHistory")["state"],
        json!({"version": 2, "counsellingSessions": [{"id": session, "durationMinutes": 25}]})
    );

    // The hand-written 1.0 event chains like any other, under chain version 1
    // between two version-2 events: each verifies by its own formula.
    let versions: Vec<i16> = sqlx::query_scalar(
        "SELECT chain_version FROM events WHERE aggregate_id = $1 ORDER BY sequence",
    )
    .bind(call.to_string())
    .fetch_all(&owner)
    .await
    .expect("versions");
    assert_eq!(versions, [2, 1, 2]);
    let integrity = app
        .gql(
            &supervisor,
            "{ verifyIntegrity { ok eventsChecked failures { sequence } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        integrity.data("verifyIntegrity")["ok"],
        true,
        "{:?}",
        integrity.body
    );
}
