//! One demo referral case, opened from its call and followed to its end
//! through the command path: referral with consent, acknowledgement,
//! progress, a rescue or another outcome, support, closure.

use chrono::{DateTime, Duration, Utc};
use store::CommandContext;
use uuid::Uuid;

use super::ids::demo_id;
use crate::commands::inputs::*;
use crate::commands::CommandService;
use crate::error::ApiResult;
use domain::values::*;

pub(super) struct CasePlan {
    pub(super) index: usize,
    pub(super) call_id: Uuid,
    pub(super) received_at: DateTime<Utc>,
    pub(super) agency: Agency,
    pub(super) rescued: u16,
    pub(super) outcome_roll: u8,
    /// Hours the rescue and everything after it come later than usual: the
    /// last rescue of the demo falls after the report's period, so that
    /// persons rescued by referral cohort differ from rescues dated in it.
    pub(super) rescue_delay_hours: i64,
    /// A second agency the case was also referred to (and which declined):
    /// referrals sent then exceed referral cases.
    pub(super) also_referred_to: Option<Agency>,
}

/// One referral case: opened from its call, referred with consent, and followed to its end.
pub(super) async fn seed_case(
    commands: &CommandService,
    ctx: &CommandContext,
    plan: CasePlan,
) -> ApiResult<u32> {
    let i = plan.index;
    let case_id = demo_id("case", i);
    let at = |hours: i64| plan.received_at + Duration::hours(hours);
    let persons = (0..(u32::from(plan.rescued)).max(1))
        .map(|p| PersonInput {
            id: Some(demo_id(&format!("person-{i}"), p as usize)),
            role: PersonRole::PossibleVictim,
            gender: if p % 3 == 2 {
                Gender::Male
            } else {
                Gender::Female
            },
            birth_year: Some(1990 + (i as i32 % 15)),
            full_name: None,
            phone: None,
        })
        .collect();
    commands
        .open_case(
            ctx,
            OpenCaseInput {
                id: Some(case_id),
                from_call_id: Some(plan.call_id),
                opened_at: at(1),
                region: None,
                province: None,
                exploitation_types: Some(vec![
                    [
                        ExploitationType::Sexual,
                        ExploitationType::ForcedLabour,
                        ExploitationType::ForcedMarriage,
                    ][i % 3],
                ]),
                persons: Some(persons),
            },
        )
        .await?;
    let referral_id = demo_id("referral", i);
    commands
        .send_referral(
            ctx,
            SendReferralInput {
                id: Some(referral_id),
                case_id,
                agency: plan.agency,
                agency_code: None,
                referred_at: at(2),
                persons_at_risk: i32::from(plan.rescued.max(1)) + 1,
                consent: ConsentInput {
                    given: true,
                    override_reason: None,
                },
                reason: None,
            },
        )
        .await?;
    if let Some(agency) = plan.also_referred_to {
        let second = demo_id("second-referral", i);
        commands
            .send_referral(
                ctx,
                SendReferralInput {
                    id: Some(second),
                    case_id,
                    agency,
                    agency_code: None,
                    referred_at: at(3),
                    persons_at_risk: 1,
                    consent: ConsentInput {
                        given: true,
                        override_reason: None,
                    },
                    reason: None,
                },
            )
            .await?;
        commands
            .update_referral(
                ctx,
                UpdateReferralInput {
                    case_id,
                    referral_id: second,
                    status: ReferralStatus::Declined,
                    at: at(5),
                    outcome: None,
                    idempotency_key: Some(format!("demo-second-{i}")),
                },
            )
            .await?;
    }
    // From the rescue on, times move by the plan's delay.
    let later = |hours: i64| {
        at(hours
            + if hours >= 72 {
                plan.rescue_delay_hours
            } else {
                0
            })
    };
    let step = |status: ReferralStatus, hours: i64, outcome: Option<ReferralOutcome>| {
        UpdateReferralInput {
            case_id,
            referral_id,
            status,
            at: later(hours),
            outcome,
            idempotency_key: Some(format!("demo-{i}-{}", status as u8)),
        }
    };
    commands
        .update_referral(ctx, step(ReferralStatus::Acknowledged, 6, None))
        .await?;
    if plan.rescued == 0 && plan.outcome_roll == 0 {
        commands
            .update_referral(ctx, step(ReferralStatus::Declined, 24, None))
            .await?;
        return Ok(0);
    }
    commands
        .update_referral(ctx, step(ReferralStatus::InProgress, 24, None))
        .await?;
    let outcome = if plan.rescued > 0 {
        commands
            .record_rescue(
                ctx,
                RecordRescueInput {
                    id: Some(demo_id("rescue", i)),
                    case_id,
                    referral_id,
                    rescued_at: later(72),
                    persons_rescued: i32::from(plan.rescued),
                    region: None,
                    province: None,
                    country: None,
                },
            )
            .await?;
        ReferralOutcome::Rescued
    } else {
        [
            ReferralOutcome::LocatedSafe,
            ReferralOutcome::ReturnedHome,
            ReferralOutcome::NotTrafficking,
        ][usize::from(plan.outcome_roll) % 3]
    };
    commands
        .update_referral(ctx, step(ReferralStatus::Completed, 96, Some(outcome)))
        .await?;
    commands
        .provide_support(
            ctx,
            ProvideSupportInput {
                id: Some(demo_id("support", i)),
                case_id,
                person_id: None,
                service: SupportService::Psychological,
                provided_at: later(100),
            },
        )
        .await?;
    commands
        .close_case(
            ctx,
            CloseCaseInput {
                case_id,
                closed_at: later(24 * 30),
                reason: "demo: referral concluded".into(),
                idempotency_key: Some(format!("demo-close-{i}")),
            },
        )
        .await?;
    Ok(u32::from(plan.rescued))
}
