//! Deciding before sealing. Sealing personal data creates a key row for its
//! subject, so a command the domain refuses must be refused before anything
//! is sealed: a command that would seal a new person's data is first
//! decided against current state with that data left out (the rules never
//! read sealed values), and a command that would seal under a call or case
//! first checks that the call or case exists. The real run decides again on
//! fresh state; this only moves the refusal earlier.

use domain::call::Call;
use domain::case::{CallRef, Case, CaseCommand};
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
        let mut case = self.store.load::<Case>(case_id).await?;
        match decide(&mut case, command(call_ref), &self.clock).await {
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
