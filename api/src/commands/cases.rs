//! Case commands: open, attach a call or a person, referrals, rescues,
//! support, close and reopen.

use domain::case::{
    AttachCall, AttachPerson, Case, CaseCommand, CloseCase, Consent, NewPerson, OpenCase,
    ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral,
};
use store::vault::Subject;
use store::CommandContext;
use uuid::Uuid;

use super::parse::{
    aad, bounded, country, province, required_text, seal, text, MAX_NAME, MAX_PHONE, MAX_TEXT,
};
use super::{CommandService, Done, Idempotency};
use crate::error::{ApiError, ApiResult};
use crate::graphql::inputs::*;

impl CommandService {
    /// Parses a person and seals their name and phone under their own key.
    async fn new_person(&self, case_id: Uuid, input: &PersonInput) -> ApiResult<NewPerson> {
        let person_id = input.id.unwrap_or_else(Uuid::now_v7);
        let full_name = text("fullName", input.full_name.as_deref(), MAX_NAME)?;
        let phone = text("phone", input.phone.as_deref(), MAX_PHONE)?;
        let birth_year = input.birth_year.map(bounded).transpose()?;
        let pool = self.store().pool();
        let name_aad = aad("Case", case_id, "PersonAttached", "full_name");
        let phone_aad = aad("Case", case_id, "PersonAttached", "phone");
        // The person's own key: typed, so their id never reaches a case's or a call's key.
        let person = Subject::person(person_id);
        Ok(NewPerson {
            person_id,
            role: input.role.into(),
            gender: input.gender.into(),
            birth_year,
            full_name: seal(self.vault(), pool, person, name_aad, full_name).await?,
            phone: seal(self.vault(), pool, person, phone_aad, phone).await?,
        })
    }

    pub async fn open_case(
        &self,
        ctx: &CommandContext,
        input: OpenCaseInput,
    ) -> ApiResult<Done<Case>> {
        let key = Idempotency::new(ctx, "openCase", input.id.map(|i| i.to_string()), &input)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let case_id = input.id.unwrap_or_else(Uuid::now_v7);
        let mut persons = Vec::new();
        for person in input.persons.as_deref().unwrap_or_default() {
            persons.push(self.new_person(case_id, person).await?);
        }
        let open = |from_call| {
            Ok::<_, ApiError>(OpenCase {
                case_id,
                opened_at: input.opened_at,
                from_call,
                region: input.region.map(Into::into),
                province: province(input.province.as_deref())?,
                exploitation_types: input
                    .exploitation_types
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|&e| e.into())
                    .collect(),
                persons: persons.clone(),
            })
        };
        match input.from_call_id {
            Some(call_id) => {
                let command = open(None)?;
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
                let command = CaseCommand::Open(open(None)?);
                self.execute::<Case>(ctx, case_id, command, key.as_ref(), None)
                    .await
            }
        }
    }

    pub async fn attach_call(
        &self,
        ctx: &CommandContext,
        input: AttachCallInput,
    ) -> ApiResult<Done<Case>> {
        let case_id = input.case_id;
        let build = move |call| CaseCommand::AttachCall(AttachCall { case_id, call });
        self.execute_with_call(ctx, case_id, input.call_id, build, None)
            .await
    }

    pub async fn attach_person(
        &self,
        ctx: &CommandContext,
        input: AttachPersonInput,
    ) -> ApiResult<Done<Case>> {
        let client_key = input.person.id.map(|p| format!("{}:{p}", input.case_id));
        let key = Idempotency::new(ctx, "attachPerson", client_key, &input)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let person = self.new_person(input.case_id, &input.person).await?;
        let person_id = person.person_id;
        let command = CaseCommand::AttachPerson(AttachPerson {
            case_id: input.case_id,
            person,
        });
        self.execute::<Case>(ctx, input.case_id, command, key.as_ref(), Some(person_id))
            .await
    }

    pub async fn send_referral(
        &self,
        ctx: &CommandContext,
        input: SendReferralInput,
    ) -> ApiResult<Done<Case>> {
        let key = Idempotency::new(ctx, "sendReferral", input.id.map(|i| i.to_string()), &input)?;
        let referral_id = input.id.unwrap_or_else(Uuid::now_v7);
        let persons_at_risk = bounded(input.persons_at_risk)?;
        let override_reason = text(
            "overrideReason",
            input.consent.override_reason.as_deref(),
            MAX_TEXT,
        )?;
        let reason = text("reason", input.reason.as_deref(), MAX_TEXT)?;
        if input.consent.given && override_reason.is_some() {
            return Err(domain::DomainError::OverrideWithConsent.into());
        }
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let pool = self.store().pool();
        let case_id = input.case_id;
        let case_key = Subject::case(case_id);
        let consent = match (input.consent.given, override_reason) {
            (true, _) => Consent::Given,
            (false, None) => Consent::Missing,
            (false, Some(why)) => {
                let where_ = aad("Case", case_id, "ReferralSent", "override_reason");
                match seal(self.vault(), pool, case_key, where_, Some(why)).await? {
                    Some(reason) => Consent::Overridden { reason },
                    None => Consent::Missing,
                }
            }
        };
        let reason = seal(
            self.vault(),
            pool,
            case_key,
            aad("Case", case_id, "ReferralSent", "reason"),
            reason,
        )
        .await?;
        let command = CaseCommand::SendReferral(SendReferral {
            case_id,
            referral_id,
            agency: input.agency.into(),
            referred_at: input.referred_at,
            persons_at_risk,
            consent,
            reason,
            requested_by: ctx.actor.role,
        });
        self.execute::<Case>(ctx, case_id, command, key.as_ref(), Some(referral_id))
            .await
    }

    pub async fn update_referral(
        &self,
        ctx: &CommandContext,
        input: UpdateReferralInput,
    ) -> ApiResult<Done<Case>> {
        let key = Idempotency::new(ctx, "updateReferral", input.idempotency_key.clone(), &input)?;
        let command = CaseCommand::UpdateReferral(UpdateReferral {
            case_id: input.case_id,
            referral_id: input.referral_id,
            status: input.status.into(),
            at: input.at,
            outcome: input.outcome.map(Into::into),
        });
        self.execute::<Case>(
            ctx,
            input.case_id,
            command,
            key.as_ref(),
            Some(input.referral_id),
        )
        .await
    }

    pub async fn record_rescue(
        &self,
        ctx: &CommandContext,
        input: RecordRescueInput,
    ) -> ApiResult<Done<Case>> {
        let key = Idempotency::new(ctx, "recordRescue", input.id.map(|i| i.to_string()), &input)?;
        let rescue_id = input.id.unwrap_or_else(Uuid::now_v7);
        let command = CaseCommand::RecordRescue(RecordRescue {
            case_id: input.case_id,
            rescue_id,
            referral_id: input.referral_id,
            rescued_at: input.rescued_at,
            persons_rescued: bounded(input.persons_rescued)?,
            region: input.region.map(Into::into),
            province: province(input.province.as_deref())?,
            country: country(input.country.as_deref())?,
        });
        self.execute::<Case>(ctx, input.case_id, command, key.as_ref(), Some(rescue_id))
            .await
    }

    pub async fn provide_support(
        &self,
        ctx: &CommandContext,
        input: ProvideSupportInput,
    ) -> ApiResult<Done<Case>> {
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
            service: input.service.into(),
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
        input: CloseCaseInput,
    ) -> ApiResult<Done<Case>> {
        let key = Idempotency::new(ctx, "closeCase", input.idempotency_key.clone(), &input)?;
        let reason = required_text("reason", &input.reason)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let reason = self
            .seal_case_reason(input.case_id, "CaseClosed", reason)
            .await?;
        let (case_id, closed_at) = (input.case_id, input.closed_at);
        let command = CaseCommand::Close(CloseCase {
            case_id,
            closed_at,
            reason,
        });
        self.execute::<Case>(ctx, case_id, command, key.as_ref(), None)
            .await
    }

    pub async fn reopen_case(
        &self,
        ctx: &CommandContext,
        input: ReopenCaseInput,
    ) -> ApiResult<Done<Case>> {
        let key = Idempotency::new(ctx, "reopenCase", input.idempotency_key.clone(), &input)?;
        let reason = required_text("reason", &input.reason)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let reason = self
            .seal_case_reason(input.case_id, "CaseReopened", reason)
            .await?;
        let (case_id, reopened_at) = (input.case_id, input.reopened_at);
        let command = CaseCommand::Reopen(ReopenCase {
            case_id,
            reopened_at,
            reason,
        });
        self.execute::<Case>(ctx, case_id, command, key.as_ref(), None)
            .await
    }

    /// Seals a required free-text reason of a case event under the case's key.
    async fn seal_case_reason(
        &self,
        case_id: Uuid,
        event_type: &str,
        reason: String,
    ) -> ApiResult<domain::sealed::Sealed> {
        let where_ = aad("Case", case_id, event_type, "reason");
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
        input: ErasePersonInput,
    ) -> ApiResult<Done<Case>> {
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
        let reason = self
            .seal_case_reason(input.case_id, "PersonErased", reason)
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
