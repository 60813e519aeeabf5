//! Where a command's time goes: the command path taken apart step by step
//! (sequentially, one command at a time), beside bare round trips and a
//! bare committed INSERT on the same pool.

use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use domain::case::{Case, CaseCommand, OpenCase};
use domain::clock::Clock;
use domain::values::{ExploitationType, Region};
use sqlx::PgPool;
use store::{decide, EventStore, UnitOfWork};
use uuid::Uuid;

use super::db::RAW_TABLE;
use super::report::millis;
use super::Fail;
use casetrail_tests::synthetic::bench_context;

/// Median of each step, over `n` sequential new cases.
pub struct Breakdown {
    pub round_trip_held: Duration,
    pub round_trip_pool: Duration,
    pub raw_insert: Duration,
    pub load: Duration,
    pub decide: Duration,
    pub commit: Duration,
}

impl Breakdown {
    pub fn describe(&self) -> Vec<String> {
        vec![
            format!(
                "one round trip (SELECT 1) on a held connection: {}; through the pool (acquire + query): {}",
                millis(self.round_trip_held),
                millis(self.round_trip_pool)
            ),
            format!(
                "a bare committed one-row INSERT through the pool: {}",
                millis(self.raw_insert)
            ),
            format!(
                "openCase, new stream minted by the store, step by step: load {} (nothing to read) \
                 + decide/record {} + commit {} (hash, then the group committer's one statement, \
                 alone here as commands are sequential)",
                millis(self.load),
                millis(self.decide),
                millis(self.commit)
            ),
        ]
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Takes the command path apart over `n` sequential new cases.
pub async fn breakdown(pool: &PgPool, store: &EventStore, n: usize) -> Result<Breakdown, Fail> {
    let clock = Clock::system();
    let (mut held, mut pooled, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    {
        let mut conn = pool.acquire().await?;
        for _ in 0..n {
            let t = Instant::now();
            sqlx::query("SELECT 1").execute(&mut *conn).await?;
            held.push(t.elapsed());
        }
    }
    let (documents, metadata) = super::writes::sample_event_documents().await?;
    let insert = format!("INSERT INTO {RAW_TABLE} (id, payload, metadata) VALUES ($1, $2, $3)");
    for _ in 0..n {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(pool).await?;
        pooled.push(t.elapsed());
        let t = Instant::now();
        sqlx::query(&insert)
            .bind(Uuid::now_v7())
            .bind(&documents)
            .bind(&metadata)
            .execute(pool)
            .await?;
        raw.push(t.elapsed());
    }
    let (mut load, mut decided, mut commit) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let id = store.mint::<Case>();
        let t = Instant::now();
        let mut loaded = store.load::<Case>(id).await?;
        load.push(t.elapsed());
        let t = Instant::now();
        let open = CaseCommand::Open(OpenCase {
            case_id: id,
            opened_at: Utc::now() - Days::hours(1),
            from_call: None,
            region: Some(Region::Southeast),
            province: None,
            exploitation_types: vec![ExploitationType::ForcedLabour],
            persons: vec![],
        });
        let events = decide(&mut loaded, open, &clock).await?;
        let mut unit = UnitOfWork::new();
        unit.record(&mut loaded, &events, &bench_context())?;
        decided.push(t.elapsed());
        let t = Instant::now();
        store.commit(unit).await?;
        commit.push(t.elapsed());
    }
    Ok(Breakdown {
        round_trip_held: median(held),
        round_trip_pool: median(pooled),
        raw_insert: median(raw),
        load: median(load),
        decide: median(decided),
        commit: median(commit),
    })
}
