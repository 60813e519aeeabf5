//! `casetrail seed --demo`: a synthetic, realistic history of the hotline
//! from 1 Nov 2018 to 14 Feb 2022 that reproduces the ministry report's
//! table (DESIGN.md): 9,154 calls with the report's regional shares, 1,069
//! counselling calls, 129 referral cases to the four agencies, 165 persons
//! rescued.
//!
//! It goes through the same command path as the API, never SQL, with
//! deterministic ids as idempotency keys: running it twice records nothing
//! the second time. No personal data is invented.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use futures::stream::{self, StreamExt};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use store::{Actor, CommandContext};

use crate::commands::inputs::*;
use crate::commands::CommandService;
use crate::error::ApiResult;
use cases::{seed_case, CasePlan};
use domain::values::*;
use ids::demo_id;
pub use report::SeedReport;
use report::{demo_events, DEMO_ACTOR};

mod cases;
pub mod cli;
mod ids;
mod report;

/// The report's figures the demo reproduces.
pub const CALLS: usize = 9_154;
pub const COUNSELLING_CALLS: usize = 1_069;
pub const REFERRAL_CASES: usize = 129;
pub const PERSONS_RESCUED: u32 = 165;
/// Referral cases also referred to a second agency: referrals sent are
/// REFERRAL_CASES + SECOND_REFERRALS, referral cases stay REFERRAL_CASES.
pub const SECOND_REFERRALS: usize = 13;

/// Calls per region: 9,154 × the report's share, each rounding back to it.
const CALLS_BY_REGION: [(Region, usize); 9] = [
    (Region::RedRiverDelta, 2_682),
    (Region::Northeast, 1_465),
    (Region::Northwest, 1_199),
    (Region::Southeast, 1_062),
    (Region::NorthCentral, 952),
    (Region::MekongDelta, 732),
    (Region::SouthCentralCoast, 549),
    (Region::CentralHighlands, 504),
    (Region::Overseas, 9),
];

/// Referral cases per agency (the four agencies the report names).
const CASES_BY_AGENCY: [(Agency, usize); 4] = [
    (Agency::CriminalPolice, 52),
    (Agency::BorderGuard, 41),
    (Agency::WomensUnion, 20),
    (Agency::DepartmentOfChildren, 16),
];

/// Referrals that ended in a rescue; the 165 persons are spread over them.
const RESCUING_REFERRALS: usize = 96;

fn hanoi() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The report's period in local days.
pub fn period() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(2018, 11, 1).expect("valid date"),
        NaiveDate::from_ymd_opt(2022, 2, 14).expect("valid date"),
    )
}

struct PlannedCall {
    input: ReceiveCallInput,
    session: Option<RecordCounsellingSessionInput>,
}

fn plan_calls(rng: &mut StdRng) -> Vec<PlannedCall> {
    let (first, last) = period();
    let start = hanoi()
        .from_local_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single();
    let start = start.map(|s| s.with_timezone(&Utc)).unwrap_or_default();
    let span_seconds = (last - first).num_days() * 86_400 + 86_399;
    let mut regions: Vec<Region> = CALLS_BY_REGION
        .iter()
        .flat_map(|&(r, n)| std::iter::repeat_n(r, n))
        .collect();
    regions.shuffle(rng);
    // Categories: the report's counselling calls, the referral requests that became cases
    // (the first REFERRAL_CASES of them), and the rest of a hotline's day.
    let mut categories = vec![CallCategory::Counselling; COUNSELLING_CALLS];
    categories.extend(std::iter::repeat_n(
        CallCategory::ReferralRequest,
        REFERRAL_CASES + 71,
    ));
    let others = [
        CallCategory::Information,
        CallCategory::NonData,
        CallCategory::ChildProtection,
        CallCategory::Other,
    ];
    while categories.len() < CALLS {
        categories.push(*others.choose(rng).unwrap_or(&CallCategory::Information));
    }
    categories.shuffle(rng);
    let topics = [
        CounsellingTopic::Psychological,
        CounsellingTopic::Policy,
        CounsellingTopic::Services,
        CounsellingTopic::VictimSupport,
    ];
    let channels = [
        Channel::Voice,
        Channel::Voice,
        Channel::Voice,
        Channel::Zalo,
        Channel::App,
        Channel::Web,
        Channel::SocialMedia,
    ];
    let mut calls: Vec<PlannedCall> = (0..CALLS)
        .map(|i| {
            let received_at: DateTime<Utc> =
                start + Duration::seconds(rng.gen_range(0..=span_seconds));
            let region = regions[i];
            let category = categories[i];
            let id = demo_id("call", i);
            let province = if region == Region::Overseas || rng.gen_bool(0.3) {
                None
            } else {
                let day = domain::reference::vietnam_day(received_at);
                let choices: Vec<&str> = domain::reference::provinces_on(day)
                    .filter(|p| p.region == region)
                    .map(|p| p.code)
                    .collect();
                choices.choose(rng).map(|c| c.to_string())
            };
            let how_many = rng.gen_range(1..=2);
            let chosen: Vec<CounsellingTopic> =
                topics.choose_multiple(rng, how_many).copied().collect();
            let session =
                (category == CallCategory::Counselling).then(|| RecordCounsellingSessionInput {
                    id: Some(demo_id("session", i)),
                    call_id: id,
                    started_at: received_at + Duration::seconds(30),
                    duration_minutes: rng.gen_range(5..=60),
                    topics: chosen.clone(),
                    topic_codes: None,
                    notes: None,
                });
            PlannedCall {
                input: ReceiveCallInput {
                    id: Some(id),
                    received_at,
                    channel: *channels.choose(rng).unwrap_or(&Channel::Voice),
                    region: if province.is_some() {
                        None
                    } else {
                        Some(region)
                    },
                    province,
                    country: (region == Region::Overseas).then(|| "KH".to_string()),
                    caller_type: *[
                        CallerType::Victim,
                        CallerType::RelativeOrFriend,
                        CallerType::Citizen,
                        CallerType::Anonymous,
                    ]
                    .choose(rng)
                    .unwrap_or(&CallerType::Citizen),
                    category,
                    topics: (category == CallCategory::Counselling).then_some(chosen),
                    duration_seconds: Some(rng.gen_range(30..=1_800)),
                    category_code: None,
                    topic_codes: None,
                },
                session,
            }
        })
        .collect();
    calls.sort_by_key(|c| c.input.received_at);
    calls
}

/// Records the demo history, reporting progress as (done, total) commands.
pub async fn seed_demo(
    commands: &CommandService,
    progress: impl Fn(&str, usize, usize),
) -> ApiResult<SeedReport> {
    let events_before = demo_events(commands).await?;
    let mut rng = StdRng::seed_from_u64(111);
    let calls = plan_calls(&mut rng);
    let ctx = CommandContext::new(
        Actor {
            subject: DEMO_ACTOR.into(),
            role: domain::values::Role::Supervisor,
        },
        "demo-seed".into(),
    );
    let total = calls.len();
    let mut done = 0;
    let mut results = stream::iter(calls.iter().map(|call| {
        let ctx = ctx.clone();
        async move {
            commands.receive_call(&ctx, call.input.clone()).await?;
            if let Some(session) = &call.session {
                commands
                    .record_counselling_session(&ctx, session.clone())
                    .await?;
            }
            ApiResult::Ok(())
        }
    }))
    .buffer_unordered(8);
    while let Some(result) = results.next().await {
        result?;
        done += 1;
        if done % 500 == 0 || done == total {
            progress("calls", done, total);
        }
    }
    drop(results);

    // The latest referral requests, so that the last rescue can fall just after the period.
    let mut referral_calls: Vec<&PlannedCall> = calls
        .iter()
        .rev()
        .filter(|c| c.input.category == CallCategory::ReferralRequest)
        .take(REFERRAL_CASES)
        .collect();
    referral_calls.reverse();
    let mut agencies: Vec<Agency> = CASES_BY_AGENCY
        .iter()
        .flat_map(|&(a, n)| std::iter::repeat_n(a, n))
        .collect();
    agencies.shuffle(&mut rng);
    let mut rescued = vec![1u16; RESCUING_REFERRALS];
    let mut extra = PERSONS_RESCUED as usize - RESCUING_REFERRALS;
    while extra > 0 {
        let i = rng.gen_range(0..RESCUING_REFERRALS);
        if rescued[i] < 4 {
            rescued[i] += 1;
            extra -= 1;
        }
    }
    rescued.resize(REFERRAL_CASES, 0);
    rescued.shuffle(&mut rng);
    let mut plans: Vec<CasePlan> = referral_calls
        .iter()
        .enumerate()
        .map(|(i, call)| CasePlan {
            index: i,
            call_id: call.input.id.unwrap_or_default(),
            received_at: call.input.received_at,
            agency: agencies[i],
            rescued: rescued[i],
            outcome_roll: rng.gen_range(0..4),
            rescue_delay_hours: 0,
            also_referred_to: (i % 10 == 3).then_some(if agencies[i] == Agency::WomensUnion {
                Agency::DepartmentOfChildren
            } else {
                Agency::WomensUnion
            }),
        })
        .collect();
    let late = delay_the_last_rescue(&mut plans);
    let mut report = SeedReport {
        calls: total,
        persons_rescued_after_period: late,
        ..SeedReport::default()
    };
    let cases_total = plans.len();
    let mut results = stream::iter(plans.into_iter().map(|plan| {
        let ctx = ctx.clone();
        async move { seed_case(commands, &ctx, plan).await }
    }))
    .buffer_unordered(8);
    while let Some(result) = results.next().await {
        report.persons_rescued += result?;
        report.cases += 1;
        if report.cases % 25 == 0 || report.cases == cases_total {
            progress("cases", report.cases, cases_total);
        }
    }
    drop(results);
    report.events_recorded = demo_events(commands).await? - events_before;
    Ok(report)
}

/// Moves the last rescue of the demo to the day after the report's period
/// (its referral was sent inside it); returns its persons.
fn delay_the_last_rescue(plans: &mut [CasePlan]) -> u32 {
    let (_, last) = period();
    let after = hanoi()
        .from_local_datetime(&last.and_hms_opt(12, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.with_timezone(&Utc) + Duration::days(2))
        .unwrap_or_default();
    let Some(plan) = plans
        .iter_mut()
        .filter(|p| p.rescued > 0)
        .max_by_key(|p| p.received_at)
    else {
        return 0;
    };
    let usual = plan.received_at + Duration::hours(72);
    plan.rescue_delay_hours = (after - usual).num_hours().max(0);
    // Rescues come 72 hours after their call: others may fall after the period too.
    plans
        .iter()
        .filter(|p| p.rescued > 0)
        .filter(|p| {
            let rescued_at = p.received_at + Duration::hours(72 + p.rescue_delay_hours);
            domain::reference::vietnam_day(rescued_at) > last
        })
        .map(|p| u32::from(p.rescued))
        .sum()
}
