//! The hot case: one stream, many sequential commands. Beside the command
//! path itself, what loading the long case costs: from the state cache,
//! from its snapshot, and from its events alone.

use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use domain::case::Case;
use domain::values::SupportService;
use serde_json::Value;
use store::EventStore;
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

pub fn service(i: u64) -> SupportService {
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

/// What loading a long case costs.
pub struct HotLoad {
    /// `EventStore::load` in the process that ran the commands: its state
    /// cache, checked against the log's head.
    pub cached: Duration,
    /// The same in a process that has not seen the case: the newest
    /// snapshot and the events after it (one statement), decoded.
    pub with_snapshot: Duration,
    /// All events replayed, no snapshot.
    pub from_zero: Duration,
    pub snapshot_bytes: usize,
    /// Decoding the snapshot as the store does (JSON text -> Value -> state)...
    pub decode_via_value: Duration,
    /// ...and straight from the text into the state.
    pub decode_direct: Duration,
}

/// Medians of loading a long case `n` times, each way. `store` ran the
/// case's commands; `fresh` makes a store that has not seen it.
pub async fn hot_load(
    store: &EventStore,
    fresh: impl Fn() -> EventStore,
    case_id: Uuid,
    n: usize,
) -> Result<HotLoad, Fail> {
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
    let (mut cached, mut with_snapshot, mut from_zero) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(store.load::<Case>(case_id).await?);
        cached.push(t.elapsed());
        let cold = fresh();
        let t = Instant::now();
        std::hint::black_box(cold.load::<Case>(case_id).await?);
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
        cached: median(cached),
        with_snapshot: median(with_snapshot),
        from_zero: median(from_zero),
        snapshot_bytes: text.len(),
        decode_via_value: median(via_value),
        decode_direct: median(direct),
    })
}
