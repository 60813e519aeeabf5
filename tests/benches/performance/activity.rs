//! Realistic mixed activity through `CommandService`, as the hotline's
//! counsellors would produce it: calls, counselling, cases opened from
//! calls, referrals, rescues, support. Used for the small log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::Duration as Days;

use super::writes::{concurrently, Run};
use super::Fail;
use api::commands::CommandService;
use api::graphql::enums;
use api::graphql::inputs::{
    ConsentInput, OpenCaseInput, ProvideSupportInput, ReceiveCallInput,
    RecordCounsellingSessionInput, RecordRescueInput, SendReferralInput,
};
use casetrail_tests::synthetic::{bench_context, Dice, Scenario};

/// Realistic mixed activity through `CommandService` until about `events`
/// events are recorded: calls, counselling, cases opened from calls,
/// referrals, rescues, support. Returns the run (one entry per call with
/// the commands that follow from it) and the number of commands.
pub async fn mixed_activity(
    commands: &Arc<CommandService>,
    events: u64,
    writers: usize,
    seed: u64,
) -> Result<(Run, u64), Fail> {
    let recorded = Arc::new(AtomicU64::new(0));
    let executed = Arc::new(AtomicU64::new(0));
    let total = executed.clone();
    let commands = commands.clone();
    // Each "operation" is one call with what follows from it.
    let run = concurrently(u64::MAX, writers, move |i| {
        let (commands, recorded, executed) = (commands.clone(), recorded.clone(), executed.clone());
        async move {
            if recorded.load(Ordering::Relaxed) >= events {
                return Ok(false);
            }
            let mut dice = Dice::new(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let (n, c) = one_call(&commands, &Scenario::roll(&mut dice)).await?;
            recorded.fetch_add(n, Ordering::Relaxed);
            executed.fetch_add(c, Ordering::Relaxed);
            Ok(true)
        }
    })
    .await?;
    Ok((run, total.load(Ordering::Relaxed)))
}

/// The commands of one call; returns the number of events recorded and of commands run.
async fn one_call(commands: &CommandService, s: &Scenario) -> Result<(u64, u64), Fail> {
    let fail = |what: &'static str| {
        move |e: api::error::ApiError| Fail::from(format!("{what} failed: {e}"))
    };
    let ctx = bench_context();
    let call = commands
        .receive_call(
            &ctx,
            ReceiveCallInput {
                id: None,
                received_at: s.received_at,
                channel: s.channel.into(),
                region: Some(s.region.into()),
                province: None,
                country: None,
                caller_type: enums::CallerType::Citizen,
                category: s.category.into(),
                topics: None,
                duration_seconds: Some(300),
                category_code: None,
                topic_codes: None,
            },
        )
        .await
        .map_err(fail("receiveCall"))?;
    let call_id = call.loaded.id;
    let mut events = 1;
    if s.counselled {
        let input = RecordCounsellingSessionInput {
            id: None,
            call_id,
            started_at: s.received_at + Days::minutes(2),
            duration_minutes: 20,
            topics: vec![enums::CounsellingTopic::Psychological],
            notes: None,
            topic_codes: None,
        };
        commands
            .record_counselling_session(&bench_context(), input)
            .await
            .map_err(fail("recordCounsellingSession"))?;
        events += 1;
    }
    let Some((agency, rescued)) = s.referred else {
        return Ok((events, events));
    };
    let input = OpenCaseInput {
        id: None,
        from_call_id: Some(call_id),
        opened_at: s.opened_at(),
        region: None,
        province: None,
        exploitation_types: Some(vec![enums::ExploitationType::ForcedLabour]),
        persons: None,
    };
    let case = commands
        .open_case(&bench_context(), input)
        .await
        .map_err(fail("openCase"))?;
    let case_id = case.loaded.id;
    let input = SendReferralInput {
        id: None,
        case_id,
        agency: agency.into(),
        agency_code: None,
        referred_at: s.referred_at(),
        persons_at_risk: rescued.max(2) as i32,
        consent: ConsentInput {
            given: true,
            override_reason: None,
        },
        reason: None,
    };
    let referral = commands
        .send_referral(&bench_context(), input)
        .await
        .map_err(fail("sendReferral"))?;
    let referral_id = referral.result_id.ok_or("sendReferral named no referral")?;
    let input = RecordRescueInput {
        id: None,
        case_id,
        referral_id,
        rescued_at: s.rescued_at(),
        persons_rescued: rescued as i32,
        region: None,
        province: None,
        country: None,
    };
    commands
        .record_rescue(&bench_context(), input)
        .await
        .map_err(fail("recordRescue"))?;
    let input = ProvideSupportInput {
        id: None,
        case_id,
        person_id: None,
        service: enums::SupportService::EssentialNeeds,
        provided_at: s.supported_at(),
    };
    commands
        .provide_support(&bench_context(), input)
        .await
        .map_err(fail("provideSupport"))?;
    // openCase from a call also records the link on the call.
    Ok((events + 5, events + 4))
}
