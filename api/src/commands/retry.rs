//! The one retry loop every command runs in: replay a keyed twin's result,
//! lock the streams, then load, decide and commit against fresh state,
//! retrying a lost optimistic-concurrency race a bounded number of times
//! before answering CONFLICT.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use cqrs_es::Aggregate;
use domain::call::{Call, CallCommand};
use domain::case::{CallRef, Case, CaseCommand};
use domain::clock::Clock;
use domain::occurred::OccurredAt;
use domain::reference::book::ConsultsBook;
use domain::DomainError;
use rand::Rng;
use store::{CommandContext, Loaded, StoreError, UnitOfWork};
use uuid::Uuid;

use super::{CommandService, Done, Idempotency, MAX_ATTEMPTS};
use crate::error::{ApiError, ApiResult};
use crate::metrics::metrics;

/// What one attempt decided: the events to commit (and the aggregate the
/// command answers with), or the domain's refusal.
type Decided<A> = Result<(UnitOfWork, Loaded<A>), ApiError>;
/// One attempt against fresh state; errors that are not refusals end the command.
type Attempt<'a, A> = Pin<Box<dyn Future<Output = ApiResult<Decided<A>>> + Send + 'a>>;

fn boxed<'a, A>(
    attempt: impl Future<Output = ApiResult<Decided<A>>> + Send + 'a,
) -> Attempt<'a, A> {
    Box::pin(attempt)
}

impl CommandService {
    /// Runs `command` on one aggregate. (Its span and the store's are at
    /// debug level: at info, every command would format them for the log
    /// whether or not anything is logged inside; the request's own span
    /// names it.)
    #[tracing::instrument(level = "debug", skip_all, fields(stream.kind = A::TYPE, stream.id = %id))]
    pub async fn execute<A>(
        &self,
        ctx: &CommandContext,
        id: Uuid,
        command: A::Command,
        key: Option<&Idempotency>,
        result_id: Option<Uuid>,
    ) -> ApiResult<Done<A>>
    where
        A: Aggregate<Services = Clock, Error = DomainError> + Clone + 'static,
        A::Command: Clone + Send + Sync + ConsultsBook,
        A::Event: OccurredAt,
    {
        let command = &command;
        let clock = &self.rules_clock(command.consults_book()).await?;
        let attempt = move || {
            boxed(async move {
                let mut loaded = self.store.load::<A>(id).await?;
                let events = match self.store.decide(&mut loaded, command.clone(), clock).await {
                    Ok(events) => events,
                    Err(refusal) => return Ok(Err(refusal.into())),
                };
                let mut unit = UnitOfWork::new();
                unit.record(&mut loaded, &events, ctx)?;
                Ok(Ok((unit, loaded)))
            })
        };
        self.retrying((id, &[id]), key, result_id, attempt).await
    }

    /// Runs a case command that involves a call (opening from it, attaching
    /// it): the call must exist, and it learns of the case in the same transaction.
    #[tracing::instrument(level = "debug", skip_all, fields(case.id = %case_id, call.id = %call_id))]
    pub async fn execute_with_call(
        &self,
        ctx: &CommandContext,
        case_id: Uuid,
        call_id: Uuid,
        command: impl Fn(CallRef) -> CaseCommand + Send + Sync,
        key: Option<&Idempotency>,
    ) -> ApiResult<Done<Case>> {
        let command = &command;
        // Opening a case may name a province: its day's book is consulted.
        let clock = &self.rules_clock(true).await?;
        let attempt = move || {
            boxed(async move {
                let mut call = self.store.load::<Call>(call_id).await?;
                let received = call.state.existing(call_id)?;
                let call_ref = CallRef {
                    call_id,
                    received_at: received.received_at,
                    region: received.region,
                };
                let mut case = self.store.load::<Case>(case_id).await?;
                let case_events = match self.store.decide(&mut case, command(call_ref), clock).await
                {
                    Ok(events) => events,
                    Err(refusal) => return Ok(Err(refusal.into())),
                };
                let link = CallCommand::LinkToCase { call_id, case_id };
                let call_events = self.store.decide(&mut call, link, clock).await?;
                let mut unit = UnitOfWork::new();
                unit.record(&mut case, &case_events, ctx)?;
                unit.record(&mut call, &call_events, ctx)?;
                Ok(Ok((unit, case)))
            })
        };
        self.retrying((case_id, &[case_id, call_id]), key, None, attempt)
            .await
    }

    /// The loop: `attempt` is run against fresh state until it commits, is
    /// refused, or has lost `MAX_ATTEMPTS` races. `stream` is the stream the
    /// command answers for (its receipt names it) and the streams it locks.
    async fn retrying<'a, A>(
        &self,
        stream: (Uuid, &[Uuid]),
        key: Option<&Idempotency>,
        result_id: Option<Uuid>,
        attempt: impl Fn() -> Attempt<'a, A>,
    ) -> ApiResult<Done<A>>
    where
        A: Aggregate,
    {
        let (id, locked) = stream;
        if let Some(done) = self.replay::<A>(key).await? {
            return Ok(done);
        }
        let started = Instant::now();
        let _guards = self.lock_streams(locked).await;
        for round in 0..MAX_ATTEMPTS {
            // A twin of this request may have committed while we waited for the lock.
            if let Some(done) = self.replay::<A>(key).await? {
                return Ok(done);
            }
            let (mut unit, loaded) = match attempt().await? {
                Ok(decided) => decided,
                Err(refusal) => return self.refused(key, refusal).await,
            };
            if let Some(key) = key {
                unit.receipt(key.receipt(A::TYPE, id, loaded.version, result_id));
            }
            if unit.is_empty() {
                return Ok(Done { loaded, result_id });
            }
            let events = unit.event_count();
            match self.store.commit(unit).await {
                Ok(positions) => {
                    super::committed::record(&positions);
                    metrics().command(A::TYPE, started.elapsed(), events);
                    return Ok(Done { loaded, result_id });
                }
                Err(StoreError::Conflict) => self.lost_race::<A>(round).await,
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
