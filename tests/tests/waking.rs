//! Waking the projectors of another process (`store/src/wake.rs`): commit
//! groups do not notify inside their transaction; once a group committed,
//! the writing process wakes its own readers in memory and sends one
//! NOTIFY for everyone else, and every server notifies once when it starts.
//! Idle projectors have no timer, so a read model that reaches a write of
//! another process was woken by its NOTIFY.

use std::time::Duration;

use casetrail_tests::harness::TestDatabase;
use casetrail_tests::process::ServerProcess;
use casetrail_tests::waiting::until;
use chrono::Utc;
use cqrs_es::DomainEvent;
use domain::call::{Call, CallCommand, ReceiveCall};
use domain::clock::Clock;
use domain::occurred::OccurredAt;
use domain::values::{CallCategory, CallerType, Channel, Region, Role};
use store::hash::{chain_hash, ChainVersion, ChainedFields, GENESIS};
use store::integrity::{verify, Scope};
use store::{decide, Actor, CommandContext, Loaded};
use uuid::Uuid;

const PATIENCE: Duration = Duration::from_secs(30);
const EVERY: Duration = Duration::from_millis(20);

/// A server that runs every projection (started alone on the database).
async fn projecting_server(db: &TestDatabase) -> ServerProcess {
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_casetrail"), &db.url, &[]);
    let took = until(PATIENCE, EVERY, || async {
        server.projections_held() >= projections::PROJECTIONS.len()
    })
    .await;
    assert!(
        took,
        "the server did not take the projections: {}",
        server.log()
    );
    server
}

#[tokio::test]
async fn calls_taken_through_one_server_reach_the_read_models_the_other_server_projects() {
    let db = TestDatabase::create().await;
    let projecting = projecting_server(&db).await;
    let taking = ServerProcess::start(env!("CARGO_BIN_EXE_casetrail"), &db.url, &[]);
    for _ in 0..3 {
        taking.receive_call().await;
    }
    let projected = until(PATIENCE, EVERY, || async {
        projecting.calls_listed().await == 3
    })
    .await;
    assert!(
        projected,
        "the projecting server's read model did not reach the other server's calls: {}",
        projecting.log()
    );
    // The writes were projected there, not by the server that took them.
    assert_eq!(taking.projections_held(), 0, "{}", taking.log());
    assert_eq!(taking.calls_listed().await, 3);
}

/// Records a call as a writer that dies between its commit and its NOTIFY
/// leaves it: committed (a correct event with its chain hash, inserted
/// by the database owner), and nobody notified.
async fn call_committed_without_notify(owner: &sqlx::PgPool) -> Uuid {
    let id = Uuid::now_v7();
    let mut call = Loaded {
        id,
        state: std::sync::Arc::new(Call::default()),
        version: 0,
    };
    let command = CallCommand::Receive(ReceiveCall {
        call_id: id,
        received_at: Utc::now() - chrono::Duration::minutes(5),
        channel: Channel::Voice,
        region: Some(Region::CentralHighlands),
        province: None,
        country: None,
        caller_type: CallerType::Citizen,
        category: CallCategory::Information,
        topics: vec![],
        category_code: None,
        topic_codes: vec![],
        duration: None,
    });
    let events = decide(&mut call, command, &Clock::system())
        .await
        .expect("receives");
    let event = &events[0];
    let ctx = CommandContext::new(
        Actor {
            subject: "test-counsellor".into(),
            role: Role::Counsellor,
        },
        format!("corr-{}", Uuid::new_v4()),
    );
    let metadata = serde_json::to_value(ctx.metadata(event.occurred_at())).expect("metadata");
    let payload = serde_json::to_value(event).expect("payload");
    let recorded_at = store::log::recording_time();
    let (event_type, event_version) = (event.event_type(), event.event_version());
    let hash = chain_hash(
        &GENESIS,
        &ChainedFields {
            version: ChainVersion::CURRENT,
            aggregate_type: "Call",
            aggregate_id: &id.to_string(),
            sequence: 1,
            event_type: &event_type,
            event_version: &event_version,
            payload: &payload,
            metadata: &metadata,
            recorded_at,
        },
    );
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                             payload, metadata, recorded_at, hash, chain_version) \
         VALUES ('Call', $1, 1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(&event_type)
    .bind(&event_version)
    .bind(&payload)
    .bind(&metadata)
    .bind(recorded_at)
    .bind(hash.to_vec())
    .bind(ChainVersion::CURRENT.number())
    .execute(owner)
    .await
    .expect("the call is committed");
    id
}

#[tokio::test]
async fn a_call_committed_without_its_notify_is_projected_once_another_server_starts() {
    let db = TestDatabase::create().await;
    let projecting = projecting_server(&db).await;
    // One call through the server itself, so that its projectors have run
    // and gone idle: the calls projector's last step read that call.
    projecting.receive_call().await;
    let idle = until(PATIENCE, EVERY, || async {
        projecting.calls_listed().await == 1
    })
    .await;
    assert!(idle, "{}", projecting.log());

    let owner = db.owner().await;
    call_committed_without_notify(&owner).await;
    // Nothing woke the idle projectors: no process notified, and they
    // have no timer.
    assert_eq!(projecting.calls_listed().await, 1);

    // A fresh process (a writer restarted after dying between its commit
    // and its NOTIFY) notifies once it has migrated.
    let restarted = ServerProcess::start(env!("CARGO_BIN_EXE_casetrail"), &db.url, &[]);
    let projected = until(PATIENCE, EVERY, || async {
        projecting.calls_listed().await == 2
    })
    .await;
    assert!(
        projected,
        "the call committed without a notify was not projected after a server started: {}",
        projecting.log()
    );
    assert_eq!(restarted.projections_held(), 0, "{}", restarted.log());
    // The hand-written event is a correct one: the log still verifies.
    let report = verify(&owner, &Scope::default()).await.expect("verify");
    assert!(report.ok() && report.events_checked == 2, "{report:?}");
}
