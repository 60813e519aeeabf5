//! The subscriptions bench (issue 13, docs/PERFORMANCE.md "Subscriptions"):
//! `cargo bench -p casetrail-tests --bench live -- [--seconds N] [--subscribers N]`.
//!
//! The write load is the performance bench's phase (1) shape: 16 concurrent
//! writers through `CommandService`, here recording `receiveCall` so that
//! every event is one a live board receives. The real server (its own
//! `LiveLog`) runs in this process on the same database, and N subscribers
//! (default 100) hold `callReceived` over real WebSockets.
//!
//! - commit-to-delivery latency: from the moment a writer's `commit`
//!   returned (the transaction is durable) to the moment each subscriber
//!   read the update off its socket; p50, p99, max over every pair;
//! - the write rate with the subscribers vs without (same writers, same
//!   duration, fresh database each), as a ratio.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::commands::inputs::ReceiveCallInput;
use api::commands::CommandService;
use casetrail_tests::harness::{jwt, settings, TestDatabase};
use casetrail_tests::live::{LiveClient, Said};
use casetrail_tests::synthetic::bench_context;
use chrono::Utc;
use domain::clock::Clock;
use domain::values::{CallCategory, CallerType, Channel, Region, Role};
use serde_json::json;
use store::vault::Vault;
use store::EventStore;
use uuid::Uuid;

const WRITERS: usize = 16;

struct Args {
    seconds: u64,
    subscribers: usize,
}

fn args() -> Args {
    let mut parsed = Args {
        seconds: 10,
        subscribers: 100,
    };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--seconds" => parsed.seconds = given.next().and_then(|v| v.parse().ok()).unwrap_or(10),
            "--subscribers" => {
                parsed.subscribers = given.next().and_then(|v| v.parse().ok()).unwrap_or(100)
            }
            "--quick" => parsed.seconds = 3,
            _ => {} // cargo bench passes --bench
        }
    }
    parsed
}

/// What one run measured.
struct Measured {
    calls: u64,
    elapsed: Duration,
    /// Commit-to-delivery, every (subscriber, call) pair.
    latencies: Vec<Duration>,
}

async fn run(subscribers: usize, seconds: u64) -> Measured {
    let db = TestDatabase::create().await;
    let app = api::Application::build(settings(&db.url))
        .await
        .expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    let token = api::auth::mint(&jwt(), "board", Role::Counsellor, None, 3600).expect("token");
    let committed: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    // Every subscriber starts from the log's position before any call.
    let now = casetrail_tests::harness::post_graphql(
        &casetrail_tests::harness::client(),
        &address,
        Some(&token),
        "{ livePosition }",
        json!({}),
    )
    .await
    .data("livePosition")
    .clone();
    let mut listeners = Vec::new();
    for _ in 0..subscribers {
        let mut client = LiveClient::open(&address, &token).await;
        client
            .subscribe(
                "board",
                "subscription($after: String) { callReceived(after: $after) { id } }",
                json!({ "after": now }),
            )
            .await;
        listeners.push(client);
    }
    // Each subscriber reads until the marker call (recorded last), noting
    // when each call arrived.
    let marker = Uuid::now_v7();
    let readers: Vec<_> = listeners
        .into_iter()
        .map(|mut client| {
            let end = marker.to_string();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                loop {
                    match client.said().await {
                        Said::Message(m) if m["type"] == "next" => {
                            let id = m["payload"]["data"]["callReceived"]["id"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string();
                            if id == end {
                                break;
                            }
                            seen.push((id, Instant::now()));
                        }
                        Said::Message(_) => {}
                        Said::Closed(code, why) => panic!("a subscriber was closed: {code} {why}"),
                    }
                }
                seen
            })
        })
        .collect();

    let pool = store::db::app_pool(&db.url, 20).await.expect("pool");
    let commands = Arc::new(CommandService::new(
        EventStore::new(pool, domain::upcasters::upcasters()),
        Vault::new([7; 32]),
        Clock::system(),
    ));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut writers = Vec::new();
    for _ in 0..WRITERS {
        let (commands, committed, done) = (commands.clone(), committed.clone(), done.clone());
        writers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let id = Uuid::now_v7();
                commands
                    .receive_call(&bench_context(), an_anonymous_call(id))
                    .await
                    .expect("the call is recorded");
                if let Ok(mut map) = committed.lock() {
                    map.insert(id.to_string(), Instant::now());
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for writer in writers {
        writer.await.expect("a writer ran");
    }
    let elapsed = started.elapsed();
    let calls = done.load(Ordering::Relaxed);
    // One more call marks the end for every subscriber.
    commands
        .receive_call(&bench_context(), an_anonymous_call(marker))
        .await
        .expect("the marker is recorded");
    let committed = committed.lock().map(|m| m.clone()).unwrap_or_default();
    let mut latencies = Vec::new();
    for reader in readers {
        let seen = reader.await.expect("a subscriber ran");
        let mut got = 0;
        for (id, at) in seen {
            if let Some(commit) = committed.get(&id) {
                latencies.push(at.saturating_duration_since(*commit));
                got += 1;
            }
        }
        assert_eq!(got as u64, calls, "a subscriber missed updates");
    }
    server.abort();
    drop(db);
    Measured {
        calls,
        elapsed,
        latencies,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let args = args();
    println!(
        "subscriptions bench: {WRITERS} writers (receiveCall through CommandService) for {} s; \
         {} subscribers on callReceived over WebSockets",
        args.seconds, args.subscribers
    );
    let alone = run(0, args.seconds).await;
    let watched = run(args.subscribers, args.seconds).await;
    let rate = |m: &Measured| m.calls as f64 / m.elapsed.as_secs_f64();
    let mut latencies = watched.latencies.clone();
    latencies.sort();
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| write rate, no subscriber | {:.0} calls/s |",
        rate(&alone)
    );
    println!(
        "| write rate, {} subscribers | {:.0} calls/s |",
        args.subscribers,
        rate(&watched)
    );
    println!(
        "| ratio with / without | {:.2} |",
        rate(&watched) / rate(&alone).max(f64::MIN_POSITIVE)
    );
    println!(
        "| commit-to-delivery p50 / p99 / max ({} deliveries) | {} / {} / {} |",
        latencies.len(),
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
}

/// The call every writer records (and the marker that ends the run).
fn an_anonymous_call(id: Uuid) -> ReceiveCallInput {
    ReceiveCallInput {
        id: Some(id),
        received_at: Utc::now() - chrono::Duration::minutes(5),
        channel: Channel::Voice,
        region: Some(Region::RedRiverDelta),
        province: None,
        country: None,
        caller_type: CallerType::Anonymous,
        category: CallCategory::Information,
        topics: None,
        duration_seconds: None,
        category_code: None,
        topic_codes: None,
    }
}
