//! Failover on PostgreSQL's streaming replication (issue 17): the server
//! records calls under load on a real primary; the primary dies (immediate
//! stop, as a crash) and its hot standby is promoted.
//!
//! - With a synchronous standby, every command the server acknowledged is on
//!   the new primary, and a server started there resumes the projections
//!   from the replicated checkpoints without skipping or repeating an event.
//! - With an asynchronous standby, acknowledged commands may be lost: the
//!   lost tail is measured (printed, for docs/SCALING.md), and what survived
//!   is a prefix-closed, verifying log.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use casetrail_tests::fixtures::{ago, caught_up};
use casetrail_tests::harness::{client, start_server, token};
use casetrail_tests::replication::Pair;
use domain::values::Role;
use serde_json::json;
use store::integrity::{verify, Scope};
use uuid::Uuid;

const WRITERS: usize = 4;
/// Acknowledged commands before the primary dies.
const BEFORE_CRASH: usize = 60;

/// What the writers did: ids acknowledged by the server, ids sent.
#[derive(Default)]
struct Written {
    acknowledged: Vec<Uuid>,
    sent: Vec<Uuid>,
}

/// Records one call with a fresh id; the id, and whether the server acknowledged it.
async fn record_call(http: &reqwest::Client, address: &str, counsellor: &str) -> (Uuid, bool) {
    let id = Uuid::new_v4();
    let answer = http
        .post(format!("{address}/graphql"))
        .bearer_auth(counsellor)
        .timeout(std::time::Duration::from_secs(10))
        .json(&json!({"query": "mutation($input: ReceiveCallInput!) { receiveCall(input: $input) { id } }",
                      "variables": {"input": {"id": id, "receivedAt": ago(5), "channel": "VOICE",
                                              "region": "NORTHWEST", "callerType": "CITIZEN", "category": "INFORMATION"}}}))
        .send()
        .await;
    let body: Option<serde_json::Value> = match answer {
        Ok(response) => response.json().await.ok(),
        Err(_) => None,
    };
    (
        id,
        body.is_some_and(|b| b["data"]["receiveCall"]["id"] == json!(id)),
    )
}

/// Records calls from WRITERS clients until the server stops answering.
async fn write_until_the_server_fails(address: &str, acknowledged: Arc<AtomicUsize>) -> Written {
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let (address, acknowledged, stop) = (
            address.to_string(),
            Arc::clone(&acknowledged),
            Arc::clone(&stop),
        );
        writers.push(tokio::spawn(async move {
            let (http, counsellor) = (client(), token(Role::Counsellor));
            let mut written = Written::default();
            while !stop.load(Ordering::SeqCst) {
                let (id, acknowledged_now) = record_call(&http, &address, &counsellor).await;
                written.sent.push(id);
                if acknowledged_now {
                    written.acknowledged.push(id);
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                } else {
                    stop.store(true, Ordering::SeqCst);
                }
            }
            written
        }));
    }
    let mut all = Written::default();
    for writer in writers {
        let w = writer.await.expect("writer");
        all.acknowledged.extend(w.acknowledged);
        all.sent.extend(w.sent);
    }
    all
}

/// Starts the writers against `address` and returns once BEFORE_CRASH of
/// their commands were acknowledged; the handle ends when the server fails.
async fn writers_once_they_are_under_way(address: &str) -> tokio::task::JoinHandle<Written> {
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let writing = tokio::spawn({
        let (address, acknowledged) = (address.to_string(), Arc::clone(&acknowledged));
        async move { write_until_the_server_fails(&address, acknowledged).await }
    });
    while acknowledged.load(Ordering::SeqCst) < BEFORE_CRASH {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    writing
}

/// Starts a pair and a server on the primary, writes under load, kills the
/// primary once BEFORE_CRASH commands were acknowledged, promotes the
/// standby; returns what was written and the promoted database's URL.
async fn crash_under_load(pair: &Pair) -> (Written, String) {
    let name = format!("ct_failover_{}", Uuid::new_v4().simple());
    let primary_url = pair.primary.url(&name);
    let (address, server) = start_server(&primary_url).await;
    let writing = writers_once_they_are_under_way(&address).await;
    report_replay_lag(&primary_url).await;
    pair.kill_primary();
    let written = writing.await.expect("writers");
    server.abort();
    pair.promote_standby();
    (written, pair.standby.url(&name))
}

/// Prints the standby's replay lag under the writers' load, as the primary
/// reports it (for docs/SCALING.md; NULL, printed as 0, when it is idle).
async fn report_replay_lag(primary_url: &str) {
    let primary = sqlx::PgPool::connect(primary_url).await.expect("primary");
    let lag_ms: f64 = sqlx::query_scalar(
        "SELECT coalesce(max(extract(epoch FROM replay_lag)) * 1000, 0)::float8 FROM pg_stat_replication",
    )
    .fetch_one(&primary)
    .await
    .expect("pg_stat_replication");
    println!("replay lag under load: {lag_ms:.2} ms");
    primary.close().await;
}

async fn recorded_calls(pool: &sqlx::PgPool) -> HashSet<Uuid> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT aggregate_id FROM events WHERE aggregate_type = 'Call' AND event_type = 'CallReceived'",
    )
    .fetch_all(pool)
    .await
    .expect("events");
    ids.iter().filter_map(|i| Uuid::parse_str(i).ok()).collect()
}

#[tokio::test]
async fn with_a_synchronous_standby_every_acknowledged_command_survives_promotion() {
    let pair = Pair::start(true);
    let (written, promoted_url) = crash_under_load(&pair).await;
    assert!(written.acknowledged.len() >= BEFORE_CRASH);
    let promoted = sqlx::PgPool::connect(&promoted_url)
        .await
        .expect("the new primary");
    let recorded = recorded_calls(&promoted).await;
    let lost: Vec<&Uuid> = written
        .acknowledged
        .iter()
        .filter(|id| !recorded.contains(id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let report = verify(&promoted, &Scope::default()).await.expect("verify");
    assert!(report.ok(), "{report:?}");

    // A server on the new primary resumes the projections where the old one
    // left them (the checkpoints replicated with the read models): the
    // `calls` read model holds exactly the recorded calls, none skipped
    // (missing) and none repeated (its key is the call's id, so a repeat
    // would have stopped the projection, and caught_up would fail).
    let (_address, server) = start_server(&promoted_url).await;
    caught_up(&promoted).await;
    let projected: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM calls")
        .fetch_all(&promoted)
        .await
        .expect("calls read model");
    assert_eq!(projected.len(), recorded.len());
    assert_eq!(projected.into_iter().collect::<HashSet<Uuid>>(), recorded);
    server.abort();
    promoted.close().await;
}

#[tokio::test]
async fn with_an_asynchronous_standby_the_lost_tail_is_measured() {
    let pair = Pair::start(false);
    let (written, promoted_url) = crash_under_load(&pair).await;
    let promoted = sqlx::PgPool::connect(&promoted_url)
        .await
        .expect("the new primary");
    let recorded = recorded_calls(&promoted).await;
    let sent: HashSet<Uuid> = written.sent.iter().copied().collect();
    assert!(
        recorded.is_subset(&sent),
        "nothing appears that was not sent"
    );
    let lost = written
        .acknowledged
        .iter()
        .filter(|id| !recorded.contains(id))
        .count();
    println!(
        "asynchronous failover: {lost} of {} acknowledged commands lost ({} sent)",
        written.acknowledged.len(),
        written.sent.len()
    );
    let report = verify(&promoted, &Scope::default()).await.expect("verify");
    assert!(report.ok(), "what survived verifies: {report:?}");
    promoted.close().await;
}

/// Sends `receiveCall` until one is acknowledged; how many attempts it took.
async fn first_acknowledged_write(address: &str) -> (Uuid, usize) {
    let (http, counsellor) = (client(), token(Role::Counsellor));
    for attempt in 1..=600 {
        let (id, acknowledged) = record_call(&http, address, &counsellor).await;
        if acknowledged {
            return (id, attempt);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server never wrote to the promoted standby");
}

#[tokio::test]
async fn a_server_given_both_hosts_follows_the_promoted_standby_by_itself() {
    let pair = Pair::start(true);
    let name = format!("ct_follow_{}", Uuid::new_v4().simple());
    let both = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{name}?target_session_attrs=read-write",
        pair.primary.port, pair.standby.port
    );
    let (address, server) = start_server(&both).await;
    let writing = writers_once_they_are_under_way(&address).await;
    let crashed = std::time::Instant::now();
    pair.kill_primary();
    let before = writing.await.expect("writers");
    let noticed = crashed.elapsed();
    let promoting = std::time::Instant::now();
    pair.promote_standby();
    let promoted_in = promoting.elapsed();
    let (after, attempts) = first_acknowledged_write(&address).await;
    println!(
        "failover: writers failing {noticed:?} after the crash (pool acquire timeout), \
         promotion {promoted_in:?}, first write on the new primary {:?} after promotion \
         ({attempts} attempts), {:?} from crash to write",
        promoting.elapsed() - promoted_in,
        crashed.elapsed()
    );
    let promoted = sqlx::PgPool::connect(&pair.standby.url(&name))
        .await
        .expect("the new primary");
    caught_up(&promoted).await;
    let recorded = recorded_calls(&promoted).await;
    for id in before.acknowledged.iter().chain([&after]) {
        assert!(
            recorded.contains(id),
            "acknowledged {id} is on the new primary"
        );
    }
    let projected: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM calls")
        .fetch_all(&promoted)
        .await
        .expect("calls read model");
    assert_eq!(
        projected.len(),
        recorded.len(),
        "none skipped, none repeated"
    );
    assert_eq!(projected.into_iter().collect::<HashSet<Uuid>>(), recorded);
    server.abort();
    promoted.close().await;
}
