//! Referral commands on a case: send a referral, update its status, and
//! record the rescue it led to (the agencies' own steps are `agencies.rs`).

use domain::case::{Case, CaseCommand, Consent, RecordRescue, SendReferral, UpdateReferral};
use store::vault::{Binding, Subject};
use store::CommandContext;
use uuid::Uuid;

use super::inputs::*;
use super::parse::{bounded, country, province, seal, text, MAX_TEXT};
use super::{CommandService, Done, Idempotency};
use crate::error::ApiResult;

impl CommandService {
    pub async fn send_referral(
        &self,
        ctx: &CommandContext,
        input: impl Into<SendReferralInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "sendReferral", input.id.map(|i| i.to_string()), &input)?;
        let referral_id = input.id.unwrap_or_else(Uuid::now_v7);
        let persons_at_risk = bounded(input.persons_at_risk)?;
        let override_reason = text(
            "overrideReason",
            input.consent.override_reason.as_deref(),
            MAX_TEXT,
        )?;
        let reason = text("reason", input.reason.as_deref(), MAX_TEXT)?;
        let agency = self
            .named_agency(
                input.agency,
                input.agency_code.as_deref(),
                "agencyCode",
                input.referred_at,
            )
            .await?;
        if input.consent.given && override_reason.is_some() {
            return Err(domain::DomainError::OverrideWithConsent.into());
        }
        // The domain's rule, known before the reason is sealed under the case's key.
        if override_reason.is_some() && ctx.actor.role != domain::values::Role::Supervisor {
            return Err(domain::DomainError::OverrideNeedsSupervisor.into());
        }
        if let Some(done) = self.replay::<Case>(key.as_ref()).await? {
            return Ok(done);
        }
        let ids = [("referral", referral_id)];
        if let Some(done) = self.refuse_taken_ids::<Case>(key.as_ref(), &ids).await? {
            return Ok(done);
        }
        let case_id = input.case_id;
        if override_reason.is_some() || reason.is_some() {
            // Decided first without the texts to seal; an override (its role
            // checked above) decides like given consent.
            let consent = match input.consent.given || override_reason.is_some() {
                true => Consent::Given,
                false => Consent::Missing,
            };
            let preview = CaseCommand::SendReferral(SendReferral {
                case_id,
                referral_id,
                agency,
                referred_at: input.referred_at,
                persons_at_risk,
                consent,
                reason: None,
                requested_by: ctx.actor.role,
            });
            if let Some(done) = self.preview::<Case>(key.as_ref(), case_id, preview).await? {
                return Ok(done);
            }
        }
        let pool = self.store().pool();
        let case_key = Subject::case(case_id);
        let consent = match (input.consent.given, override_reason) {
            (true, _) => Consent::Given,
            (false, None) => Consent::Missing,
            (false, Some(why)) => {
                let where_ = Binding::referral_override_reason(case_id);
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
            Binding::referral_reason(case_id),
            reason,
        )
        .await?;
        let command = CaseCommand::SendReferral(SendReferral {
            case_id,
            referral_id,
            agency,
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
        input: impl Into<UpdateReferralInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "updateReferral", input.idempotency_key.clone(), &input)?;
        let command = CaseCommand::UpdateReferral(UpdateReferral {
            case_id: input.case_id,
            referral_id: input.referral_id,
            status: input.status,
            at: input.at,
            outcome: input.outcome,
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
        input: impl Into<RecordRescueInput>,
    ) -> ApiResult<Done<Case>> {
        let input = input.into();
        let key = Idempotency::new(ctx, "recordRescue", input.id.map(|i| i.to_string()), &input)?;
        let rescue_id = input.id.unwrap_or_else(Uuid::now_v7);
        let command = CaseCommand::RecordRescue(RecordRescue {
            case_id: input.case_id,
            rescue_id,
            referral_id: input.referral_id,
            rescued_at: input.rescued_at,
            persons_rescued: bounded(input.persons_rescued)?,
            region: input.region,
            province: province(input.province.as_deref())?,
            country: country(input.country.as_deref())?,
        });
        self.execute::<Case>(ctx, input.case_id, command, key.as_ref(), Some(rescue_id))
            .await
    }
}
