//! What the server does per projector step, per write and per live
//! subscriber must not grow with the log. Two statements did: the
//! projector's step asked "are committed events waiting behind a running
//! transaction?" with an `EXISTS` PostgreSQL planned as a scan of the whole
//! `events` table, and the live feed's head was sorted from every event
//! because its `ORDER BY` named a select-list cast. Both were invisible
//! on small logs and cost about 12 ms and 27 ms at 50,000 events.
//!
//! This suite counts the rows of `events` PostgreSQL read (its own
//! statistics: `seq_tup_read + idx_tup_fetch`) while a server that has
//! already projected a large log takes a few calls and answers a few
//! `livePosition`s. Each of those touches a handful of rows; a statement
//! that scans or sorts the log touches all of them at once.

use std::time::Duration;

use casetrail_tests::harness::{client, post_graphql, token, TestDatabase};
use casetrail_tests::process::ServerProcess;
use casetrail_tests::waiting::until;
use domain::values::Role;
use serde_json::json;
use sqlx::PgPool;

/// Events already in the log (written straight into the table: the
/// projections take them in as stream types they do not read, all but the
/// transparency log, which takes every event).
const LOG: i64 = 20_000;
/// Calls taken, and `livePosition`s asked, once the log is projected.
const CALLS: usize = 40;
const POSITIONS: usize = 20;
const PATIENCE: Duration = Duration::from_secs(120);
const EVERY: Duration = Duration::from_millis(50);

/// Rows of `events` read so far, by every session that has ended.
async fn rows_read(owner: &PgPool) -> i64 {
    // A fresh snapshot of the statistics (they are cached per transaction).
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(owner)
        .await
        .expect("clear statistics snapshot");
    sqlx::query_scalar(
        "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) \
         FROM pg_stat_user_tables WHERE relid = 'events'::regclass",
    )
    .fetch_one(owner)
    .await
    .expect("table statistics")
}

/// Waits until no session but `owner`'s is connected to the database: a
/// backend flushes its statistics as it exits, before it leaves the list.
async fn sessions_ended(owner: &PgPool) {
    let ended = until(PATIENCE, EVERY, || async {
        let others: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(owner)
        .await
        .expect("sessions");
        others == 0
    })
    .await;
    assert!(ended, "the server's sessions did not end");
}

#[tokio::test]
async fn projector_steps_writes_and_live_positions_read_a_few_rows_of_a_large_log() {
    let db = TestDatabase::create().await;
    let owner = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .expect("owner connection");
    // No statistics on the log, as on a log that grew since its last
    // ANALYZE: the planner falls back on its default guesses, under which
    // the step's old `EXISTS` was a scan of the whole table. (With fresh
    // statistics it was planned well: the bench's log was never analyzed.)
    sqlx::query("ALTER TABLE events SET (autovacuum_enabled = false)")
        .execute(&owner)
        .await
        .expect("no automatic ANALYZE of this test's log");
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                             payload, metadata, hash) \
         SELECT 'Archive', gen_random_uuid()::text, 1, 'Filed', '1', '{}', '{}', \
                sha256(i::text::bytea) \
         FROM generate_series(1, $1) AS i",
    )
    .bind(LOG)
    .execute(&owner)
    .await
    .expect("a large log");

    // A first server projects the large log (reading all of it, as it must).
    let binary = env!("CARGO_BIN_EXE_casetrail");
    let first = ServerProcess::start(binary, &db.url, &[]);
    let leaves = until(PATIENCE, EVERY, || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM merkle_leaves")
            .fetch_one(&owner)
            .await
            .expect("leaves");
        n == LOG
    })
    .await;
    assert!(leaves, "the log was not projected: {}", first.log());
    drop(first);
    sessions_ended(&owner).await;
    let before = rows_read(&owner).await;

    // A second server, on the projected log: calls, projected, and live positions.
    let server = ServerProcess::start(binary, &db.url, &[]);
    for _ in 0..CALLS {
        server.receive_call().await;
    }
    let projected = until(PATIENCE, EVERY, || async {
        server.calls_listed().await == CALLS as i64
    })
    .await;
    assert!(projected, "the calls were not projected: {}", server.log());
    for _ in 0..POSITIONS {
        let answer = post_graphql(
            &client(),
            &server.address,
            Some(&token(Role::Supervisor)),
            "{ livePosition }",
            json!({}),
        )
        .await;
        assert!(answer.data("livePosition").is_string());
    }
    drop(server);
    sessions_ended(&owner).await;
    let read = rows_read(&owner).await - before;

    // Each call's event is read by each projector, the transparency log's
    // lookup and the live tail: a few dozen rows a call, far below the log.
    assert!(
        read < LOG / 4,
        "{read} rows of a {LOG}-event log read for {CALLS} calls and {POSITIONS} live positions"
    );
}
