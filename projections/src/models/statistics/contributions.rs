//! What one event contributes to the figures (see `facts`), attributed as
//! the rollups are (module documentation of `statistics`), plus:
//! - counselling calls once per topic they were classified under;
//! - persons on the day their case was opened, in its region, by gender and
//!   by age band (age = the opening year minus the birth year);
//! - persons rescued twice: on the day of the rescue, and in the cohort of
//!   their referral (on the day the referral was sent), so that "rescued
//!   through the referrals of the period" counts rescues whenever they came;
//! - everything of a case (its opening, persons, referrals, rescues) in the
//!   case's region and province as recorded when it was opened, so that the
//!   per-province breakdowns of cases and referrals select the same cases.

use domain::call::{CallEvent, CallFacts};
use domain::case::CaseEvent;
use uuid::Uuid;

use super::facts::{age_band, figure, gender_code, is_counselling, Contribution};
use super::memory::Memory;
use crate::error::ProjectionError;
use crate::feed::{Fact, Logged};
use crate::target::Target;

/// Appends `event`'s contributions to `out`, remembering what later events
/// of the batch are attributed by.
pub(super) fn of(
    event: &Logged,
    memory: &mut Memory,
    target: &Target,
    out: &mut Vec<Contribution>,
) -> Result<(), ProjectionError> {
    let position = event.at.position;
    let unknown = |what: &str| {
        ProjectionError::Event(format!(
            "event at position {position} refers to a {what} that is not in the log"
        ))
    };
    match &event.fact {
        Fact::Call(CallEvent::CallReceived {
            call_id,
            received_at,
            channel,
            region,
            province,
            caller_type,
            category,
            topics,
            ..
        }) => {
            let facts = CallFacts {
                received_at: *received_at,
                channel: *channel,
                region: *region,
                province: province.clone(),
                country: None,
                caller_type: *caller_type,
                category: *category,
                topics: topics.clone(),
                category_code: None,
                topic_codes: vec![],
            };
            out.extend(of_call(position, *call_id, &facts, target));
        }
        // The call's old contribution taken back and its new one added, both
        // at the correction's position (its sessions: `corrections.rs`).
        Fact::Call(CallEvent::CallCorrected { before, after, .. }) => {
            let call = event.stream;
            out.extend(
                of_call(position, call, before, target)
                    .into_iter()
                    .map(|c| c.withdrawn(position)),
            );
            out.extend(of_call(position, call, after, target));
        }
        Fact::Call(CallEvent::CounsellingSessionRecorded {
            session_id,
            started_at,
            ..
        }) => {
            let region = memory
                .call_regions
                .at(event.stream, position)
                .ok_or_else(|| unknown("call"))?;
            out.push(Contribution::new(
                position,
                figure::COUNSELLING_SESSIONS,
                target.day(*started_at),
                region,
                None,
                "",
                ("session", *session_id),
                1,
            ));
        }
        Fact::Case(CaseEvent::CaseOpened {
            case_id,
            opened_at,
            region,
            province,
            ..
        }) => {
            let day = target.day(*opened_at);
            memory.case_places.insert(*case_id, (province.clone(), day));
            out.push(
                Contribution::new(
                    position,
                    figure::CASES_OPENED,
                    day,
                    *region,
                    province.as_deref(),
                    "",
                    ("case", *case_id),
                    1,
                )
                .of_case(*case_id),
            );
        }
        Fact::Case(CaseEvent::PersonAttached {
            person_id,
            gender,
            birth_year,
            ..
        }) => {
            let case = event.stream;
            let region = *memory
                .case_regions
                .get(&case)
                .ok_or_else(|| unknown("case"))?;
            let (province, day) = memory
                .case_places
                .get(&case)
                .ok_or_else(|| unknown("case"))?;
            let record = ("person", *person_id);
            for (figure, code) in [
                (figure::PERSONS_BY_GENDER, gender_code(*gender)),
                (figure::PERSONS_BY_AGE_BAND, age_band(*birth_year, *day)),
            ] {
                out.push(
                    Contribution::new(
                        position,
                        figure,
                        *day,
                        region,
                        province.as_deref(),
                        code,
                        record,
                        1,
                    )
                    .of_case(case),
                );
            }
        }
        Fact::Case(CaseEvent::ReferralSent {
            referral_id,
            agency,
            reports_as,
            referred_at,
            ..
        }) => {
            // Counted under the class its agency reported as when sent.
            let agency = agency.class(*reports_as);
            let case = event.stream;
            let region = *memory
                .case_regions
                .get(&case)
                .ok_or_else(|| unknown("case"))?;
            let (province, _) = memory
                .case_places
                .get(&case)
                .ok_or_else(|| unknown("case"))?;
            let day = target.day(*referred_at);
            out.push(
                Contribution::new(
                    position,
                    figure::REFERRALS,
                    day,
                    region,
                    province.as_deref(),
                    agency.as_str(),
                    ("referral", *referral_id),
                    1,
                )
                .of_case(case),
            );
            memory.referral_days.insert((case, *referral_id), day);
        }
        Fact::Case(CaseEvent::RescueRecorded {
            rescue_id,
            referral_id,
            rescued_at,
            persons_rescued,
            ..
        }) => {
            let case = event.stream;
            let region = *memory
                .case_regions
                .get(&case)
                .ok_or_else(|| unknown("case"))?;
            let agency = *memory
                .referral_agencies
                .get(&(case, *referral_id))
                .ok_or_else(|| unknown("referral"))?;
            let sent = *memory
                .referral_days
                .get(&(case, *referral_id))
                .ok_or_else(|| unknown("referral"))?;
            let (province, _) = memory
                .case_places
                .get(&case)
                .ok_or_else(|| unknown("case"))?;
            let persons = i64::from(*persons_rescued);
            for (figure, day) in [
                (figure::PERSONS_RESCUED, target.day(*rescued_at)),
                (figure::RESCUED_BY_COHORT, sent),
            ] {
                out.push(
                    Contribution::new(
                        position,
                        figure,
                        day,
                        region,
                        province.as_deref(),
                        agency.as_str(),
                        ("rescue", *rescue_id),
                        persons,
                    )
                    .of_case(case),
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// What a call with these facts contributes: its category (with region and
/// province), channel, caller type and, for a counselling call, its topics.
fn of_call(position: i64, call_id: Uuid, facts: &CallFacts, target: &Target) -> Vec<Contribution> {
    let day = target.day(facts.received_at);
    let record = ("call", call_id);
    let here = |figure, province: Option<&str>, code| {
        Contribution::new(
            position,
            figure,
            day,
            facts.region,
            province,
            code,
            record,
            1,
        )
    };
    let mut out = vec![
        here(
            figure::CALLS,
            facts.province.as_deref(),
            facts.category.as_str(),
        ),
        here(figure::CALLS_BY_CHANNEL, None, facts.channel.as_str()),
        here(
            figure::CALLS_BY_CALLER_TYPE,
            None,
            facts.caller_type.as_str(),
        ),
    ];
    if is_counselling(facts.category) {
        for topic in &facts.topics {
            out.push(here(figure::COUNSELLING_TOPICS, None, topic.as_str()));
        }
    }
    out
}
