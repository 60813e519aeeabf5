//! Running commands: parse the input once, seal personal data, then load,
//! decide and commit, retrying a lost optimistic-concurrency race against
//! fresh state a bounded number of times before answering CONFLICT.
//!
//! Commands on the same stream are also serialised inside this process
//! (striped locks), so concurrent requests to one case queue here instead of
//! burning retries; between processes the database's unique sequence is
//! the arbiter.

mod calls;
mod cases;
mod idempotency;
mod parse;
mod persons;
mod preview;

pub use parse::required_text;

use std::time::{Duration, Instant};

use cqrs_es::Aggregate;
use domain::call::{Call, CallCommand};
use domain::case::{CallRef, Case, CaseCommand};
use domain::clock::Clock;
use domain::occurred::OccurredAt;
use domain::DomainError;
use rand::Rng;
use store::log::StreamRange;
use store::receipts::find_receipt;
use store::vault::Vault;
use store::{decide, CommandContext, EventStore, Loaded, StoreError, UnitOfWork};
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

pub use idempotency::Idempotency;

use crate::error::{ApiError, ApiResult};
use crate::metrics::metrics;

/// How many times a command is tried against fresh state before CONFLICT.
pub const MAX_ATTEMPTS: u32 = 10;

const LOCK_STRIPES: usize = 1024;

/// Executes the hotline's commands.
pub struct CommandService {
    store: EventStore,
    vault: Vault,
    clock: Clock,
    locks: Vec<Mutex<()>>,
}

/// A command's result: the aggregate right after it (or after its first run, on a replay).
pub struct Done<A> {
    pub loaded: Loaded<A>,
    /// The entity the receipt named (e.g. the referral), for replays.
    pub result_id: Option<Uuid>,
}

impl CommandService {
    pub fn new(store: EventStore, vault: Vault, clock: Clock) -> Self {
        Self {
            // Snapshots decide commands, so they are verified with the vault's master keys.
            store: store.with_snapshot_keys(vault.master_keys()),
            vault,
            clock,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }

    pub fn store(&self) -> &EventStore {
        &self.store
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Locks the stripes of the given streams, always in the same order.
    async fn lock_streams(&self, ids: &[Uuid]) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = ids
            .iter()
            .map(|id| (id.as_u128() % LOCK_STRIPES as u128) as usize)
            .collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        for i in stripes {
            if let Some(lock) = self.locks.get(i) {
                guards.push(lock.lock().await);
            }
        }
        guards
    }

    /// The first result of an already-committed keyed command, if there is one.
    async fn replay<A: Aggregate>(&self, key: Option<&Idempotency>) -> ApiResult<Option<Done<A>>> {
        let Some(key) = key else { return Ok(None) };
        let Some(receipt) = find_receipt(self.store.pool(), &key.caller, &key.key).await? else {
            return Ok(None);
        };
        if !key.matches(&receipt) || receipt.stream_type != A::TYPE {
            return Err(ApiError::Conflict(reused_key_message(&key.key)));
        }
        let id = Uuid::parse_str(&receipt.stream_id).map_err(|_| {
            StoreError::Corrupt("a receipt names a stream that is not a UUID".into())
        })?;
        let range = StreamRange {
            up_to_sequence: Some(receipt.last_sequence),
            ..StreamRange::default()
        };
        let (loaded, _) = self.store.load_range::<A>(id, range).await?;
        Ok(Some(Done {
            loaded,
            result_id: receipt.result_id,
        }))
    }

    /// Runs `command` on one aggregate.
    #[tracing::instrument(skip_all, fields(stream.kind = A::TYPE, stream.id = %id))]
    pub async fn execute<A>(
        &self,
        ctx: &CommandContext,
        id: Uuid,
        command: A::Command,
        key: Option<&Idempotency>,
        result_id: Option<Uuid>,
    ) -> ApiResult<Done<A>>
    where
        A: Aggregate<Services = Clock, Error = DomainError>,
        A::Command: Clone,
        A::Event: OccurredAt,
    {
        if let Some(done) = self.replay::<A>(key).await? {
            return Ok(done);
        }
        let started = Instant::now();
        let _guards = self.lock_streams(&[id]).await;
        for attempt in 0..MAX_ATTEMPTS {
            // A twin of this request may have committed while we waited for the lock.
            if let Some(done) = self.replay::<A>(key).await? {
                return Ok(done);
            }
            let mut loaded = self.store.load::<A>(id).await?;
            let events = match decide(&mut loaded, command.clone(), &self.clock).await {
                Ok(events) => events,
                Err(refusal) => return self.refused(key, refusal.into()).await,
            };
            let mut unit = UnitOfWork::new();
            unit.record(&mut loaded, &events, ctx)?;
            if let Some(key) = key {
                unit.receipt(key.receipt(A::TYPE, id, loaded.version, result_id));
            }
            if unit.is_empty() {
                return Ok(Done { loaded, result_id });
            }
            let events = unit.event_count();
            match self.store.commit(unit).await {
                Ok(_) => {
                    metrics().command(A::TYPE, started.elapsed(), events);
                    return Ok(Done { loaded, result_id });
                }
                Err(StoreError::Conflict) => self.lost_race::<A>(attempt).await,
                Err(taken @ StoreError::IdTaken { .. }) => {
                    return self.refused(key, taken.into()).await
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(conflict_after_retries())
    }

    /// Runs a case command that involves a call (opening from it, attaching
    /// it): the call must exist, and it learns of the case in the same transaction.
    #[tracing::instrument(skip_all, fields(case.id = %case_id, call.id = %call_id))]
    pub async fn execute_with_call(
        &self,
        ctx: &CommandContext,
        case_id: Uuid,
        call_id: Uuid,
        command: impl Fn(CallRef) -> CaseCommand,
        key: Option<&Idempotency>,
    ) -> ApiResult<Done<Case>> {
        if let Some(done) = self.replay::<Case>(key).await? {
            return Ok(done);
        }
        let started = Instant::now();
        let _guards = self.lock_streams(&[case_id, call_id]).await;
        for attempt in 0..MAX_ATTEMPTS {
            if let Some(done) = self.replay::<Case>(key).await? {
                return Ok(done);
            }
            let mut call = self.store.load::<Call>(call_id).await?;
            let received = call.state.existing(call_id)?;
            let call_ref = CallRef {
                call_id,
                received_at: received.received_at,
                region: received.region,
            };
            let mut case = self.store.load::<Case>(case_id).await?;
            let case_events = match decide(&mut case, command(call_ref), &self.clock).await {
                Ok(events) => events,
                Err(refusal) => return self.refused(key, refusal.into()).await,
            };
            let link = CallCommand::LinkToCase { call_id, case_id };
            let call_events = decide(&mut call, link, &self.clock).await?;
            let mut unit = UnitOfWork::new();
            unit.record(&mut case, &case_events, ctx)?;
            unit.record(&mut call, &call_events, ctx)?;
            if let Some(key) = key {
                unit.receipt(key.receipt(Case::TYPE, case_id, case.version, None));
            }
            if unit.is_empty() {
                return Ok(Done {
                    loaded: case,
                    result_id: None,
                });
            }
            let events = unit.event_count();
            match self.store.commit(unit).await {
                Ok(_) => {
                    metrics().command(Case::TYPE, started.elapsed(), events);
                    return Ok(Done {
                        loaded: case,
                        result_id: None,
                    });
                }
                Err(StoreError::Conflict) => self.lost_race::<Case>(attempt).await,
                Err(taken @ StoreError::IdTaken { .. }) => {
                    return self.refused(key, taken.into()).await
                }
                Err(other) => return Err(other.into()),
            }
        }
        Err(conflict_after_retries())
    }

    /// Waits a little, with jitter, before trying again against fresh state.
    async fn lost_race<A: Aggregate>(&self, attempt: u32) {
        metrics_conflict(A::TYPE, attempt);
        let ceiling = 2u64.saturating_pow(attempt.min(6)).saturating_mul(2);
        let wait = rand::thread_rng().gen_range(1..=ceiling);
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }

    /// A refusal, unless a twin of this keyed request (in another process)
    /// committed between our receipt check and our load: then its result.
    async fn refused<A: Aggregate>(
        &self,
        key: Option<&Idempotency>,
        refusal: ApiError,
    ) -> ApiResult<Done<A>> {
        match self.replay::<A>(key).await? {
            Some(done) => Ok(done),
            None => Err(refusal),
        }
    }

    /// Refuses, before anything is sealed, ids that already name something
    /// (`store::identity`); the commit remains the arbiter. `Some` is the
    /// first result of a twin of this keyed request that committed meanwhile.
    async fn refuse_taken_ids<A: Aggregate>(
        &self,
        key: Option<&Idempotency>,
        ids: &[(&'static str, Uuid)],
    ) -> ApiResult<Option<Done<A>>> {
        match store::identity::taken(self.store.pool(), ids).await? {
            None => Ok(None),
            Some((kind, id)) => {
                let taken = StoreError::IdTaken { kind, id }.into();
                self.refused(key, taken).await.map(Some)
            }
        }
    }
}

fn metrics_conflict(stream_kind: &'static str, attempt: u32) {
    metrics().conflict_retried();
    tracing::debug!(
        stream.kind = stream_kind,
        attempt,
        "lost an optimistic-concurrency race; retrying"
    );
}

fn conflict_after_retries() -> ApiError {
    ApiError::Conflict(format!(
        "the record kept changing concurrently; gave up after {MAX_ATTEMPTS} attempts, retry the request"
    ))
}

/// The kind of thing a mutation's `id` names, for mutations whose key is that id.
const KEYED_BY_ID: [(&str, &str); 7] = [
    ("receiveCall", "call"),
    ("recordCounsellingSession", "counselling session"),
    ("openCase", "case"),
    ("attachPerson", "person"),
    ("sendReferral", "referral"),
    ("recordRescue", "rescue"),
    ("provideSupport", "support"),
];

/// A key reused with a different input. When the key is an id (a UUID,
/// never personal data) the message names its kind and the id, like a reuse
/// caught by `store::identity`; a client's free-form key is not echoed.
fn reused_key_message(scoped_key: &str) -> String {
    let named = scoped_key.split_once(':').and_then(|(mutation, rest)| {
        let kind = KEYED_BY_ID.iter().find(|(m, _)| *m == mutation)?.1;
        // attachPerson's key is "case:person".
        let id = Uuid::parse_str(rest.rsplit(':').next()?).ok()?;
        Some((kind, id))
    });
    match named {
        Some((kind, id)) => format!(
            "{kind} {id} is already recorded with a different input: an id names one thing, choose a new id"
        ),
        None => "this idempotency key was already used with a different input".into(),
    }
}
