//! Two server processes on one database: each projection runs in exactly
//! one of them, and the other takes over when that one dies.

mod common;

use std::time::Duration;

use common::hotline::{local, receive_call, NewCall};
use common::{eventually, settings, TestDb};
use store::EventStore;

const WAIT: Duration = Duration::from_secs(30);
/// Every projection, in name order (as `holding` and `standing_by` list them).
const ALL: [&str; 5] = ["calls", "cases", "merkle_log", "referrals", "statistics"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_takes_over_when_the_holder_dies_and_catches_up() {
    let db = TestDb::new().await;
    let pool_b = db.another_pool().await;
    let store_b = EventStore::new(pool_b.clone(), Vec::new());

    let a = projections::spawn(db.pool.clone(), db.store.clone(), settings(50));
    eventually("A to run every projection", WAIT, || async {
        (a.holding() == ALL).then_some(())
    })
    .await;
    let b = projections::spawn(pool_b.clone(), store_b.clone(), settings(50));
    eventually("B to stand by for every projection", WAIT, || async {
        (b.standing_by() == ALL).then_some(())
    })
    .await;
    assert_eq!(a.holding(), ALL, "A still runs them all");
    assert!(b.holding().is_empty(), "B runs none while A lives");

    for i in 0..20 {
        receive_call(&db.store, NewCall::at(local(2021, 7, 1, 8, i))).await;
    }
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("A catches up");
    assert!(b.holding().is_empty(), "B still runs none");

    drop(a); // A dies: its sessions end, and with them its locks
    eventually("B to take every projection over", WAIT, || async {
        (b.holding() == ALL).then_some(())
    })
    .await;
    assert!(b.standing_by().is_empty());

    for i in 0..15 {
        receive_call(&store_b, NewCall::at(local(2021, 7, 2, 8, i))).await;
    }
    projections::wait_until_caught_up(&pool_b, WAIT)
        .await
        .expect("B catches up");
    let calls: i64 = sqlx::query_scalar("SELECT count(*) FROM calls")
        .fetch_one(&pool_b)
        .await
        .expect("count");
    let counted: i64 = sqlx::query_scalar(
        "SELECT sum(calls)::bigint FROM statistics_calls_by_channel WHERE grain = 'day'",
    )
    .fetch_one(&pool_b)
    .await
    .expect("sum");
    assert_eq!((calls, counted), (35, 35));
    let status = projections::status(&pool_b).await.expect("status");
    assert!(status.iter().all(|s| s.running && s.lag == 0), "{status:?}");
    b.shutdown().await;
    let status = projections::status(&db.pool).await.expect("status");
    assert!(
        status.iter().all(|s| !s.running),
        "a clean shutdown releases the locks: {status:?}"
    );
}
