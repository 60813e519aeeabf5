//! Read-side benchmark of the projector alone (no server, no HTTP):
//! `cargo bench -p casetrail-tests --bench rebuild`. It lived in
//! projections/benches until the benchmarks moved to the tests crate, so
//! that it shares the performance bench's event generator
//! (`casetrail_tests::synthetic`).
//!
//! In one run, on a fresh database that it drops afterwards, it grows a
//! realistic log through the write path (decide, record, commit; many new
//! streams per commit so that seeding takes seconds) and reports at each size:
//! - the full-rebuild rate of all four projections, in events/s;
//! - beside it, the raw rate of one `SELECT` reading the same events and
//!   deserialising them through the store (the ceiling a rebuild could reach);
//! - the latency of the `statistics` query (median and p99 of 200 runs) over
//!   the ministry report's period.
//!
//! Sizes: `BENCH_SIZES` (comma-separated event counts, default
//! `10000,100000,1000000`); server: `BENCH_DATABASE_SERVER` (default
//! `postgres://postgres@127.0.0.1:5432`); `BENCH_KEEP=1` keeps the database.
//! Smoke run: `BENCH_SIZES=2000 cargo bench -p casetrail-tests --bench rebuild`.

use std::time::{Duration, Instant};

use casetrail_tests::scratch::{self, Failure};
use casetrail_tests::synthetic;
use chrono::NaiveDate;
use domain::call::Call;
use domain::case::Case;
use domain::values::Region;
use futures::StreamExt;
use projections::ProjectionSettings;
use sqlx::{PgPool, Row};
use store::log::StoredEvent;
use store::EventStore;

/// The generator's seed: the same log on every run.
const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

fn main() -> Result<(), Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Failure> {
    let sizes = scratch::sizes("10000,100000,1000000");
    scratch::on_scratch_database(|url| async move { measure(&url, &sizes).await }).await
}

async fn measure(url: &str, sizes: &[u64]) -> Result<(), Failure> {
    store::db::migrate(url).await?;
    let pool = store::db::app_pool(url, 4).await?;
    let store = EventStore::new(pool.clone(), Vec::new());
    let settings = ProjectionSettings::default();
    let mut written = 0_u64;
    println!(
        "casetrail read-side benchmark (batch size {})",
        settings.batch_size
    );
    println!(
        "{:>9}  {:>10}  {:>16}  {:>20}  {:>10}  {:>9}  {:>9}",
        "events",
        "seed s",
        "rebuild ev/s",
        "SELECT+decode ev/s",
        "rebuild %",
        "stats p50",
        "stats p99"
    );
    for &size in sizes {
        let seeding = Instant::now();
        while written < size {
            written += synthetic::fill_batches(&store, size - written, 1, SEED + written).await?;
        }
        let seeded = seeding.elapsed();
        let raw = read_and_decode(&pool, &store).await?;
        let rebuild = projections::rebuild(url, &store, &settings, None).await?;
        let rebuild_rate = rate(rebuild.events, rebuild.elapsed);
        let raw_rate = rate(raw.0, raw.1);
        let (p50, p99) = statistics_latency(&pool).await?;
        println!(
            "{:>9}  {:>10.1}  {:>16.0}  {:>20.0}  {:>9.0}%  {:>7.2}ms  {:>7.2}ms",
            rebuild.events,
            seeded.as_secs_f64(),
            rebuild_rate,
            raw_rate,
            100.0 * rebuild_rate / raw_rate,
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn rate(events: u64, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// One SELECT over the whole log, each row deserialised through the store.
async fn read_and_decode(pool: &PgPool, store: &EventStore) -> Result<(u64, Duration), Failure> {
    let started = Instant::now();
    let mut rows = sqlx::query(
        "SELECT position, aggregate_type, aggregate_id, sequence, event_type, event_version, payload, \
                metadata, recorded_at FROM events ORDER BY position",
    )
    .fetch(pool);
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
            "Call" => drop(store.decode::<Call>(&stored)?),
            _ => drop(store.decode::<Case>(&stored)?),
        }
        events += 1;
    }
    Ok((events, started.elapsed()))
}

/// Median and p99 of the report-period statistics query.
async fn statistics_latency(pool: &PgPool) -> Result<(Duration, Duration), Failure> {
    let (from, to) = (day(2018, 11, 1), day(2022, 2, 14));
    let mut samples = Vec::with_capacity(200);
    for i in 0..220 {
        let region = (i % 3 == 0).then_some(Region::Northwest);
        let started = Instant::now();
        let stats = projections::queries::statistics(pool, from, to, region, 1).await?;
        if i >= 20 {
            samples.push(started.elapsed());
        }
        std::hint::black_box(stats);
    }
    samples.sort();
    Ok((
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    ))
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}
