//! The agency holding a referral: feedback notes to the hotline, and
//! handing the referral on to another agency. The acting agency is the
//! token's own; the domain refuses an agency that no longer holds it.

use domain::case::{AddReferralFeedback, Case, CaseCommand, HandOnReferral};
use domain::values::Agency;
use store::vault::{Binding, Subject};
use store::CommandContext;
use uuid::Uuid;

use super::amendment_inputs::{AddReferralFeedbackInput, HandOnReferralInput};
use super::corrections::not_yet_sealed;
use super::parse::{required_text, seal, text, MAX_TEXT};
use super::{CommandService, Done, Idempotency};
use crate::error::{ApiError, ApiResult};

/// The agency a command acts for: the AGENCY token's `agency` claim.
fn acting_agency(ctx: &CommandContext) -> ApiResult<Agency> {
    ctx.caller_agency
        .as_deref()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| ApiError::Forbidden("only the agency holding a referral acts on it".into()))
}

impl CommandService {
    pub async fn add_referral_feedback(
        &self,
        ctx: &CommandContext,
        input: impl Into<AddReferralFeedbackInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(
            ctx,
            "addReferralFeedback",
            input.id.map(|i| i.to_string()),
            &input,
        )?;
        let agency = acting_agency(ctx)?;
        let notes = required_text("notes", &input.notes)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let case_id = input.case_id;
        let feedback_id = input.id.unwrap_or_else(Uuid::now_v7);
        let mut command = AddReferralFeedback {
            case_id,
            referral_id: input.referral_id,
            feedback_id,
            agency,
            added_at: input.added_at,
            note: not_yet_sealed(),
        };
        let preview = CaseCommand::AddReferralFeedback(command.clone());
        if let Some(done) = self.preview::<Case>(key.as_ref(), case_id, preview).await? {
            return Ok(done);
        }
        command.note = seal(
            self.vault(),
            self.store().pool(),
            Subject::case(case_id),
            Binding::referral_feedback_note(case_id),
            Some(notes),
        )
        .await?
        .ok_or(ApiError::Internal)?;
        let command = CaseCommand::AddReferralFeedback(command);
        self.execute::<Case>(ctx, case_id, command, key.as_ref(), Some(feedback_id))
            .await
    }

    pub async fn hand_on_referral(
        &self,
        ctx: &CommandContext,
        input: impl Into<HandOnReferralInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "handOnReferral", input.idempotency_key.clone(), &input)?;
        let by = acting_agency(ctx)?;
        let reason = text("reason", input.reason.as_deref(), MAX_TEXT)?;
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let to = self
            .named_agency(
                input.to_agency,
                input.to_agency_code.as_deref(),
                "toAgencyCode",
                input.at,
            )
            .await?;
        let case_id = input.case_id;
        let mut command = HandOnReferral {
            case_id,
            referral_id: input.referral_id,
            by,
            to,
            at: input.at,
            reason: reason.as_ref().map(|_| not_yet_sealed()),
        };
        if reason.is_some() {
            let preview = CaseCommand::HandOnReferral(command.clone());
            if let Some(done) = self.preview::<Case>(key.as_ref(), case_id, preview).await? {
                return Ok(done);
            }
        }
        command.reason = seal(
            self.vault(),
            self.store().pool(),
            Subject::case(case_id),
            Binding::referral_handed_on_reason(case_id),
            reason,
        )
        .await?;
        let command = CaseCommand::HandOnReferral(command);
        let referral_id = input.referral_id;
        self.execute::<Case>(ctx, case_id, command, key.as_ref(), Some(referral_id))
            .await
    }
}
