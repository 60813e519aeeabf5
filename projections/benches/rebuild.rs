//! Read-side benchmark: `cargo bench -p projections --bench rebuild`.
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

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::call::{Call, CallCommand, ReceiveCall, RecordCounsellingSession};
use domain::case::{CallRef, Case, CaseCommand, Consent, OpenCase, RecordRescue, SendReferral};
use domain::clock::Clock;
use domain::values::{
    Agency, CallCategory, CallerType, Channel, CounsellingTopic, PersonCount, Region, Role,
    SessionMinutes,
};
use futures::StreamExt;
use projections::ProjectionSettings;
use sqlx::{Connection, PgConnection, PgPool, Row};
use store::log::StoredEvent;
use store::{decide, Actor, CommandContext, EventStore, Loaded, UnitOfWork};
use uuid::Uuid;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The report's regional shares (per mille), in `Region::ALL` order.
const REGION_WEIGHTS: [u32; 10] = [293, 160, 131, 104, 60, 55, 116, 80, 1, 0];

/// A small deterministic generator (xorshift64*): the bench needs no randomness crate.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn weighted<T: Copy>(&mut self, items: &[T], weights: &[u32]) -> T {
        let total: u32 = weights.iter().sum();
        let mut roll = self.below(u64::from(total)) as u32;
        for (item, weight) in items.iter().zip(weights) {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[0]
    }
}

fn main() -> Result<(), Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), Failure> {
    let server = std::env::var("BENCH_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let sizes: Vec<u64> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let name = format!("ct_bench_{}", Uuid::new_v4().simple());
    let url = format!("{server}/{name}");
    store::db::ensure_database(&url).await?;
    let result = measure(&url, &sizes).await;
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("kept database {name}");
        return result;
    }
    let mut conn = PgConnection::connect(&format!("{server}/postgres")).await?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    result
}

async fn measure(url: &str, sizes: &[u64]) -> Result<(), Failure> {
    store::db::migrate(url).await?;
    let pool = store::db::app_pool(url, 4).await?;
    let store = EventStore::new(pool.clone(), Vec::new());
    let settings = ProjectionSettings::default();
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
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
            written += seed(&store, &mut dice, size - written).await?;
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

/// An instant in the report's period (2018-11-01 .. 2022-02-14).
fn instant_in_period(dice: &mut Dice) -> DateTime<Utc> {
    let start = Utc
        .with_ymd_and_hms(2018, 10, 31, 17, 0, 0)
        .single()
        .unwrap_or_default();
    start + chrono::Duration::seconds(dice.below(1202 * 86_400 - 7200) as i64)
}

/// Records about `wanted` events (a few more at most) through the write
/// path, in one commit: new calls, some counselled, some opening cases
/// with a referral and a rescue.
async fn seed(store: &EventStore, dice: &mut Dice, wanted: u64) -> Result<u64, Failure> {
    let clock = Clock::system();
    let ctx = CommandContext::new(
        Actor {
            subject: "bench".into(),
            role: Role::Supervisor,
        },
        "bench".into(),
    );
    let mut unit = UnitOfWork::new();
    let mut events = 0_u64;
    while events < wanted.min(5_000) {
        let received_at = instant_in_period(dice);
        let region = dice.weighted(Region::ALL, &REGION_WEIGHTS);
        let category = dice.weighted(CallCategory::ALL, &[40, 12, 8, 5, 30, 5]);
        let channel = dice.weighted(Channel::ALL, &[80, 8, 3, 3, 2, 1, 2, 1]);
        let mut call = Loaded {
            id: Uuid::now_v7(),
            state: Call::default(),
            version: 0,
        };
        let receive = CallCommand::Receive(ReceiveCall {
            call_id: call.id,
            received_at,
            channel,
            region: Some(region),
            province: None,
            country: None,
            caller_type: CallerType::Citizen,
            category,
            topics: vec![],
            duration: None,
        });
        let decided = decide(&mut call, receive, &clock).await?;
        unit.record(&mut call, &decided, &ctx)?;
        events += decided.len() as u64;
        if category == CallCategory::Counselling {
            let session = CallCommand::RecordCounsellingSession(RecordCounsellingSession {
                call_id: call.id,
                session_id: Uuid::now_v7(),
                started_at: received_at + chrono::Duration::minutes(2),
                duration: SessionMinutes::try_from(20_i64)?,
                topics: vec![CounsellingTopic::Psychological],
                notes: None,
            });
            let decided = decide(&mut call, session, &clock).await?;
            unit.record(&mut call, &decided, &ctx)?;
            events += decided.len() as u64;
        }
        if category == CallCategory::ReferralRequest && dice.below(5) == 0 {
            events +=
                open_referred_case(&mut unit, dice, &ctx, &clock, call.id, received_at, region)
                    .await?;
        }
    }
    store.commit(unit).await?;
    Ok(events)
}

async fn open_referred_case(
    unit: &mut UnitOfWork,
    dice: &mut Dice,
    ctx: &CommandContext,
    clock: &Clock,
    call_id: Uuid,
    received_at: DateTime<Utc>,
    region: Region,
) -> Result<u64, Failure> {
    let mut case = Loaded {
        id: Uuid::now_v7(),
        state: Case::default(),
        version: 0,
    };
    let opened_at = received_at + chrono::Duration::minutes(30);
    let referral_id = Uuid::now_v7();
    let agency = dice.weighted(Agency::ALL, &[3, 4, 2, 0, 0, 1, 0, 0, 0, 0]);
    let commands = [
        CaseCommand::Open(OpenCase {
            case_id: case.id,
            opened_at,
            from_call: Some(CallRef {
                call_id,
                received_at,
                region,
            }),
            region: None,
            province: None,
            exploitation_types: vec![],
            persons: vec![],
        }),
        CaseCommand::SendReferral(SendReferral {
            case_id: case.id,
            referral_id,
            agency,
            referred_at: opened_at + chrono::Duration::hours(1),
            persons_at_risk: PersonCount::try_from(2_i64)?,
            consent: Consent::Given,
            reason: None,
            requested_by: Role::Supervisor,
        }),
        CaseCommand::RecordRescue(RecordRescue {
            case_id: case.id,
            rescue_id: Uuid::now_v7(),
            referral_id,
            rescued_at: opened_at + chrono::Duration::days(2),
            persons_rescued: PersonCount::try_from(1 + dice.below(3) as i64)?,
            region: None,
            province: None,
            country: None,
        }),
    ];
    let mut events = 0;
    for command in commands {
        let decided = decide(&mut case, command, clock).await?;
        unit.record(&mut case, &decided, ctx)?;
        events += decided.len() as u64;
    }
    Ok(events)
}
