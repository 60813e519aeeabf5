//! A projection that cannot read an event stops at it, says so (without
//! the payload), retries, and never skips it; an upcaster gets it moving.

mod common;

use std::time::Duration;

use common::hotline::{call_received, local, open_case, receive_call, NewCall};
use common::{eventually, settings, status_of, TestDb};
use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use domain::values::Region;
use store::EventStore;

const WAIT: Duration = Duration::from_secs(30);

/// Reads the hypothetical version 0.9 of CallReceived, which named
/// `caller_type` `caller` and carried a free-text `caller_name`.
struct CallerRenamed;

impl EventUpcaster for CallerRenamed {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        event_type == "CallReceived" && event_version == "0.9"
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        if let Some(fields) = event
            .payload
            .get_mut("CallReceived")
            .and_then(|f| f.as_object_mut())
        {
            if let Some(caller) = fields.remove("caller") {
                fields.insert("caller_type".into(), caller);
            }
            fields.remove("caller_name");
        }
        event.event_version = "1.0".into();
        event
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projection_stops_at_an_unreadable_event_and_resumes_once_it_reads() {
    let db = TestDb::new().await;
    receive_call(&db.store, NewCall::at(local(2021, 11, 1, 9, 0))).await;
    // An old-shaped event, as an earlier version would have written it.
    let (_, mut old) = call_received(local(2021, 11, 1, 10, 0), Region::Northeast);
    let fields = old
        .payload
        .get_mut("CallReceived")
        .and_then(|f| f.as_object_mut())
        .expect("fields");
    let caller = fields.remove("caller_type").expect("caller_type");
    fields.insert("caller".into(), caller);
    fields.insert("caller_name".into(), "Nguyen Thi Secret".into());
    old.event_version = "0.9".into();
    let mut tx = db.pool.begin().await.expect("begin");
    let old_position = store::log::append(&mut tx, &[old]).await.expect("append")[0];
    tx.commit().await.expect("commit");
    receive_call(&db.store, NewCall::at(local(2021, 11, 1, 11, 0))).await;

    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    let stuck = eventually("calls to report the unreadable event", WAIT, || async {
        let status = projections::status(&db.pool).await.expect("status");
        status
            .into_iter()
            .find(|s| s.name == "calls" && s.failed_at.is_some())
    })
    .await;
    assert_eq!(stuck.failed_at, Some(old_position));
    let error = stuck.error.expect("an error text");
    assert!(
        error.contains("CallReceived") && error.contains(&old_position.to_string()),
        "{error}"
    );
    assert!(
        !error.contains("Nguyen") && !error.contains("caller"),
        "no payload in the error: {error}"
    );
    assert_eq!(
        stuck.lag, 2,
        "it neither applied nor skipped the event, nor stepped past it"
    );
    let calls: i64 = sqlx::query_scalar("SELECT count(*) FROM calls")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(calls, 1);

    // Projections that do not read calls are not held back.
    let case = open_case(&db.store, local(2021, 11, 2, 9, 0), Region::Southeast).await;
    eventually("cases to go on", WAIT, || async {
        let found: Option<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM cases")
            .fetch_optional(&db.pool)
            .await
            .expect("cases");
        (found == Some(case)).then_some(())
    })
    .await;
    let statistics = status_of(&db.pool, "statistics").await;
    assert_eq!(
        statistics.failed_at,
        Some(old_position),
        "statistics reads calls too"
    );
    runtime.shutdown().await;

    // A release with the upcaster reads it, and the projections move on.
    let upcasting = EventStore::new(db.pool.clone(), vec![Box::new(CallerRenamed)]);
    let runtime = projections::spawn(db.pool.clone(), upcasting, settings(100));
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");
    let status = projections::status(&db.pool).await.expect("status");
    assert!(
        status
            .iter()
            .all(|s| s.failed_at.is_none() && s.error.is_none()),
        "{status:?}"
    );
    let calls: i64 = sqlx::query_scalar("SELECT count(*) FROM calls")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(calls, 3);
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_the_database_refuses_is_narrowed_down_to_the_event() {
    let db = TestDb::new().await;
    let first = receive_call(&db.store, NewCall::at(local(2021, 11, 3, 9, 0))).await;
    receive_call(&db.store, NewCall::at(local(2021, 11, 3, 9, 5))).await;
    // A stream that claims the first call's id: the model refuses a second row for it.
    let (_, mut twin) = call_received(local(2021, 11, 3, 9, 10), Region::Northeast);
    let fields = twin
        .payload
        .get_mut("CallReceived")
        .and_then(|f| f.as_object_mut())
        .expect("fields");
    fields.insert("call_id".into(), first.to_string().into());
    let mut tx = db.pool.begin().await.expect("begin");
    let twin_position = store::log::append(&mut tx, &[twin]).await.expect("append")[0];
    tx.commit().await.expect("commit");
    receive_call(&db.store, NewCall::at(local(2021, 11, 3, 9, 15))).await;

    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    let stuck = eventually("calls to pin the refused event down", WAIT, || async {
        let status = projections::status(&db.pool).await.expect("status");
        status
            .into_iter()
            .find(|s| s.name == "calls" && s.failed_at.is_some())
    })
    .await;
    assert_eq!(stuck.failed_at, Some(twin_position));
    assert_eq!(
        stuck.error.as_deref(),
        Some("database error 23505 on table calls (constraint calls_pkey)")
    );
    assert_eq!(
        stuck.lag, 2,
        "the events before it were applied one by one, none after it"
    );
    let calls: i64 = sqlx::query_scalar("SELECT count(*) FROM calls")
        .fetch_one(&db.pool)
        .await
        .expect("count");
    assert_eq!(calls, 2);
    runtime.shutdown().await;
}

/// A model that counts days in another time zone than the server's stays
/// stopped, however many retries pass, and keeps its zone: the first retry
/// used to write the server's zone over it and go on counting in the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_counted_in_another_time_zone_stays_stopped_and_keeps_its_zone() {
    let db = TestDb::new().await;
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(10));
    receive_call(&db.store, NewCall::at(local(2021, 7, 1, 9, 0))).await;
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");
    runtime.shutdown().await;
    // As if a rebuild had counted the statistics in UTC.
    sqlx::query("UPDATE projection_checkpoints SET time_zone = 'UTC' WHERE name = 'statistics'")
        .execute(&db.pool)
        .await
        .expect("zone set");

    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(10));
    receive_call(&db.store, NewCall::at(local(2021, 7, 2, 9, 0))).await;
    let stopped = eventually("statistics to stop on the zone", WAIT, || async {
        let status = projections::status(&db.pool).await.expect("status");
        status
            .into_iter()
            .find(|s| s.name == "statistics" && s.is_stopped())
    })
    .await;
    assert!(
        stopped.error.as_deref().unwrap_or("").contains("UTC"),
        "{stopped:?}"
    );
    // Several retries (the poll interval is 50 ms, backoff doubling from it).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let (zone, calls): (Option<String>, i64) = sqlx::query_as(
        "SELECT c.time_zone, (SELECT coalesce(sum(calls), 0)::bigint FROM statistics_calls_by_category \
                             WHERE grain = 'day') \
         FROM projection_checkpoints c WHERE c.name = 'statistics'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("checkpoint");
    assert_eq!(zone.as_deref(), Some("UTC"), "the model keeps its zone");
    assert_eq!(calls, 1, "nothing counted in the server's zone on top");
    let statistics = status_of(&db.pool, "statistics").await;
    assert!(
        statistics.is_stopped() && statistics.lag > 0,
        "{statistics:?}"
    );
    runtime.shutdown().await;
}
