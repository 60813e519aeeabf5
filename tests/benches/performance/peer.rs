//! The design card's stock stack, side by side (issue 11, item 8):
//! cqrs-es 0.5's `CqrsFramework` over postgres-es 0.5's
//! `PostgresEventRepository`, running casetrail's own `Case` aggregate (the
//! same `handle` and `apply`), on the bench database in tables of its own
//! (`peer_*`, laid out as postgres-es documents them). A dev-dependency of
//! the tests crate only: nothing of it is in the production binary.
//!
//! The stock stack as its documentation sets it up: `postgres_cqrs` (events
//! only, every command loads its aggregate's whole stream; no hash chain,
//! no receipts, no id registry, no grouping), and `GenericQuery` over a
//! `PostgresViewRepository`, fed one event at a time by `QueryReplay`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Days, Utc};
use cqrs_es::persist::{GenericQuery, PersistedEventStore, QueryReplay};
use cqrs_es::{CqrsFramework, EventEnvelope, View};
use domain::case::{Case, CaseCommand, CaseEvent, OpenCase, ProvideSupport};
use domain::clock::Clock;
use domain::values::{ExploitationType, Region};
use postgres_es::{PostgresEventRepository, PostgresViewRepository};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};
use uuid::Uuid;

use super::db::options;
use super::hot::service;
use super::writes::{concurrently, Run};
use super::Fail;
use casetrail_tests::synthetic::bench_context;

const EVENTS: &str = "peer_events";
const SNAPSHOTS: &str = "peer_snapshots";
const VIEW: &str = "peer_case_view";

type Framework = CqrsFramework<Case, PersistedEventStore<PostgresEventRepository, Case>>;

/// The stock stack on the bench database.
pub struct Peer {
    pool: PgPool,
    cqrs: Framework,
}

/// postgres-es's schema (its `db/init.sql`), under the bench's table names.
fn schema() -> String {
    format!(
        "DROP TABLE IF EXISTS {EVENTS}, {SNAPSHOTS}, {VIEW}; \
         CREATE TABLE {EVENTS} (aggregate_type text NOT NULL, aggregate_id text NOT NULL, \
             sequence bigint CHECK (sequence >= 0) NOT NULL, event_type text NOT NULL, \
             event_version text NOT NULL, payload json NOT NULL, metadata json NOT NULL, \
             PRIMARY KEY (aggregate_type, aggregate_id, sequence)); \
         CREATE TABLE {SNAPSHOTS} (aggregate_type text NOT NULL, aggregate_id text NOT NULL, \
             last_sequence bigint CHECK (last_sequence >= 0) NOT NULL, \
             current_snapshot bigint CHECK (current_snapshot >= 0) NOT NULL, \
             payload json NOT NULL, PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)); \
         CREATE TABLE {VIEW} (view_id text NOT NULL, version bigint CHECK (version >= 0) NOT NULL, \
             payload json NOT NULL, PRIMARY KEY (view_id))"
    )
}

fn framework(pool: &PgPool) -> Framework {
    let repo = PostgresEventRepository::new(pool.clone()).with_tables(EVENTS, SNAPSHOTS);
    CqrsFramework::new(
        PersistedEventStore::new_event_store(repo),
        vec![],
        Clock::system(),
    )
}

impl Peer {
    /// Creates its tables and a pool of `connections` like casetrail's.
    pub async fn set_up(url: &str, connections: u32) -> Result<Self, Fail> {
        let pool = PgPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options(url)?)
            .await?;
        pool.execute(schema().as_str()).await?;
        let cqrs = framework(&pool);
        Ok(Self { pool, cqrs })
    }

    async fn execute(&self, id: Uuid, command: CaseCommand) -> Result<(), Fail> {
        let metadata: HashMap<String, String> = bench_context().metadata(Some(Utc::now())).to_map();
        self.cqrs
            .execute_with_metadata(&id.to_string(), command, metadata)
            .await
            .map_err(|e| Fail::from(format!("the stock stack refused a command: {e}")))
    }
}

fn open(case_id: Uuid, region: Region) -> CaseCommand {
    CaseCommand::Open(OpenCase {
        case_id,
        opened_at: Utc::now() - Days::hours(1),
        from_call: None,
        region: Some(region),
        province: None,
        exploitation_types: vec![ExploitationType::ForcedLabour],
        persons: vec![],
    })
}

/// `n` new cases from `writers` concurrent writers (what (1) runs on casetrail).
pub async fn open_cases(peer: &Arc<Peer>, n: u64, writers: usize) -> Result<Run, Fail> {
    let peer = peer.clone();
    concurrently(n, writers, move |i| {
        let peer = peer.clone();
        async move {
            let region = Region::ALL
                .get((i % 8) as usize)
                .copied()
                .unwrap_or(Region::Unknown);
            let id = Uuid::now_v7();
            peer.execute(id, open(id, region)).await?;
            Ok(true)
        }
    })
    .await
}

/// One case, then `n` sequential provideSupport on it (what (2) runs on
/// casetrail); the duration of each support command, in order.
pub async fn hot_case(peer: &Peer, n: u64) -> Result<Vec<Duration>, Fail> {
    let id = Uuid::now_v7();
    peer.execute(id, open(id, Region::Northeast)).await?;
    let mut durations = Vec::with_capacity(n as usize);
    for i in 0..n {
        let command = CaseCommand::ProvideSupport(ProvideSupport {
            case_id: id,
            provision_id: Uuid::now_v7(),
            person_id: None,
            service: service(i),
            provided_at: Utc::now() - Days::minutes(30),
        });
        let t = Instant::now();
        peer.execute(id, command).await?;
        durations.push(t.elapsed());
    }
    Ok(durations)
}

/// The read model the replay builds: what casetrail's `cases` projection
/// keeps of a case (status, region, when opened and closed).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CaseSummary {
    opened_at: Option<DateTime<Utc>>,
    region: Option<Region>,
    province: Option<String>,
    closed: bool,
    closed_at: Option<DateTime<Utc>>,
}

impl View<Case> for CaseSummary {
    fn update(&mut self, event: &EventEnvelope<Case>) {
        match &event.payload {
            CaseEvent::CaseOpened {
                opened_at,
                region,
                province,
                ..
            } => {
                self.opened_at = Some(*opened_at);
                self.region = Some(*region);
                self.province = province.clone();
            }
            CaseEvent::CaseClosed { closed_at, .. } => {
                self.closed = true;
                self.closed_at = Some(*closed_at);
            }
            CaseEvent::CaseReopened { .. } => {
                self.closed = false;
                self.closed_at = None;
            }
            _ => {}
        }
    }
}

/// Copies casetrail's Case events (the same rows, the same JSON) into the
/// stock stack's table, then replays them into its view, as `QueryReplay`
/// does: (events replayed, how long the replay took).
pub async fn replay_cases(peer: &Peer) -> Result<(u64, Duration), Fail> {
    peer.pool
        .execute(format!("TRUNCATE {EVENTS}, {VIEW}").as_str())
        .await?;
    let copied = sqlx::query(&format!(
        "INSERT INTO {EVENTS} (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                               payload, metadata) \
         SELECT aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata \
         FROM events WHERE aggregate_type = 'Case'"
    ))
    .execute(&peer.pool)
    .await?
    .rows_affected();
    let repo = PostgresEventRepository::new(peer.pool.clone()).with_tables(EVENTS, SNAPSHOTS);
    let views = Arc::new(PostgresViewRepository::<CaseSummary, Case>::new(
        VIEW,
        peer.pool.clone(),
    ));
    let replay = QueryReplay::new(repo, GenericQuery::new(views));
    let started = Instant::now();
    replay
        .replay_all()
        .await
        .map_err(|e| Fail::from(format!("the stock stack's replay failed: {e}")))?;
    let elapsed = started.elapsed();
    let written: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {VIEW}"))
        .fetch_one(&peer.pool)
        .await?;
    if written == 0 && copied > 0 {
        return Err("the stock stack's replay wrote no view".into());
    }
    Ok((copied, elapsed))
}
