//! What-ifs of the store-level fixes, on the command path's own pieces
//! (`EventStore::load`, `decide`, `UnitOfWork::record`, `EventStore::commit`):
//!
//! - `skip_load`: a case whose id the server has just generated (UUID v7)
//!   has no events, so it is not loaded (no snapshot and events SELECTs);
//! - `notify_after`: the projectors' wake-up NOTIFY is sent after COMMIT in
//!   a statement of its own (run with the `events_notify` trigger disabled);
//! - `group`: writers hand what they decided to committers that append
//!   every pending command's events in ONE transaction and then answer each
//!   writer. Fewer transactions mean fewer WAL flushes, NOTIFY lock turns and
//!   BEGIN/now()/COMMIT round trips per command. A real implementation must
//!   fall back to single commits when a grouped commit conflicts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{Duration as Days, Utc};
use domain::case::{Case, CaseCommand, CaseEvent, OpenCase};
use domain::clock::Clock;
use domain::values::{ExploitationType, Region};
use sqlx::PgPool;
use store::{decide, CommandContext, EventStore, Loaded, UnitOfWork};
use tokio::sync::{mpsc, oneshot, Mutex};
use uuid::Uuid;

use super::writes::{concurrently, Run};
use super::Fail;
use casetrail_tests::synthetic::bench_context;

type Reply = oneshot::Sender<Result<(), String>>;
type Job = (Loaded<Case>, Vec<CaseEvent>, CommandContext, Reply);

/// Which fixes a run applies.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fixes {
    pub skip_load: bool,
    pub notify_after: bool,
    /// Committers grouping commands (0: each writer commits its own).
    pub group_committers: usize,
}

const NOTIFY: &str = "SELECT pg_notify('casetrail_events', '')";

/// `n` new cases from `writers` writers; the run and the mean number of
/// commands per transaction.
pub async fn open_cases(
    store: &EventStore,
    n: u64,
    writers: usize,
    fixes: Fixes,
) -> Result<(Run, f64), Fail> {
    let (sender, receiver) = mpsc::channel::<Job>(writers.max(1) * 2);
    let receiver = Arc::new(Mutex::new(receiver));
    let transactions = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..fixes.group_committers {
        let (store, receiver, transactions) =
            (store.clone(), receiver.clone(), transactions.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let batch = {
                    let mut receiver = receiver.lock().await;
                    let Some(first) = receiver.recv().await else {
                        break;
                    };
                    let mut batch = vec![first];
                    while batch.len() < writers {
                        match receiver.try_recv() {
                            Ok(job) => batch.push(job),
                            Err(_) => break,
                        }
                    }
                    batch
                };
                commit_group(&store, batch, fixes.notify_after).await;
                transactions.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let run = concurrently(n, writers, {
        let (store, sender, transactions) = (store.clone(), sender.clone(), transactions.clone());
        move |_| {
            let (store, sender) = (store.clone(), sender.clone());
            let transactions = transactions.clone();
            async move {
                let (loaded, events) = decide_new_case(&store, fixes.skip_load).await?;
                if fixes.group_committers == 0 {
                    let mut unit = UnitOfWork::new();
                    let mut loaded = loaded;
                    unit.record(&mut loaded, &events, &bench_context())?;
                    store.commit(unit).await?;
                    notify(store.pool(), fixes.notify_after).await?;
                    transactions.fetch_add(1, Ordering::Relaxed);
                    return Ok(true);
                }
                let (reply, answer) = oneshot::channel();
                sender
                    .send((loaded, events, bench_context(), reply))
                    .await
                    .map_err(|_| "the committer stopped")?;
                answer
                    .await
                    .map_err(|_| "the committer dropped a command")??;
                Ok(true)
            }
        }
    })
    .await;
    drop(sender);
    for task in tasks {
        let _ = task.await;
    }
    let run = run?;
    let transactions = transactions.load(Ordering::Relaxed).max(1);
    let per_transaction = run.count as f64 / transactions as f64;
    Ok((run, per_transaction))
}

/// Loads (unless skipped) and decides the opening of a new case.
async fn decide_new_case(
    store: &EventStore,
    skip_load: bool,
) -> Result<(Loaded<Case>, Vec<CaseEvent>), Fail> {
    let id = Uuid::now_v7();
    let mut loaded = if skip_load {
        Loaded {
            id,
            state: Case::default(),
            version: 0,
        }
    } else {
        store.load::<Case>(id).await?
    };
    let open = CaseCommand::Open(OpenCase {
        case_id: id,
        opened_at: Utc::now() - Days::hours(1),
        from_call: None,
        region: Some(Region::MekongDelta),
        province: None,
        exploitation_types: vec![ExploitationType::ForcedLabour],
        persons: vec![],
    });
    let events = decide(&mut loaded, open, &Clock::system()).await?;
    Ok((loaded, events))
}

async fn notify(pool: &PgPool, wanted: bool) -> Result<(), Fail> {
    if wanted {
        sqlx::query(NOTIFY).execute(pool).await?;
    }
    Ok(())
}

/// Appends a group in one transaction and answers every writer in it.
async fn commit_group(store: &EventStore, batch: Vec<Job>, notify_after: bool) {
    let mut unit = UnitOfWork::new();
    let mut replies = Vec::with_capacity(batch.len());
    let mut recorded = Ok(());
    for (mut loaded, events, ctx, reply) in batch {
        if recorded.is_ok() {
            recorded = unit
                .record(&mut loaded, &events, &ctx)
                .map_err(|e| e.to_string());
        }
        replies.push(reply);
    }
    let mut result = match recorded {
        Ok(()) => store
            .commit(unit)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    if result.is_ok() {
        result = notify(store.pool(), notify_after).await.map_err(|e| e.0);
    }
    for reply in replies {
        let _ = reply.send(result.clone());
    }
}
