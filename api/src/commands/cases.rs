//! Case commands: open, attach a call, support, close, reopen and erasure
//! (persons are in `persons.rs`, referrals and rescues in `referrals.rs`).

use domain::case::{
    AttachCall, Case, CaseCommand, CloseCase, OpenCase, ProvideSupport, ReopenCase, MAX_PERSONS,
};
use store::vault::{Binding, Subject};
use store::CommandContext;
use uuid::Uuid;

use super::inputs::*;
use super::parse::{province, required_text, seal};
use super::persons::ParsedPerson;
use super::{CommandService, Done, Idempotency};
use crate::error::{ApiError, ApiResult};

impl CommandService {
    pub async fn open_case(
        &self,
        ctx: &CommandContext,
        input: impl Into<OpenCaseInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "openCase", input.id.map(|i| i.to_string()), &input)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        // Limits before side effects: every person is parsed, counted and
        // checked before the first one is sealed (which creates key rows).
        let given = input.persons.as_deref().unwrap_or_default();
        if given.len() > MAX_PERSONS {
            return Err(domain::DomainError::TooManyPersons(MAX_PERSONS).into());
        }
        let case_id = input.id.unwrap_or_else(|| self.store().mint::<Case>());
        let province = province(input.province.as_deref())?;
        let mut parsed: Vec<ParsedPerson> = Vec::with_capacity(given.len());
        for person in given {
            let person = self.parse_person(person)?;
            if parsed.iter().any(|p| p.person_id == person.person_id) {
                return Err(domain::DomainError::PersonExists(person.person_id).into());
            }
            parsed.push(person);
        }
        let mut ids = vec![("case", case_id)];
        ids.extend(parsed.iter().map(|p| ("person", p.person_id)));
        if let Some(done) = self.refuse_taken_ids::<Case>(key.as_ref(), &ids).await? {
            return Ok(done);
        }
        let mut command = OpenCase {
            case_id,
            opened_at: input.opened_at,
            from_call: None,
            region: input.region,
            province,
            exploitation_types: input
                .exploitation_types
                .as_deref()
                .unwrap_or_default()
                .to_vec(),
            persons: parsed.iter().map(CommandService::unsealed).collect(),
        };
        if parsed.iter().any(ParsedPerson::has_personal_data) {
            let bare = command.clone();
            let preview = |from_call| CaseCommand::Open(OpenCase { from_call, ..bare });
            let call = input.from_call_id;
            if let Some(done) = self
                .preview_case(key.as_ref(), case_id, call, preview)
                .await?
            {
                return Ok(done);
            }
        }
        command.persons.clear();
        for person in parsed {
            command
                .persons
                .push(self.seal_person(case_id, person).await?);
        }
        match input.from_call_id {
            Some(call_id) => {
                let build = move |call_ref| {
                    CaseCommand::Open(OpenCase {
                        from_call: Some(call_ref),
                        ..command.clone()
                    })
                };
                self.execute_with_call(ctx, case_id, call_id, build, key.as_ref())
                    .await
            }
            None => {
                let command = CaseCommand::Open(command);
                self.execute::<Case>(ctx, case_id, command, key.as_ref(), None)
                    .await
            }
        }
    }

    pub async fn attach_call(
        &self,
        ctx: &CommandContext,
        input: impl Into<AttachCallInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let case_id = input.case_id;
        let build = move |call| CaseCommand::AttachCall(AttachCall { case_id, call });
        self.execute_with_call(ctx, case_id, input.call_id, build, None)
            .await
    }

    pub async fn provide_support(
        &self,
        ctx: &CommandContext,
        input: impl Into<ProvideSupportInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "provideSupport",
            input.id.map(|i| i.to_string()),
            &input,
        )?;
        let provision_id = input.id.unwrap_or_else(Uuid::now_v7);
        let command = CaseCommand::ProvideSupport(ProvideSupport {
            case_id: input.case_id,
            provision_id,
            person_id: input.person_id,
            service: input.service,
            provided_at: input.provided_at,
        });
        self.execute::<Case>(
            ctx,
            input.case_id,
            command,
            key.as_ref(),
            Some(provision_id),
        )
        .await
    }

    pub async fn close_case(
        &self,
        ctx: &CommandContext,
        input: impl Into<CloseCaseInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "closeCase", input.idempotency_key.clone(), &input)?;
        let (case_id, closed_at) = (input.case_id, input.closed_at);
        let command = |reason| {
            CaseCommand::Close(CloseCase {
                case_id,
                closed_at,
                reason,
            })
        };
        self.close_or_reopen(
            ctx,
            key,
            case_id,
            (Binding::case_closed_reason, &input.reason),
            command,
        )
        .await
    }

    pub async fn reopen_case(
        &self,
        ctx: &CommandContext,
        input: impl Into<ReopenCaseInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "reopenCase", input.idempotency_key.clone(), &input)?;
        let (case_id, reopened_at) = (input.case_id, input.reopened_at);
        let command = |reason| {
            CaseCommand::Reopen(ReopenCase {
                case_id,
                reopened_at,
                reason,
            })
        };
        self.close_or_reopen(
            ctx,
            key,
            case_id,
            (Binding::case_reopened_reason, &input.reason),
            command,
        )
        .await
    }

    /// Closing and reopening alike: a required reason, sealed under the
    /// case's key (bound where `binding` says) once the case is known to exist.
    async fn close_or_reopen(
        &self,
        ctx: &CommandContext,
        key: Option<Idempotency>,
        case_id: Uuid,
        (binding, reason): (fn(Uuid) -> Binding, &str),
        command: impl FnOnce(domain::sealed::Sealed) -> CaseCommand,
    ) -> ApiResult<Done<Case>> {
        let reason = required_text("reason", reason)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let missing = domain::DomainError::CaseNotFound(case_id);
        self.require_subject("case", case_id, missing).await?;
        let reason = self.seal_case_reason(case_id, binding, reason).await?;
        self.execute::<Case>(ctx, case_id, command(reason), key.as_ref(), None)
            .await
    }

    /// Seals a required free-text reason of a case event under the case's key.
    async fn seal_case_reason(
        &self,
        case_id: Uuid,
        binding: fn(Uuid) -> Binding,
        reason: String,
    ) -> ApiResult<domain::sealed::Sealed> {
        let where_ = binding(case_id);
        seal(
            self.vault(),
            self.store().pool(),
            Subject::case(case_id),
            where_,
            Some(reason),
        )
        .await?
        .ok_or(ApiError::Internal)
    }
}

impl CommandService {
    /// Destroys the person's data key, then records the erasure on the case.
    /// The key goes first: if recording fails, the data is already unreadable
    /// and a retry records the event (the erasure itself is idempotent).
    pub async fn erase_person(
        &self,
        ctx: &CommandContext,
        input: impl Into<ErasePersonInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let reason = required_text("reason", &input.reason)?;
        let case = self.store().load::<Case>(input.case_id).await?;
        if case.state.id.is_none() {
            return Err(domain::DomainError::CaseNotFound(input.case_id).into());
        }
        if case.state.person(input.person_id).is_none() {
            return Err(domain::DomainError::PersonNotFound(input.person_id).into());
        }
        let pool = self.store().pool();
        self.vault().erase(pool, input.person_id).await?;
        // Nothing may find them any more: their blind-index rows go with the key.
        store::lookup::forget(pool, input.person_id).await?;
        let reason = self
            .seal_case_reason(input.case_id, Binding::person_erased_reason, reason)
            .await?;
        let command = CaseCommand::ErasePerson(domain::case::ErasePerson {
            case_id: input.case_id,
            person_id: input.person_id,
            reason,
        });
        self.execute::<Case>(ctx, input.case_id, command, None, Some(input.person_id))
            .await
    }
}
