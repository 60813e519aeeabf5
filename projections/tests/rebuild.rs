//! A full rebuild gives read models identical to the incrementally built
//! ones, swaps them in while the projectors run, and keeps the live tables'
//! names, so that the projectors and later migrations carry on unchanged.

mod common;

use std::time::Duration;

use common::hotline::{a_busy_week, local, open_case, receive_call, NewCall};
use common::{read_models, settings, TestDb};
use domain::values::Region;
use projections::ProjectionError;
use sqlx::PgConnection;

const WAIT: Duration = Duration::from_secs(30);

async fn checkpoints(conn: &mut PgConnection) -> Vec<(String, String, i64, i64, Option<String>)> {
    sqlx::query_as(
        "SELECT name, transaction_id::text, position, applied_position, time_zone \
         FROM projection_checkpoints ORDER BY name",
    )
    .fetch_all(conn)
    .await
    .expect("checkpoints")
}

/// Index and constraint names of the read-model tables.
async fn names(conn: &mut PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') \
           AND (c.relname LIKE 'calls%' OR c.relname LIKE 'cases%' OR c.relname LIKE 'referrals%' \
                OR c.relname LIKE 'statistics%') \
         UNION ALL SELECT conname::text FROM pg_constraint WHERE conrelid::regclass::text LIKE 'statistics%' \
         ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .expect("names")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_rebuild_equals_the_incremental_models_and_swaps_in_under_running_projectors() {
    let db = TestDb::new().await;
    // Batches of 2 (fill chunks of 20): many chunks, lookups across them.
    let settings = settings(2);
    a_busy_week(&db.store).await;
    let runtime = projections::spawn(db.pool.clone(), db.store.clone(), settings.clone());
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up");

    let mut owner = db.owner().await;
    let incremental = read_models(&mut owner).await;
    let incremental_checkpoints = checkpoints(&mut owner).await;
    let names_before = names(&mut owner).await;
    assert!(
        incremental.iter().all(|(_, rows)| !rows.is_empty()),
        "every model has rows"
    );

    let summary = projections::rebuild(&db.url, &db.store, &settings, None)
        .await
        .expect("rebuild");
    assert_eq!(summary.projections, projections::PROJECTIONS);
    assert_eq!(read_models(&mut owner).await, incremental);
    assert_eq!(checkpoints(&mut owner).await, incremental_checkpoints);
    assert_eq!(
        names(&mut owner).await,
        names_before,
        "no __rebuild table or name is left behind"
    );

    // The running projectors carry on into the swapped-in tables.
    receive_call(&db.store, NewCall::at(local(2021, 3, 9, 9, 0))).await;
    open_case(&db.store, local(2021, 3, 9, 10, 0), Region::Southeast).await;
    projections::wait_until_caught_up(&db.pool, WAIT)
        .await
        .expect("caught up after the swap");
    let after_swap = read_models(&mut owner).await;
    assert_ne!(after_swap, incremental);

    // And one projection alone rebuilds to the same rows again.
    projections::rebuild(&db.url, &db.store, &settings, Some("statistics"))
        .await
        .expect("rebuild statistics");
    assert_eq!(read_models(&mut owner).await, after_swap);
    let status = projections::status(&db.pool).await.expect("status");
    assert!(
        status.iter().all(|s| s.lag == 0 && s.error.is_none()),
        "{status:?}"
    );
    runtime.shutdown().await;
}

#[tokio::test]
async fn a_rebuild_of_an_unknown_projection_is_refused() {
    let db = TestDb::new().await;
    let refused = projections::rebuild(&db.url, &db.store, &settings(10), Some("persons")).await;
    assert!(
        matches!(refused, Err(ProjectionError::UnknownProjection(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_rebuild_of_an_empty_log_gives_empty_models() {
    let db = TestDb::new().await;
    projections::rebuild(&db.url, &db.store, &settings(10), None)
        .await
        .expect("rebuild");
    let mut owner = db.owner().await;
    assert!(read_models(&mut owner)
        .await
        .iter()
        .all(|(_, rows)| rows.is_empty()));
}
