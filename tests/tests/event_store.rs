//! The event store beneath the API: one write path that refuses unattributed
//! events, snapshots that keep loads exact, and a hash chain that catches tampering.

use casetrail_tests::harness::TestDatabase;
use chrono::{Duration, Utc};
use cqrs_es::DomainEvent;
use domain::call::{Call, CallEvent};
use domain::case::{Case, CaseCommand, OpenCase, ProvideSupport};
use domain::clock::Clock;
use domain::values::{CallCategory, CallerType, Channel, Region, Role, SupportService};
use store::integrity::{verify, Scope};
use store::log::{NewEvent, StreamRange};
use store::{decide, Actor, CommandContext, EventMetadata, EventStore, StoreError, UnitOfWork};
use uuid::Uuid;

fn ctx() -> CommandContext {
    CommandContext::new(
        Actor {
            subject: "test".into(),
            role: Role::Supervisor,
        },
        "corr-1".into(),
    )
}

/// The one write path refuses an event that does not say who recorded it,
/// in which request and by which command, and writes nothing of the batch.
#[tokio::test]
async fn an_event_without_its_attribution_is_refused_and_nothing_is_written() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let id = Uuid::new_v4();
    let event = CallEvent::CallReceived {
        call_id: id,
        received_at: Utc::now() - Duration::minutes(3),
        channel: Channel::Voice,
        region: Region::Southeast,
        province: None,
        country: None,
        caller_type: CallerType::Citizen,
        category: CallCategory::Information,
        topics: vec![],
        duration_seconds: None,
        category_code: None,
        topic_codes: vec![],
    };
    let attributed = ctx().metadata(None);
    let unattributed = [
        EventMetadata {
            actor: " ".into(),
            ..attributed.clone()
        },
        EventMetadata {
            correlation_id: String::new(),
            ..attributed.clone()
        },
        EventMetadata {
            causation_id: String::new(),
            ..attributed.clone()
        },
    ];
    let received = |metadata| NewEvent {
        aggregate_type: "Call".into(),
        aggregate_id: id.to_string(),
        sequence: 1,
        event_type: event.event_type(),
        event_version: event.event_version(),
        payload: serde_json::to_value(&event).expect("payload"),
        metadata,
    };
    for metadata in unattributed {
        let mut tx = pool.begin().await.expect("tx");
        let refused = store::log::append(&mut tx, &[received(metadata)]).await;
        assert!(
            matches!(refused, Err(StoreError::Unattributed(_))),
            "{refused:?}"
        );
        tx.commit().await.expect("commit");
    }
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(written, 0);

    // The same event with its attribution goes in, chained.
    let mut tx = pool.begin().await.expect("tx");
    store::log::append(&mut tx, &[received(attributed)])
        .await
        .expect("appends");
    tx.commit().await.expect("commit");
    let call = EventStore::new(pool.clone(), vec![])
        .load::<Call>(id)
        .await
        .expect("loads");
    assert_eq!(call.version, 1);
    let report = verify(&pool, &Scope::default()).await.expect("verify");
    assert!(report.ok(), "{report:?}");
    let version: i16 = sqlx::query_scalar("SELECT chain_version FROM events")
        .fetch_one(&pool)
        .await
        .expect("version");
    assert_eq!(
        version, 2,
        "new events are hashed with RFC 8785 (chain version 2)"
    );
}

/// Chain version 2 hashes RFC 8785 canonical JSON, exact for integers
/// within ±(2^53 - 1) only: an event holding any other number (a fraction,
/// a larger integer) is refused whole, and nothing of its batch is written.
#[tokio::test]
async fn an_event_holding_a_number_that_is_not_a_safe_integer_is_refused() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let event = |sequence: i64, payload: serde_json::Value| NewEvent {
        aggregate_type: "Probe".into(),
        aggregate_id: "1".into(),
        sequence,
        event_type: "Measured".into(),
        event_version: "1.0".into(),
        payload,
        metadata: ctx().metadata(None),
    };
    for number in [
        serde_json::json!(1.5),
        serde_json::json!(9_007_199_254_740_992_u64),
        serde_json::json!(-9_007_199_254_740_992_i64),
    ] {
        let mut tx = pool.begin().await.expect("tx");
        let batch = [
            event(1, serde_json::json!({"count": 3})),
            event(2, serde_json::json!({"nested": [{"value": number}]})),
        ];
        let refused = store::log::append(&mut tx, &batch).await;
        assert!(
            matches!(refused, Err(StoreError::Unhashable)),
            "{refused:?}"
        );
        tx.commit().await.expect("commit");
    }
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(written, 0);
    let mut tx = pool.begin().await.expect("tx");
    let largest = serde_json::json!({"value": 9_007_199_254_740_991_u64, "least": -9_007_199_254_740_991_i64});
    store::log::append(&mut tx, &[event(1, largest)])
        .await
        .expect("safe integers go in");
    tx.commit().await.expect("commit");
    let report = verify(&pool, &Scope::default()).await.expect("verify");
    assert!(report.ok() && report.events_checked == 1, "{report:?}");
}

async fn open(store: &EventStore, id: Uuid) {
    let mut case = store.load::<Case>(id).await.expect("load");
    let cmd = CaseCommand::Open(OpenCase {
        case_id: id,
        opened_at: Utc::now() - Duration::days(30),
        from_call: None,
        region: Some(Region::MekongDelta),
        province: None,
        exploitation_types: vec![],
        persons: vec![],
    });
    let events = decide(&mut case, cmd, &Clock::system())
        .await
        .expect("opens");
    let mut unit = UnitOfWork::new();
    unit.record(&mut case, &events, &ctx()).expect("record");
    store.commit(unit).await.expect("commit");
}

#[tokio::test]
async fn a_long_lived_case_is_snapshotted_and_loads_exactly_as_a_full_replay() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    // Snapshots are written and read only by a store that can verify them.
    let keys = store::vault::Vault::new([5; 32]);
    let store = EventStore::new(pool.clone(), vec![]).with_snapshot_keys(keys.master_keys());
    let id = Uuid::new_v4();
    open(&store, id).await;
    for i in 0..249 {
        let mut case = store.load::<Case>(id).await.expect("load");
        let cmd = CaseCommand::ProvideSupport(ProvideSupport {
            case_id: id,
            provision_id: Uuid::new_v4(),
            person_id: None,
            service: SupportService::ALL[i % SupportService::ALL.len()],
            provided_at: Utc::now() - Duration::days(29) + Duration::minutes(i as i64),
        });
        let events = decide(&mut case, cmd, &Clock::system())
            .await
            .expect("decides");
        let mut unit = UnitOfWork::new();
        unit.record(&mut case, &events, &ctx()).expect("record");
        store.commit(unit).await.expect("commit");
    }
    let snapshot: i64 =
        sqlx::query_scalar("SELECT max(last_sequence) FROM snapshots WHERE aggregate_id = $1")
            .bind(id.to_string())
            .fetch_one(&pool)
            .await
            .expect("a snapshot exists");
    assert_eq!(snapshot, 200);
    assert_eq!(
        store.verified_snapshot::<Case>(id).await.expect("snapshot"),
        Some(200)
    );
    let fast = store.load::<Case>(id).await.expect("load");
    let (full, events) = store
        .load_range::<Case>(id, StreamRange::default())
        .await
        .expect("replay");
    assert_eq!(fast.version, 250);
    assert_eq!(events.len(), 250);
    assert_eq!(fast.state, full.state);

    // A store under another master key cannot verify them, so it does not use them.
    let stranger = EventStore::new(pool.clone(), vec![])
        .with_snapshot_keys(store::vault::Vault::new([6; 32]).master_keys());
    assert_eq!(
        stranger.verified_snapshot::<Case>(id).await.expect("none"),
        None
    );
    assert_eq!(
        stranger.load::<Case>(id).await.expect("load").state,
        full.state
    );

    // A snapshot whose last event no longer has the hash it recorded (a
    // rewritten log) is not used: the one before it is.
    let owner = db.owner().await;
    let mut tx = owner.begin().await.expect("tx");
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .expect("bypass triggers");
    sqlx::query("UPDATE events SET hash = sha256(hash) WHERE aggregate_id = $1 AND sequence = 200")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .expect("rewrite");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.verified_snapshot::<Case>(id).await.expect("load"),
        Some(100)
    );

    // An edited snapshot is ignored, not trusted: the newest is edited, the
    // one before it is still sound and is used; then both are edited.
    let edit = "UPDATE snapshots SET payload = '{\"unexpected\": true}'::jsonb \
                WHERE aggregate_id = $1 AND last_sequence >= $2";
    for (from, expected) in [(200, Some(100)), (100, None)] {
        sqlx::query(edit)
            .bind(id.to_string())
            .bind(from)
            .execute(&owner)
            .await
            .expect("update");
        assert_eq!(
            store.verified_snapshot::<Case>(id).await.expect("load"),
            expected
        );
        let again = store.load::<Case>(id).await.expect("load");
        assert_eq!(again.state, full.state);
        assert_eq!(again.version, 250);
    }
}

#[tokio::test]
async fn a_superuser_edit_of_one_event_is_reported_at_that_stream_and_sequence() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let store = EventStore::new(pool.clone(), vec![]);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    open(&store, a).await;
    open(&store, b).await;
    let clean = verify(&pool, &Scope::default()).await.expect("verify");
    assert!(clean.ok());
    assert_eq!((clean.streams_checked, clean.events_checked), (2, 2));

    let owner = db.owner().await;
    let mut tx = owner.begin().await.expect("tx");
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .expect("bypass triggers");
    sqlx::query("UPDATE events SET payload = jsonb_set(payload, '{CaseOpened,region}', '\"SOUTHEAST\"') WHERE aggregate_id = $1")
        .bind(b.to_string())
        .execute(&mut *tx)
        .await
        .expect("tamper");
    tx.commit().await.expect("commit");
    let report = verify(&pool, &Scope::default()).await.expect("verify");
    assert!(!report.ok());
    assert_eq!(report.failures.len(), 1, "{report:?}");
    assert_eq!(report.failures[0].stream_id, b.to_string());
    assert_eq!(report.failures[0].sequence, 1);
}
