//! The write side through `CommandService`, exactly as the GraphQL resolvers
//! call it: concurrent writers, the raw INSERT ceiling beside them, the hot
//! case, and realistic mixed activity for the small log.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use domain::case::{Case, CaseCommand, OpenCase, ProvideSupport};
use domain::clock::Clock;
use domain::occurred::OccurredAt;
use domain::values::{ExploitationType, Region, SupportService};
use serde_json::Value;
use sqlx::PgPool;
use store::{decide, EventStore, Loaded, UnitOfWork};
use uuid::Uuid;

use super::report::{rate, Latency};
use super::Fail;
use api::commands::CommandService;
use api::graphql::inputs::OpenCaseInput;
use casetrail_tests::synthetic::bench_context;

/// What a timed run did.
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub count: u64,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Run {
    pub fn rate(&self) -> f64 {
        rate(self.count, self.elapsed)
    }

    pub fn latency(&self) -> Latency {
        Latency::of(&mut self.latencies.clone())
    }

    /// Adds another round of the same measurement.
    pub fn absorb(&mut self, other: Run) {
        self.count += other.count;
        self.elapsed += other.elapsed;
        self.latencies.extend(other.latencies);
    }
}

/// Runs `op(i)` for i in 0..n on `writers` concurrent tasks; a writer also
/// stops when its `op` answers `false` (nothing done).
pub async fn concurrently<F, Fut>(n: u64, writers: usize, op: F) -> Result<Run, Fail>
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, Fail>> + Send + 'static,
{
    let next = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(n.min(1 << 20) as usize)));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers.max(1) {
        let (next, latencies, op) = (next.clone(), latencies.clone(), op.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                if !op(i).await? {
                    break;
                }
                mine.push(t.elapsed());
            }
            if let Ok(mut all) = latencies.lock() {
                all.extend(mine);
            }
            Ok::<(), Fail>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| format!("a writer failed: {e}"))??;
    }
    let elapsed = started.elapsed();
    let latencies = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    Ok(Run {
        count: latencies.len() as u64,
        elapsed,
        latencies,
    })
}

/// An `openCase` as the frontend sends it: a new case with a region and an
/// exploitation type, no persons. With `keyed`, it carries a client `id`
/// (idempotency key), which adds the receipt lookups and the receipt insert.
pub fn open_case_input(keyed: bool, dice_roll: u64) -> OpenCaseInput {
    let region = Region::ALL
        .get((dice_roll % 8) as usize)
        .copied()
        .unwrap_or(Region::Unknown);
    OpenCaseInput {
        id: keyed.then(Uuid::now_v7),
        from_call_id: None,
        opened_at: Utc::now() - Days::hours(1),
        region: Some(region.into()),
        province: None,
        exploitation_types: Some(vec![ExploitationType::ForcedLabour.into()]),
        persons: None,
    }
}

/// `n` openCase commands through `CommandService`, `writers` at a time.
pub async fn open_cases(
    commands: &Arc<CommandService>,
    n: u64,
    writers: usize,
    keyed: bool,
) -> Result<Run, Fail> {
    let commands = commands.clone();
    concurrently(n, writers, move |i| {
        let commands = commands.clone();
        async move {
            commands
                .open_case(&bench_context(), open_case_input(keyed, i))
                .await
                .map_err(|e| format!("openCase failed: {e}"))?;
            Ok(true)
        }
    })
    .await
}

/// The JSON documents of a real `CaseOpened` event and its metadata: what
/// one raw INSERT writes, so that both sides move the same bytes.
pub async fn sample_event_documents() -> Result<(Value, Value), Fail> {
    let mut case = Loaded {
        id: Uuid::now_v7(),
        state: std::sync::Arc::new(Case::default()),
        version: 0,
    };
    let open = CaseCommand::Open(OpenCase {
        case_id: case.id,
        opened_at: Utc::now() - Days::hours(1),
        from_call: None,
        region: Some(Region::RedRiverDelta),
        province: None,
        exploitation_types: vec![ExploitationType::ForcedLabour],
        persons: vec![],
    });
    let events = decide(&mut case, open, &Clock::system()).await?;
    let event = events.first().ok_or("openCase decided no event")?;
    let metadata = bench_context().metadata(event.occurred_at());
    Ok((
        serde_json::to_value(event)?,
        serde_json::to_value(metadata)?,
    ))
}

/// The ceiling: one row per transaction into a scratch `table`. `explicit`
/// wraps it in BEGIN/COMMIT (as a command's commit does); otherwise autocommit.
pub async fn raw_inserts(
    pool: &PgPool,
    table: &str,
    n: u64,
    writers: usize,
    explicit: bool,
    documents: &(Value, Value),
) -> Result<Run, Fail> {
    let pool = pool.clone();
    let documents = Arc::new(documents.clone());
    let sql = format!("INSERT INTO {table} (id, payload, metadata) VALUES ($1, $2, $3)");
    let sql: Arc<str> = sql.into();
    concurrently(n, writers, move |_| {
        let (pool, documents, sql) = (pool.clone(), documents.clone(), sql.clone());
        async move {
            let insert = sqlx::query(&sql)
                .bind(Uuid::now_v7())
                .bind(&documents.0)
                .bind(&documents.1);
            if explicit {
                let mut tx = pool.begin().await?;
                insert.execute(&mut *tx).await?;
                tx.commit().await?;
            } else {
                insert.execute(&pool).await?;
            }
            Ok(true)
        }
    })
    .await
}

/// A case of exactly `events` events (opened, then support services),
/// decided in memory and committed 100 events per transaction, so its
/// snapshots are written as the command path writes them.
pub async fn long_case(store: &EventStore, events: u64) -> Result<Uuid, Fail> {
    let clock = Clock::system();
    let ctx = bench_context();
    let mut case = Loaded {
        id: Uuid::now_v7(),
        state: std::sync::Arc::new(Case::default()),
        version: 0,
    };
    let opened_at = Utc::now() - Days::days(30);
    let mut unit = UnitOfWork::new();
    for i in 0..events {
        let command = if i == 0 {
            CaseCommand::Open(OpenCase {
                case_id: case.id,
                opened_at,
                from_call: None,
                region: Some(Region::Northwest),
                province: None,
                exploitation_types: vec![ExploitationType::Sexual],
                persons: vec![],
            })
        } else {
            CaseCommand::ProvideSupport(ProvideSupport {
                case_id: case.id,
                provision_id: Uuid::now_v7(),
                person_id: None,
                service: SupportService::ALL
                    .get(i as usize % SupportService::ALL.len())
                    .copied()
                    .unwrap_or(SupportService::Medical),
                provided_at: opened_at + Days::minutes(i as i64),
            })
        };
        let decided = decide(&mut case, command, &clock).await?;
        unit.record(&mut case, &decided, &ctx)?;
        if unit.event_count() >= 100 {
            store.commit(std::mem::take(&mut unit)).await?;
        }
    }
    if !unit.is_empty() {
        store.commit(unit).await?;
    }
    Ok(case.id)
}
