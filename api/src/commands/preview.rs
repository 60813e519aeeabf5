//! Deciding before sealing. Sealing personal data creates a key row for its
//! subject, so a command the domain refuses must be refused before anything
//! is sealed: a command that would seal a person's data, a session's notes
//! or a referral's texts is first decided against current state with those
//! left out (the rules never read sealed values); closing and reopening,
//! whose reason the rules require, first check that the case exists. The
//! real run decides again on fresh state; this only moves the refusal earlier.

use cqrs_es::Aggregate;
use domain::call::Call;
use domain::case::{CallRef, Case, CaseCommand};
use domain::clock::Clock;
use domain::reference::book::ConsultsBook;
use domain::DomainError;
use store::decide;
use uuid::Uuid;

use super::{CommandService, Done, Idempotency};
use crate::error::{ApiError, ApiResult};

impl CommandService {
    /// Decides a case command (given the call it involves, if any) without
    /// recording it. `Some` is the first result of a twin of this keyed
    /// request that committed meanwhile.
    pub(super) async fn preview_case(
        &self,
        key: Option<&Idempotency>,
        case_id: Uuid,
        call_id: Option<Uuid>,
        command: impl FnOnce(Option<CallRef>) -> CaseCommand,
    ) -> ApiResult<Option<Done<Case>>> {
        let call_ref = match call_id {
            None => None,
            Some(call_id) => {
                let call = self.store.load::<Call>(call_id).await?;
                match call.state.existing(call_id) {
                    Ok(received) => Some(CallRef {
                        call_id,
                        received_at: received.received_at,
                        region: received.region,
                    }),
                    Err(refusal) => return self.refused(key, refusal.into()).await.map(Some),
                }
            }
        };
        self.preview::<Case>(key, case_id, command(call_ref)).await
    }

    /// Decides a command on one stream without recording it.
    pub(super) async fn preview<A>(
        &self,
        key: Option<&Idempotency>,
        id: Uuid,
        command: A::Command,
    ) -> ApiResult<Option<Done<A>>>
    where
        A: Aggregate<Services = Clock, Error = DomainError> + Clone + 'static,
        A::Command: ConsultsBook,
    {
        let clock = self.rules_clock(command.consults_book()).await?;
        let mut loaded = self.store.load::<A>(id).await?;
        match decide(&mut loaded, command, &clock).await {
            Ok(_) => Ok(None),
            Err(refusal) => self.refused(key, refusal.into()).await.map(Some),
        }
    }

    /// Refuses (NOT_FOUND) before sealing under a call or case that was
    /// never recorded, which would leave a key row naming nothing.
    pub(super) async fn require_subject(
        &self,
        kind: &'static str,
        id: Uuid,
        missing: DomainError,
    ) -> ApiResult<()> {
        match store::identity::taken(self.store.pool(), &[(kind, id)]).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::from(missing)),
        }
    }
}
