//! The projector never skips an event and never applies one twice: not when
//! transactions commit out of position order, not when it is killed.

mod common;

use std::time::Duration;

use common::hotline::{call_received, local, receive_call, NewCall};
use common::{eventually, settings, TestDb};
use domain::values::Region;
use sqlx::PgPool;

const WAIT: Duration = Duration::from_secs(30);

async fn calls_in_model(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM calls")
        .fetch_one(pool)
        .await
        .expect("count calls")
}

/// Calls in the statistics rollups, at both grains (the same in both breakdowns).
async fn calls_in_statistics(pool: &PgPool) -> (i64, i64) {
    let mut sums = Vec::new();
    for table in [
        "statistics_calls_by_category",
        "statistics_calls_by_channel",
    ] {
        let sum: (i64, i64) = sqlx::query_as(&format!(
            "SELECT coalesce(sum(calls) FILTER (WHERE grain = 'day'), 0)::bigint, \
                    coalesce(sum(calls) FILTER (WHERE grain = 'month'), 0)::bigint FROM {table}"
        ))
        .fetch_one(pool)
        .await
        .expect("sum statistics");
        sums.push(sum);
    }
    assert_eq!(sums[0], sums[1], "both breakdowns count every call");
    sums[0]
}

/// CallReceived events at or before a projection's checkpoint.
async fn calls_before_checkpoint(pool: &PgPool, projection: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM events e JOIN projection_checkpoints c ON c.name = $1 \
         WHERE e.event_type = 'CallReceived' \
           AND (e.transaction_id, e.position) <= (c.transaction_id, c.position)",
    )
    .bind(projection)
    .fetch_one(pool)
    .await
    .expect("count events before the checkpoint")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_that_commits_late_is_counted_exactly_once() {
    let db = TestDb::new().await;
    let first = receive_call(&db.store, NewCall::at(local(2021, 5, 1, 9, 0))).await;

    // A slow transaction takes a position, then a fast one takes a later
    // position and commits while the slow one is still open.
    let (slow_call, slow_event) = call_received(local(2021, 5, 1, 10, 0), Region::Northeast);
    let (fast_call, fast_event) = call_received(local(2021, 5, 1, 11, 0), Region::Northwest);
    let mut slow = db.pool.begin().await.expect("begin slow");
    let slow_position = store::log::append(&mut slow, &[slow_event])
        .await
        .expect("append slow")[0];
    let mut fast = db.pool.begin().await.expect("begin fast");
    let fast_position = store::log::append(&mut fast, &[fast_event])
        .await
        .expect("append fast")[0];
    fast.commit().await.expect("commit fast");
    assert!(slow_position < fast_position);

    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(100));
    // The projector has run once it applied the first call; it must not have
    // stepped past the open transaction to the fast one, though that one is visible.
    eventually("the first call to be projected", WAIT, || async {
        (calls_in_model(&db.pool).await == 1).then_some(())
    })
    .await;
    let only: uuid::Uuid = sqlx::query_scalar("SELECT id FROM calls")
        .fetch_one(&db.pool)
        .await
        .expect("id");
    assert_eq!(only, first);
    let calls = projections::status(&db.pool)
        .await
        .expect("status")
        .remove(0);
    assert_eq!(
        (calls.name.as_str(), calls.lag),
        ("calls", 1),
        "the fast call waits: {calls:?}"
    );

    slow.commit().await.expect("commit slow");
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");

    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM calls ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .expect("ids");
    let mut expected = vec![first, slow_call, fast_call];
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(calls_in_statistics(&db.pool).await, (3, 3));
    let stats = projections::queries::statistics(
        &db.pool,
        chrono::NaiveDate::from_ymd_opt(2021, 5, 1).expect("day"),
        chrono::NaiveDate::from_ymd_opt(2021, 5, 1).expect("day"),
        None,
        1,
    )
    .await
    .expect("statistics");
    assert_eq!(stats.total_calls, 3);
    assert_eq!(
        stats.as_of_position, fast_position,
        "the highest applied position"
    );
    for status in projections::status(&db.pool).await.expect("status") {
        assert_eq!(
            (status.lag, status.position, status.head_position),
            (0, fast_position, fast_position),
            "{status:?}"
        );
    }
    runtime.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_projector_killed_between_batches_resumes_without_double_counting() {
    let db = TestDb::new().await;
    const CALLS: i64 = 120;
    for i in 0..CALLS {
        let at = local(2021, 6, 1 + (i % 28) as u32, 8, (i % 60) as u32);
        receive_call(&db.store, NewCall::at(at)).await;
    }

    // One event per batch, so that the kill lands with some batches done and some not.
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(1));
    eventually("every projection to be part-way", WAIT, || async {
        let status = projections::status(&db.pool).await.expect("status");
        status
            .iter()
            .all(|s| s.position > 0 && s.lag > 0)
            .then_some(())
    })
    .await;
    drop(runtime); // aborts the tasks: their sessions end, mid-batch or not

    eventually("the killed sessions to end", WAIT, || async {
        let status = projections::status(&db.pool).await.expect("status");
        status.iter().all(|s| !s.running).then_some(status)
    })
    .await;
    // What was committed is exactly what the checkpoints say.
    let applied = calls_before_checkpoint(&db.pool, "calls").await;
    assert!(applied > 0 && applied < CALLS, "killed part-way: {applied}");
    assert_eq!(calls_in_model(&db.pool).await, applied);
    let in_statistics = calls_before_checkpoint(&db.pool, "statistics").await;
    assert_eq!(
        calls_in_statistics(&db.pool).await,
        (in_statistics, in_statistics)
    );

    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings(7));
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up after restart");
    assert_eq!(calls_in_model(&db.pool).await, CALLS);
    assert_eq!(calls_in_statistics(&db.pool).await, (CALLS, CALLS));
    runtime.shutdown().await;
    let status = projections::status(&db.pool).await.expect("status");
    assert!(
        status
            .iter()
            .all(|s| !s.running && s.lag == 0 && s.error.is_none()),
        "{status:?}"
    );
}
