//! The read side: projector full rebuild beside the raw rate of one SELECT
//! that reads and deserialises the same events, and statistics latency.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::call::Call;
use domain::case::Case;
use domain::values::Region;
use futures::StreamExt;
use projections::ProjectionSettings;
use sqlx::{PgPool, Row};
use store::log::StoredEvent;
use store::EventStore;

use super::report::rate;
use super::Fail;

/// Rebuild and raw-read rates over the whole log, events/s.
pub struct RebuildFigures {
    pub events: u64,
    pub rebuild_rate: f64,
    pub rebuild_elapsed: Duration,
    pub raw_events: u64,
    pub raw_rate: f64,
}

/// Rebuilds all four projections from zero (`projections::rebuild`, as the
/// owner, exactly as `casetrail projections rebuild` does) and reads the
/// same log raw.
pub async fn rebuild(owner_url: &str, store: &EventStore) -> Result<RebuildFigures, Fail> {
    let (raw_events, raw_elapsed) = read_and_decode(store).await?;
    let summary =
        projections::rebuild(owner_url, store, &ProjectionSettings::default(), None).await?;
    Ok(RebuildFigures {
        events: summary.events,
        rebuild_rate: rate(summary.events, summary.elapsed),
        rebuild_elapsed: summary.elapsed,
        raw_events,
        raw_rate: rate(raw_events, raw_elapsed),
    })
}

/// Rebuilds the `cases` projection alone (what the stock stack's replay is
/// compared with): (Case events in the log, how long the rebuild took).
pub async fn rebuild_cases(owner_url: &str, store: &EventStore) -> Result<(u64, Duration), Fail> {
    let cases: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE aggregate_type = 'Case'")
            .fetch_one(store.pool())
            .await?;
    let summary = projections::rebuild(
        owner_url,
        store,
        &ProjectionSettings::default(),
        Some("cases"),
    )
    .await?;
    Ok((u64::try_from(cases).unwrap_or(0), summary.elapsed))
}

/// One SELECT over the whole log in position order, each row deserialised
/// into its aggregate's event through the store's upcasters: the ceiling a
/// rebuild could reach.
pub async fn read_and_decode(store: &EventStore) -> Result<(u64, Duration), Fail> {
    let started = Instant::now();
    let mut rows = sqlx::query(
        "SELECT position, aggregate_type, aggregate_id, sequence, event_type, event_version, \
                payload, metadata, recorded_at FROM events ORDER BY position",
    )
    .fetch(store.pool());
    let mut events = 0_u64;
    while let Some(row) = rows.next().await {
        let row = row?;
        let stored = StoredEvent {
            position: row.try_get(0)?,
            aggregate_type: row.try_get(1)?,
            aggregate_id: row.try_get(2)?,
            sequence: row.try_get(3)?,
            event_type: row.try_get(4)?,
            event_version: row.try_get(5)?,
            payload: row.try_get(6)?,
            metadata: row.try_get(7)?,
            recorded_at: row.try_get(8)?,
            hash: Vec::new(),
            chain_version: 0,
        };
        match stored.aggregate_type.as_str() {
            "Call" => drop(std::hint::black_box(store.decode::<Call>(&stored)?)),
            _ => drop(std::hint::black_box(store.decode::<Case>(&stored)?)),
        }
        events += 1;
    }
    Ok((events, started.elapsed()))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// `samples` statistics queries over the report's period (every third one
/// filtered by a region), after 10 unmeasured warm-ups; their latencies and
/// the total calls the last one counted.
pub async fn statistics_latency(
    pool: &PgPool,
    samples: usize,
) -> Result<(Vec<Duration>, i64), Fail> {
    let (from, to) = (day(2018, 11, 1), day(2022, 2, 14));
    let mut latencies = Vec::with_capacity(samples);
    let mut calls = 0;
    for i in 0..samples + 10 {
        let region = (i % 3 == 0).then_some(Region::Northwest);
        let started = Instant::now();
        let stats = projections::queries::statistics(pool, from, to, region, 1).await?;
        let elapsed = started.elapsed();
        if region.is_none() {
            calls = stats.total_calls;
        }
        std::hint::black_box(&stats);
        if i >= 10 {
            latencies.push(elapsed);
        }
    }
    Ok((latencies, calls))
}
