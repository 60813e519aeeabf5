//! The hot case: one stream, many sequential commands. Beside the command
//! path itself, what its cost is made of (loading the growing snapshot)
//! and the what-if of an in-process cache of the last committed state.

use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use cqrs_es::Aggregate;
use domain::case::{Case, CaseCommand, OpenCase, ProvideSupport};
use domain::clock::Clock;
use domain::values::{ExploitationType, Region, SupportService};
use serde_json::Value;
use store::log::{read_stream, StreamRange};
use store::{decide, EventStore, Loaded, UnitOfWork};
use uuid::Uuid;

use super::writes::open_case_input;
use super::Fail;
use api::commands::CommandService;
use api::graphql::inputs::ProvideSupportInput;
use casetrail_tests::synthetic::bench_context;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn service(i: u64) -> SupportService {
    SupportService::ALL
        .get(i as usize % SupportService::ALL.len())
        .copied()
        .unwrap_or(SupportService::Medical)
}

/// One case, then `n` sequential provideSupport commands on it; the
/// duration of each command, in order.
pub async fn hot_case(commands: &CommandService, n: u64) -> Result<(Uuid, Vec<Duration>), Fail> {
    let opened = commands
        .open_case(&bench_context(), open_case_input(false, 0))
        .await
        .map_err(|e| format!("openCase failed: {e}"))?;
    let case_id = opened.loaded.id;
    let mut durations = Vec::with_capacity(n as usize);
    for i in 0..n {
        let input = ProvideSupportInput {
            id: None,
            case_id,
            person_id: None,
            service: service(i).into(),
            provided_at: Utc::now() - Days::minutes(30),
        };
        let t = Instant::now();
        commands
            .provide_support(&bench_context(), input)
            .await
            .map_err(|e| format!("provideSupport failed: {e}"))?;
        durations.push(t.elapsed());
    }
    Ok((case_id, durations))
}

/// What-if: the same sequence with the last committed state kept in
/// memory (what an in-process aggregate cache behind the stripe locks
/// would do): each command reads only the events after the cached version
/// (normally none: one query), decides, records and commits as usual
/// (snapshots still written every 100 events). Durations of the support commands.
pub async fn hot_case_cached(store: &EventStore, n: u64) -> Result<Vec<Duration>, Fail> {
    let clock = Clock::system();
    let id = Uuid::now_v7();
    let mut cached = Loaded {
        id,
        state: Case::default(),
        version: 0,
    };
    let opened_at = Utc::now() - Days::days(1);
    let mut durations = Vec::with_capacity(n as usize);
    for i in 0..=n {
        let t = Instant::now();
        let range = StreamRange {
            after_sequence: cached.version,
            ..StreamRange::default()
        };
        for stored in read_stream(store.pool(), Case::TYPE, &id.to_string(), range).await? {
            cached.state.apply(store.decode::<Case>(&stored)?);
            cached.version = stored.sequence;
        }
        let mut working = cached.clone();
        let command = if i == 0 {
            CaseCommand::Open(OpenCase {
                case_id: id,
                opened_at,
                from_call: None,
                region: Some(Region::Northeast),
                province: None,
                exploitation_types: vec![ExploitationType::ForcedLabour],
                persons: vec![],
            })
        } else {
            CaseCommand::ProvideSupport(ProvideSupport {
                case_id: id,
                provision_id: Uuid::now_v7(),
                person_id: None,
                service: service(i),
                provided_at: Utc::now() - Days::minutes(30),
            })
        };
        let events = decide(&mut working, command, &clock).await?;
        let mut unit = UnitOfWork::new();
        unit.record(&mut working, &events, &bench_context())?;
        store.commit(unit).await?;
        cached = working;
        if i > 0 {
            durations.push(t.elapsed());
        }
    }
    Ok(durations)
}

/// What loading a long case costs.
pub struct HotLoad {
    /// `EventStore::load`: snapshot + events after it.
    pub with_snapshot: Duration,
    /// All events replayed, no snapshot.
    pub from_zero: Duration,
    pub snapshot_bytes: usize,
    /// Decoding the snapshot as the store does (JSON text -> Value -> state)...
    pub decode_via_value: Duration,
    /// ...and straight from the text into the state.
    pub decode_direct: Duration,
}

/// Medians of loading a long case `n` times, each way.
pub async fn hot_load(store: &EventStore, case_id: Uuid, n: usize) -> Result<HotLoad, Fail> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT payload::text FROM snapshots WHERE aggregate_type = 'Case' AND aggregate_id = $1 \
         ORDER BY last_sequence DESC LIMIT 1",
    )
    .bind(case_id.to_string())
    .fetch_optional(store.pool())
    .await?;
    let text = text.unwrap_or_default();
    let (mut via_value, mut direct) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        let value: Value = serde_json::from_str(&text)?;
        std::hint::black_box(serde_json::from_value::<Case>(value)?);
        via_value.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(serde_json::from_str::<Case>(&text)?);
        direct.push(t.elapsed());
    }
    let mut with_snapshot = Vec::new();
    let mut from_zero = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(store.load::<Case>(case_id).await?);
        with_snapshot.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(
            store
                .load_range::<Case>(case_id, store::log::StreamRange::default())
                .await?,
        );
        from_zero.push(t.elapsed());
    }
    Ok(HotLoad {
        with_snapshot: median(with_snapshot),
        from_zero: median(from_zero),
        snapshot_bytes: text.len(),
        decode_via_value: median(via_value),
        decode_direct: median(direct),
    })
}
