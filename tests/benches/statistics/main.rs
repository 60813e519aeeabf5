//! Latency of the `statistics` query on the signed-contributions model
//! (migration 0015, issue 14): `cargo bench -p casetrail-tests --bench statistics`.
//!
//! In one run, on a fresh database that it drops afterwards, it grows the
//! benchmarks' synthetic log (`casetrail_tests::synthetic`, each call and
//! case in a province of its region), brings the statistics up to date
//! with a rebuild, and at each size times the query over the ministry
//! report's period (median and p99 of `BENCH_RUNS` runs, default 200,
//! after 20 warm-ups):
//! - exact (an AUDITOR) and perturbed (an ANALYST: cell key method, floor 5);
//! - as recorded and restated on the 34-province map (`map: 2025-07-01`);
//! - from the day and month cells, and `asOfPosition` (from the facts).
//!
//! Each is printed beside a baseline measured in the same run on the same
//! data: one plain `SELECT count(*)` of the period's calls in
//! `statistics_facts` (the least a figure can cost), as a ratio.
//!
//! Sizes: `BENCH_SIZES` (comma-separated event counts, default
//! `10000,100000`); server: `BENCH_DATABASE_SERVER` (default
//! `postgres://postgres@127.0.0.1:5432`); `BENCH_KEEP=1` keeps the database.

use std::time::{Duration, Instant};

use casetrail_tests::scratch::{self, Failure};
use casetrail_tests::synthetic;
use chrono::NaiveDate;
use projections::disclosure::Disclosure;
use projections::queries::Ask;
use projections::ProjectionSettings;
use store::EventStore;

/// The generator's seed: the same log on every run.
const SEED: u64 = 0x5747_1571_C5A7_B001;
/// Runs per query (`BENCH_RUNS`, default 200), after `WARM_UP` runs.
fn runs() -> usize {
    std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200_usize)
        .max(1)
}
const WARM_UP: usize = 20;

fn main() -> Result<(), Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Failure> {
    let sizes = scratch::sizes("10000,100000");
    scratch::on_scratch_database(|url| async move { measure(&url, &sizes).await }).await
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

async fn measure(url: &str, sizes: &[u64]) -> Result<(), Failure> {
    store::db::migrate(url).await?;
    // The server role's pool, as the API reads with.
    let app_pool = store::db::app_pool(url, 4).await?;
    let store = EventStore::new(app_pool.clone(), Vec::new());
    let pool = &app_pool;
    let settings = ProjectionSettings::default();
    let (from, to) = (day(2018, 11, 1), day(2022, 2, 14));
    let mut written = 0_u64;
    println!(
        "casetrail statistics query latency over {from}..{to} ({} runs each)",
        runs()
    );
    for &size in sizes {
        while written < size {
            written += synthetic::fill_batches_in_provinces(&store, size - written, SEED + written)
                .await?;
        }
        projections::rebuild(url, &store, &settings, None).await?;
        let (facts, position): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM statistics_facts), \
                    (SELECT applied_position FROM projection_checkpoints WHERE name = 'statistics')",
        )
        .fetch_one(pool)
        .await?;
        println!();
        println!("{written} events, {facts} contributions (statistics_facts)");
        println!(
            "{:<44}  {:>9}  {:>9}  {:>8}",
            "query", "p50", "p99", "p50 / baseline"
        );
        let baseline = latency(|| async move {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM statistics_facts WHERE figure = 'calls' AND day BETWEEN $1 AND $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(pool)
            .await?;
            std::hint::black_box(n);
            Ok(())
        })
        .await?;
        print_row(
            "baseline: SELECT count(*) of the calls",
            baseline,
            baseline.0,
        );
        let exact = Disclosure::Exact { min_cell_size: 1 };
        let perturbed = Disclosure::Controlled { floor: 5 };
        let new_map = Some(day(2025, 7, 1));
        let asks = [
            ("exact, as recorded", exact, None, None),
            ("perturbed, as recorded", perturbed, None, None),
            (
                "exact, restated on the 34-province map",
                exact,
                new_map,
                None,
            ),
            ("perturbed, restated", perturbed, new_map, None),
            ("exact, asOfPosition", exact, None, Some(position)),
            (
                "perturbed, restated, asOfPosition",
                perturbed,
                new_map,
                Some(position),
            ),
        ];
        for (label, disclosure, map_on, as_of_position) in asks {
            let ask = Ask {
                from,
                to,
                region: None,
                as_of_position,
                map_on,
                disclosure,
            };
            let ask = &ask;
            let timing = latency(|| async move {
                std::hint::black_box(projections::queries::report(pool, ask).await?);
                Ok(())
            })
            .await?;
            print_row(label, timing, baseline.0);
        }
    }
    Ok(())
}

fn print_row(label: &str, (p50, p99): (Duration, Duration), baseline: Duration) {
    println!(
        "{label:<44}  {:>7.2}ms  {:>7.2}ms  {:>8.1}",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        p50.as_secs_f64() / baseline.as_secs_f64().max(1e-9)
    );
}

/// Median and p99 of [`runs`] runs of `once`, after `WARM_UP` runs.
async fn latency<F, Fut>(mut once: F) -> Result<(Duration, Duration), Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let runs = runs();
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs + WARM_UP {
        let started = Instant::now();
        once().await?;
        if i >= WARM_UP {
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    Ok((samples[runs / 2], samples[runs * 99 / 100]))
}
