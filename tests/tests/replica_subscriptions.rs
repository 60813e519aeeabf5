//! Subscriptions catch up from the hot standby (issue 17), on a real
//! primary and standby: a subscriber with an old cursor reads the bulk of
//! its backlog from the standby, the stretch the standby has not replayed
//! from the primary, then follows the primary's live tail, and receives
//! every event exactly once, in log order. With the standby down, the
//! catch-up reads the primary and misses nothing either.
//! `casetrail_live_catch_up_events_total{source}` shows where it read.

use casetrail_tests::fixtures::{ago, id_of, receive_call_doc};
use casetrail_tests::harness::{client, metric_value, post_graphql, token};
use casetrail_tests::live::LiveClient;
use casetrail_tests::replica_server::serve_on_pair;
use casetrail_tests::replication::Pair;
use casetrail_tests::waiting::until;
use domain::values::Role;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

const CALLS: &str = "subscription($after: String) { callReceived(after: $after) { position id } }";
const FROM_REPLICA: &str = "casetrail_live_catch_up_events_total{source=\"replica\"} ";
const FROM_PRIMARY: &str = "casetrail_live_catch_up_events_total{source=\"primary\"} ";

/// A server on the pair's primary, reading the standby; and superuser pools on both.
struct Served {
    address: String,
    server: tokio::task::JoinHandle<()>,
    primary: PgPool,
    standby: PgPool,
    counsellor: String,
}

async fn serve(pair: &Pair) -> Served {
    let served = serve_on_pair(pair, "ct_replica_live", false, |_| {}).await;
    let (address, server) = (served.address, served.server);
    let (primary_url, standby_url) = (served.primary_url, served.standby_url);
    Served {
        address,
        server,
        primary: PgPool::connect(&primary_url).await.expect("primary"),
        standby: PgPool::connect(&standby_url).await.expect("standby"),
        counsellor: token(Role::Counsellor),
    }
}

impl Served {
    async fn live_position(&self) -> String {
        let answer = post_graphql(
            &client(),
            &self.address,
            Some(&self.counsellor),
            "{ livePosition }",
            json!({}),
        )
        .await;
        answer
            .data("livePosition")
            .as_str()
            .expect("a position")
            .to_string()
    }

    async fn calls(&self, how_many: usize) -> Vec<String> {
        let http = client();
        let mut ids = Vec::with_capacity(how_many);
        for _ in 0..how_many {
            let answer = post_graphql(
                &http,
                &self.address,
                Some(&self.counsellor),
                &receive_call_doc(),
                json!({"input": {"receivedAt": ago(60), "channel": "VOICE", "province": "HA_NOI",
                                  "callerType": "VICTIM", "category": "REFERRAL_REQUEST"}}),
            )
            .await;
            ids.push(id_of(answer.data("receiveCall")).to_string());
        }
        ids
    }

    /// Events of these streams in the log, on `pool`; with `readable`, only
    /// those a commit-safe read there may read now.
    async fn events(pool: &PgPool, streams: &[String], readable: bool) -> u64 {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE aggregate_id = ANY($1) \
               AND (NOT $2 OR transaction_id < pg_snapshot_xmin(pg_current_snapshot()))",
        )
        .bind(streams)
        .bind(readable)
        .fetch_one(pool)
        .await
        .expect("events counted");
        u64::try_from(count).expect("a count")
    }

    /// Waits until the primary's commit-safe reads read every event of these
    /// streams (a projector's transaction may hold them back a moment), so
    /// that a catch-up reads them rather than the live tail delivering them.
    async fn primary_reads(&self, streams: &[String]) {
        let all = Self::events(&self.primary, streams, false).await;
        let readable = until(
            Duration::from_secs(30),
            Duration::from_millis(20),
            || async { Self::events(&self.primary, streams, true).await == all },
        )
        .await;
        assert!(readable, "the primary's reads never reached the calls");
    }

    async fn caught_up(&self, source: &str) -> u64 {
        metric_value(&client(), &self.address, source).await
    }
}

/// Subscribes after `after` and checks that the updates are exactly `expected`, in order.
async fn receive_in_order(served: &Served, after: &str, expected: &[String]) -> LiveClient {
    let mut board = LiveClient::open(&served.address, &served.counsellor).await;
    board
        .subscribe("calls", CALLS, json!({"after": after}))
        .await;
    let mut received = Vec::with_capacity(expected.len());
    for _ in expected {
        let update = board.next_data("calls").await["callReceived"].clone();
        received.push(update["id"].as_str().unwrap_or_default().to_string());
    }
    assert_eq!(received, expected, "every call once, in the order recorded");
    board
}

/// Records one call and checks it is the subscriber's next update: nothing
/// was repeated after what it received, and it follows the live tail.
async fn live_next(served: &Served, board: &mut LiveClient) -> String {
    let live = served.calls(1).await.remove(0);
    assert_eq!(
        board.next_data("calls").await["callReceived"]["id"],
        live.as_str(),
        "the next update is the call recorded now"
    );
    live
}

#[tokio::test]
async fn an_old_cursor_catches_up_from_the_standby_and_the_last_stretch_from_the_primary() {
    let pair = Pair::start(false);
    let served = serve(&pair).await;
    let start = served.live_position().await;
    let replayed = served.calls(40).await;
    let in_replayed = Served::events(&served.primary, &replayed, false).await;
    let standby_has_them = until(
        Duration::from_secs(30),
        Duration::from_millis(20),
        || async { Served::events(&served.standby, &replayed, true).await == in_replayed },
    )
    .await;
    assert!(standby_has_them, "the standby never replayed the calls");

    // The standby stops replaying: the next calls are on the primary only.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&served.standby)
        .await
        .expect("pause replay");
    let paused = until(
        Duration::from_secs(30),
        Duration::from_millis(20),
        || async {
            let state: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
                .fetch_one(&served.standby)
                .await
                .expect("replay state");
            state == "paused"
        },
    )
    .await;
    assert!(paused, "replay never paused");
    let not_replayed = served.calls(5).await;
    assert_eq!(
        Served::events(&served.standby, &not_replayed, false).await,
        0
    );

    served.primary_reads(&not_replayed).await;
    let everything: Vec<String> = replayed.iter().chain(&not_replayed).cloned().collect();
    let mut board = receive_in_order(&served, &start, &everything).await;
    live_next(&served, &mut board).await;

    // The bulk, exactly what the standby had, was read there; the rest from the primary.
    let in_not_replayed = Served::events(&served.primary, &not_replayed, false).await;
    assert_eq!(served.caught_up(FROM_REPLICA).await, in_replayed);
    assert!(served.caught_up(FROM_PRIMARY).await >= in_not_replayed);
    board.close().await;
    served.server.abort();
}

#[tokio::test]
async fn with_the_standby_down_catch_up_reads_the_primary_and_misses_nothing() {
    let pair = Pair::start(false);
    let served = serve(&pair).await;
    let start = served.live_position().await;
    let mut recorded = served.calls(20).await;
    let events = Served::events(&served.primary, &recorded, false).await;
    served.primary_reads(&recorded).await;
    served.standby.close().await;
    pair.stop_standby();

    // The first subscriber's read of the standby fails, and it goes on from
    // the primary; the next one is sent there straight away.
    for subscriber in 1..=2 {
        let mut board = receive_in_order(&served, &start, &recorded).await;
        assert_eq!(served.caught_up(FROM_REPLICA).await, 0);
        assert!(served.caught_up(FROM_PRIMARY).await >= subscriber * events);
        recorded.push(live_next(&served, &mut board).await);
        board.close().await;
    }
    served.server.abort();
}
