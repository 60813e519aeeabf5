//! Corrections: correctCall and correctPerson. Each is decided first with
//! its texts left out (so a refusal seals nothing), then sealed and run.

use domain::call::{Call, CallCommand, CorrectCall, CorrectedLocation};
use domain::case::{Case, CaseCommand, CorrectPerson};
use domain::sealed::Sealed;
use store::vault::{Binding, Subject};
use store::CommandContext;
use uuid::Uuid;

use super::amendment_inputs::{CorrectCallInput, CorrectPersonInput};
use super::parse::{
    bounded, codes, country, province, required_text, seal, text, MAX_NAME, MAX_PHONE,
};
use super::{CommandService, Done, Idempotency};
use crate::error::{ApiError, ApiResult};

/// Stands in for a text while a command is decided before sealing: the
/// rules never read sealed values, and this one is never recorded.
pub(super) fn not_yet_sealed() -> Sealed {
    Sealed {
        key_id: Uuid::nil(),
        nonce: String::new(),
        ciphertext: String::new(),
    }
}

impl CommandService {
    pub async fn correct_call(
        &self,
        ctx: &CommandContext,
        input: impl Into<CorrectCallInput>,
    ) -> ApiResult<Done<Call>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "correctCall", input.idempotency_key.clone(), &input)?;
        let reason = required_text("reason", &input.reason)?;
        let province = province(input.province.as_deref())?;
        let country = country(input.country.as_deref())?;
        let moved = input.region.is_some() || province.is_some() || country.is_some();
        let location = moved.then_some(CorrectedLocation {
            region: input.region,
            province,
            country,
        });
        if let Some(done) = self.replay::<Call>(key.as_ref()).await? {
            return Ok(done);
        }
        let call_id = input.call_id;
        let mut command = CorrectCall {
            call_id,
            received_at: input.received_at,
            channel: input.channel,
            caller_type: input.caller_type,
            category: input.category,
            topics: input.topics,
            category_code: codes("categoryCode", Some(input.category_code.as_slice()))?.pop(),
            topic_codes: input
                .topic_codes
                .as_deref()
                .map(|t| codes("topicCodes", Some(t)))
                .transpose()?,
            location,
            reason: not_yet_sealed(),
        };
        let preview = CallCommand::Correct(command.clone());
        if let Some(done) = self.preview::<Call>(key.as_ref(), call_id, preview).await? {
            return Ok(done);
        }
        command.reason = seal(
            self.vault(),
            self.store().pool(),
            Subject::call(call_id),
            Binding::call_corrected_reason(call_id),
            Some(reason),
        )
        .await?
        .ok_or(ApiError::Internal)?;
        let command = CallCommand::Correct(command);
        self.execute::<Call>(ctx, call_id, command, key.as_ref(), None)
            .await
    }

    pub async fn correct_person(
        &self,
        ctx: &CommandContext,
        input: impl Into<CorrectPersonInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "correctPerson", input.idempotency_key.clone(), &input)?;
        let reason = required_text("reason", &input.reason)?;
        let full_name = text("fullName", input.full_name.as_deref(), MAX_NAME)?;
        let phone = text("phone", input.phone.as_deref(), MAX_PHONE)?;
        let birth_year = input.birth_year.map(bounded).transpose()?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let (case_id, person_id) = (input.case_id, input.person_id);
        let mut command = CorrectPerson {
            case_id,
            person_id,
            role: input.role,
            gender: input.gender,
            birth_year,
            full_name: full_name.as_ref().map(|_| not_yet_sealed()),
            phone: phone.as_ref().map(|_| not_yet_sealed()),
            reason: not_yet_sealed(),
            requested_by: ctx.actor.role,
        };
        let preview = CaseCommand::CorrectPerson(command.clone());
        if let Some(done) = self.preview::<Case>(key.as_ref(), case_id, preview).await? {
            return Ok(done);
        }
        // The corrected values are found by lookup too (`lookups.rs`); the
        // recorded ones stay findable, as what the hotline was once told.
        self.index_person(case_id, person_id, full_name.as_deref(), phone.as_deref())
            .await?;
        let pool = self.store().pool();
        let person_key = Subject::person(person_id);
        command.full_name = seal(
            self.vault(),
            pool,
            person_key,
            Binding::person_corrected_full_name(case_id),
            full_name,
        )
        .await?;
        command.phone = seal(
            self.vault(),
            pool,
            person_key,
            Binding::person_corrected_phone(case_id),
            phone,
        )
        .await?;
        command.reason = seal(
            self.vault(),
            pool,
            Subject::case(case_id),
            Binding::person_corrected_reason(case_id),
            Some(reason),
        )
        .await?
        .ok_or(ApiError::Internal)?;
        let command = CaseCommand::CorrectPerson(command);
        self.execute::<Case>(ctx, case_id, command, key.as_ref(), Some(person_id))
            .await
    }
}
