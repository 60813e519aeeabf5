//! The generator of random command sequences for the case's property test
//! (`properties`).
//!
//! It draws abstract steps over small pools of ids (so that duplicates,
//! unknown ids and repeated transitions happen often) and times that are
//! either absolute (far past, around the reform, around the clock's skew
//! limit) or relative to the case's latest recorded time (so that long
//! sequences get deep into the referral lifecycle instead of being refused for
//! their times). Each step becomes a concrete `CaseCommand` against the
//! current state.

use chrono::{DateTime, Duration, Utc};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use uuid::Uuid;

use super::casework_steps::{casework_command, casework_step, CaseworkStep};
use super::fixtures::{now, sealed, CASE};
use crate::case::{
    AttachCall, AttachPerson, CallRef, Case, CaseCommand, CloseCase, Consent, NewPerson, OpenCase,
    ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral,
};
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::values::{
    Agency, BirthYear, CountryCode, ExploitationType, Gender, PersonCount, PersonRole,
    ReferralOutcome, ReferralStatus, Region, Role, SupportService,
};

const MAX_STEPS: usize = 40;

/// Ids from small pools, one pool per kind (distinct high bits).
fn id(kind: u128, n: u8) -> Uuid {
    Uuid::from_u128((kind << 64) | u128::from(n))
}
const REFERRAL: u128 = 1;
const RESCUE: u128 = 2;
const PERSON: u128 = 3;
const PROVISION: u128 = 4;
const CALL: u128 = 5;

// ---- generated steps ----------------------------------------------------------

/// A business time: absolute, or minutes after the case's latest recorded time.
#[derive(Clone, Debug)]
pub(super) enum When {
    At(DateTime<Utc>),
    AfterLatest(i64),
}

impl When {
    fn resolve(&self, case: &Case) -> DateTime<Utc> {
        match self {
            When::At(at) => *at,
            When::AfterLatest(minutes) => {
                let base = if case.id.is_some() {
                    case.latest_at
                } else {
                    now() - Duration::days(7)
                };
                base + Duration::minutes(*minutes)
            }
        }
    }
}

#[derive(Clone, Debug)]
pub(super) enum Step {
    Open {
        at: When,
        /// Which call, and how many minutes before the opening it was received.
        from_call: Option<(u8, i64, Region)>,
        region: Option<Region>,
        province: Option<&'static str>,
        persons: Vec<(u8, Option<i32>)>,
    },
    AttachCall(u8),
    AttachPerson(u8, Option<i32>),
    Send {
        referral: u8,
        at: When,
        consent: u8,
        role: Role,
        persons: i32,
    },
    Update {
        referral: u8,
        /// `None`: the referral's next step forward, well-formed (resolved at run time).
        status: Option<ReferralStatus>,
        at: When,
        outcome: Option<ReferralOutcome>,
    },
    Rescue {
        rescue: u8,
        referral: u8,
        at: When,
        persons: i32,
        region: Option<Region>,
        province: Option<&'static str>,
        country: Option<&'static str>,
    },
    Support {
        provision: u8,
        person: Option<u8>,
        at: When,
    },
    Close(When),
    Reopen(When),
    Casework(CaseworkStep),
}

fn when() -> impl Strategy<Value = When> {
    let t = |s: &str| {
        s.parse::<DateTime<Utc>>()
            .expect("a valid RFC 3339 instant")
    };
    prop_oneof![
        12 => (-90_i64..=600).prop_map(When::AfterLatest),
        2 => (0_i64..=30 * 24).prop_map(|h| When::At(now() - Duration::hours(h))),
        1 => select(vec![
            t("1999-12-31T23:59:59Z"),
            t("2000-01-01T00:00:00Z"),
            t("2025-06-30T16:59:59Z"),
            t("2025-06-30T17:00:00Z"),
            now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS),
            now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1),
        ])
        .prop_map(When::At),
    ]
}

fn region() -> impl Strategy<Value = Option<Region>> {
    prop::option::weighted(0.3, select(Region::ALL.to_vec()))
}

fn province() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::weighted(
        0.2,
        select(vec![
            "HA_NOI",
            "HA_GIANG",
            "TUYEN_QUANG",
            "AN_GIANG",
            "ATLANTIS",
        ]),
    )
}

fn birth() -> impl Strategy<Value = Option<i32>> {
    prop::option::of(select(vec![1_950, 2_004, 2_025, 2_026]))
}

prop_compose! {
    fn open_step()(
        at in when(),
        from_call in prop::option::weighted(0.7, (0_u8..3, -30_i64..=240, select(Region::ALL.to_vec()))),
        region in region(),
        province in province(),
        persons in vec((0_u8..4, birth()), 0..3),
    ) -> Step {
        Step::Open { at, from_call, region, province, persons }
    }
}

prop_compose! {
    fn send_step()(
        referral in 0_u8..2,
        at in when(),
        consent in prop_oneof![6 => Just(0_u8), 3 => Just(1_u8), 1 => Just(2_u8)],
        role in select(vec![Role::Counsellor, Role::Supervisor, Role::Agency]),
        persons in 1_i32..=5,
    ) -> Step {
        Step::Send { referral, at, consent, role, persons }
    }
}

prop_compose! {
    fn update_step()(
        referral in 0_u8..3,
        status in prop::option::weighted(0.35, select(ReferralStatus::ALL.to_vec())),
        at in when(),
        outcome in prop::option::weighted(0.4, select(ReferralOutcome::ALL.to_vec())),
    ) -> Step {
        Step::Update { referral, status, at, outcome }
    }
}

prop_compose! {
    fn rescue_step()(
        rescue in 0_u8..4,
        referral in 0_u8..3,
        at in when(),
        persons in 1_i32..=7,
        region in region(),
        province in province(),
        country in prop::option::weighted(0.15, select(vec!["CN", "KH"])),
    ) -> Step {
        Step::Rescue { rescue, referral, at, persons, region, province, country }
    }
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => open_step(),
        1 => (0_u8..3).prop_map(Step::AttachCall),
        2 => (0_u8..4, birth()).prop_map(|(p, b)| Step::AttachPerson(p, b)),
        5 => send_step(),
        16 => update_step(),
        6 => rescue_step(),
        3 => (0_u8..3, prop::option::of(0_u8..4), when())
            .prop_map(|(provision, person, at)| Step::Support { provision, person, at }),
        1 => when().prop_map(Step::Close),
        2 => when().prop_map(Step::Reopen),
    ]
}

/// Most sequences begin by opening the case, so that they get somewhere.
pub(super) fn steps() -> impl Strategy<Value = Vec<Step>> {
    (
        prop::option::weighted(0.9, open_step()),
        vec(step(), 0..MAX_STEPS),
    )
        .prop_map(|(open, rest)| open.into_iter().chain(rest).collect())
}

/// Sequences of casework on an opened case, with the odd closing and
/// reopening (casework is refused on a closed case).
pub(super) fn casework_steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        8 => casework_step().prop_map(Step::Casework),
        1 => when().prop_map(Step::Close),
        1 => when().prop_map(Step::Reopen),
    ];
    (open_step(), vec(step, 0..MAX_STEPS))
        .prop_map(|(open, rest)| std::iter::once(open).chain(rest).collect())
}

fn new_person(n: u8, birth: Option<i32>) -> NewPerson {
    NewPerson {
        person_id: id(PERSON, n),
        role: PersonRole::Victim,
        gender: Gender::Unknown,
        birth_year: birth.map(|y| BirthYear::try_from(y).expect("pool years are in range")),
        full_name: Some(sealed("name")),
        phone: None,
    }
}

/// The concrete command a step stands for, given the case as it is now.
pub(super) fn command(step: &Step, case: &Case) -> CaseCommand {
    let count = |n: i32| PersonCount::try_from(n).expect("pool counts are in range");
    match step {
        Step::Open {
            at,
            from_call,
            region,
            province,
            persons,
        } => {
            let opened_at = at.resolve(case);
            CaseCommand::Open(OpenCase {
                case_id: CASE,
                opened_at,
                from_call: from_call.map(|(n, lead, region)| CallRef {
                    call_id: id(CALL, n),
                    received_at: opened_at - Duration::minutes(lead),
                    region,
                }),
                region: *region,
                province: province.map(str::to_string),
                exploitation_types: vec![ExploitationType::Sexual, ExploitationType::Unknown],
                persons: persons.iter().map(|&(n, b)| new_person(n, b)).collect(),
            })
        }
        Step::AttachCall(n) => CaseCommand::AttachCall(AttachCall {
            case_id: CASE,
            call: CallRef {
                call_id: id(CALL, *n),
                received_at: now() - Duration::days(1),
                region: Region::Unknown,
            },
        }),
        Step::AttachPerson(n, birth) => CaseCommand::AttachPerson(AttachPerson {
            case_id: CASE,
            person: new_person(*n, *birth),
        }),
        Step::Send {
            referral,
            at,
            consent,
            role,
            persons,
        } => CaseCommand::SendReferral(SendReferral {
            case_id: CASE,
            referral_id: id(REFERRAL, *referral),
            agency: Agency::BorderGuard,
            referred_at: at.resolve(case),
            persons_at_risk: count(*persons),
            consent: match consent {
                0 => Consent::Given,
                1 => Consent::Overridden {
                    reason: sealed("override"),
                },
                _ => Consent::Missing,
            },
            reason: None,
            requested_by: *role,
        }),
        Step::Update {
            referral,
            status,
            at,
            outcome,
        } => {
            let referral_id = id(REFERRAL, *referral);
            let (status, outcome) = match status {
                Some(status) => (*status, *outcome),
                None => {
                    let current = case.referral(referral_id).map(|r| r.status);
                    match current {
                        Some(ReferralStatus::Sent) => (ReferralStatus::Acknowledged, None),
                        Some(ReferralStatus::Acknowledged) => (ReferralStatus::InProgress, None),
                        // R0 always completes well-formed; R1 sometimes without an outcome.
                        Some(ReferralStatus::InProgress) if *referral == 0 => (
                            ReferralStatus::Completed,
                            Some(outcome.unwrap_or(ReferralOutcome::Rescued)),
                        ),
                        Some(ReferralStatus::InProgress) => (ReferralStatus::Completed, *outcome),
                        _ => (ReferralStatus::Acknowledged, None),
                    }
                }
            };
            CaseCommand::UpdateReferral(UpdateReferral {
                case_id: CASE,
                referral_id,
                status,
                at: at.resolve(case),
                outcome,
            })
        }
        Step::Rescue {
            rescue,
            referral,
            at,
            persons,
            region,
            province,
            country,
        } => CaseCommand::RecordRescue(RecordRescue {
            case_id: CASE,
            rescue_id: id(RESCUE, *rescue),
            referral_id: id(REFERRAL, *referral),
            rescued_at: at.resolve(case),
            persons_rescued: count(*persons),
            region: *region,
            province: province.map(str::to_string),
            country: country.map(|c| CountryCode::try_from(c).expect("pool countries are valid")),
        }),
        Step::Support {
            provision,
            person,
            at,
        } => CaseCommand::ProvideSupport(ProvideSupport {
            case_id: CASE,
            provision_id: id(PROVISION, *provision),
            person_id: person.map(|n| id(PERSON, n)),
            service: SupportService::Psychological,
            provided_at: at.resolve(case),
        }),
        Step::Close(at) => CaseCommand::Close(CloseCase {
            case_id: CASE,
            closed_at: at.resolve(case),
            reason: sealed("close"),
        }),
        Step::Reopen(at) => CaseCommand::Reopen(ReopenCase {
            case_id: CASE,
            reopened_at: at.resolve(case),
            reason: sealed("reopen"),
        }),
        Step::Casework(step) => casework_command(step, case),
    }
}
