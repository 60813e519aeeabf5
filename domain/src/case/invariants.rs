//! Property: whatever sequence of commands a case receives, `decide` + `apply`
//! keep the case's invariants.
//!
//! The generator draws abstract steps over small pools of ids (so that
//! duplicates, unknown ids and repeated transitions happen often) and times
//! that are either absolute (far past, around the reform, around the clock's
//! skew limit) or relative to the case's latest recorded time (so that long
//! sequences get deep into the referral lifecycle instead of being refused for
//! their times). Each step becomes a concrete `CaseCommand` against the
//! current state, is decided, and when accepted its events are applied.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::Aggregate;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use uuid::Uuid;

use super::{
    AttachCall, AttachPerson, CallRef, Case, CaseCommand, CaseEvent, CloseCase, Consent, NewPerson,
    OpenCase, ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral, MAX_PERSONS,
};
use crate::clock::{earliest_record, Clock, MAX_CLOCK_SKEW_SECONDS};
use crate::sealed::Sealed;
use crate::values::{
    Agency, BirthYear, CaseStatus, CountryCode, ExploitationType, Gender, PersonCount, PersonRole,
    ReferralOutcome, ReferralStatus, Region, Role, SupportService,
};

const CASE: Uuid = Uuid::from_u128(0xCA5E);
const MAX_STEPS: usize = 40;

fn now() -> DateTime<Utc> {
    "2025-09-15T03:00:00Z"
        .parse()
        .expect("a valid RFC 3339 instant")
}

fn latest_allowed() -> DateTime<Utc> {
    now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS)
}

/// Ids from small pools, one pool per kind (distinct high bits).
fn id(kind: u128, n: u8) -> Uuid {
    Uuid::from_u128((kind << 64) | u128::from(n))
}
const REFERRAL: u128 = 1;
const RESCUE: u128 = 2;
const PERSON: u128 = 3;
const PROVISION: u128 = 4;
const CALL: u128 = 5;

fn sealed(tag: &str) -> Sealed {
    Sealed {
        key_id: CASE,
        nonce: format!("nonce-{tag}"),
        ciphertext: format!("ciphertext-{tag}"),
    }
}

// ---- generated steps ----------------------------------------------------------

/// A business time: absolute, or minutes after the case's latest recorded time.
#[derive(Clone, Debug)]
enum When {
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
enum Step {
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
fn steps() -> impl Strategy<Value = Vec<Step>> {
    (
        prop::option::weighted(0.9, open_step()),
        vec(step(), 0..MAX_STEPS),
    )
        .prop_map(|(open, rest)| open.into_iter().chain(rest).collect())
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
fn command(step: &Step, case: &Case) -> CaseCommand {
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
    }
}

// ---- invariants -------------------------------------------------------------

/// The referral state machine of DESIGN.md, written out independently of
/// `ReferralStatus::can_move_to` so that a mistake there is caught here.
fn legal_move(from: ReferralStatus, to: ReferralStatus) -> bool {
    use ReferralStatus::*;
    matches!(
        (from, to),
        (Sent, Acknowledged)
            | (Acknowledged, InProgress)
            | (InProgress, Completed)
            | (Sent, Declined)
            | (Sent, Cancelled)
            | (Acknowledged, Declined)
            | (Acknowledged, Cancelled)
            | (InProgress, Declined)
            | (InProgress, Cancelled)
    )
}

/// The business time an event records, if any.
fn event_time(event: &CaseEvent) -> Option<DateTime<Utc>> {
    match event {
        CaseEvent::CaseOpened { opened_at, .. } => Some(*opened_at),
        CaseEvent::ReferralSent { referred_at, .. } => Some(*referred_at),
        CaseEvent::ReferralStatusChanged { at, .. } => Some(*at),
        CaseEvent::RescueRecorded { rescued_at, .. } => Some(*rescued_at),
        CaseEvent::SupportProvided { provided_at, .. } => Some(*provided_at),
        CaseEvent::CaseClosed { closed_at, .. } => Some(*closed_at),
        CaseEvent::CaseReopened { reopened_at, .. } => Some(*reopened_at),
        CaseEvent::PersonAttached { .. }
        | CaseEvent::CallAttached { .. }
        | CaseEvent::PersonErased { .. } => None,
    }
}

fn all_unique<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items[i + 1..].iter().all(|b| a != b))
}

/// What an accepted command may record, judged against the case before it.
fn check_decision(
    before: &Case,
    command: &CaseCommand,
    events: &[CaseEvent],
) -> Result<(), TestCaseError> {
    if events.is_empty() {
        return Ok(());
    }
    if before.id.is_none() {
        prop_assert!(
            matches!(command, CaseCommand::Open(_)),
            "only opening records on an unopened case"
        );
    } else if before.status == CaseStatus::Closed {
        prop_assert!(
            matches!(
                command,
                CaseCommand::Reopen(_) | CaseCommand::ErasePerson(_)
            ),
            "nothing but a reopening or an erasure is recorded on a closed case"
        );
    }
    for event in events {
        if let Some(at) = event_time(event) {
            prop_assert!(at <= latest_allowed(), "{at} is in the future");
            prop_assert!(at >= earliest_record(), "{at} is before 2000");
        }
        match event {
            CaseEvent::ReferralSent {
                referral_id,
                referred_at,
                consent_given,
                override_reason,
                ..
            } => {
                let CaseCommand::SendReferral(cmd) = command else {
                    return Err(TestCaseError::fail("ReferralSent from another command"));
                };
                prop_assert!(before.referral(*referral_id).is_none());
                prop_assert!(*referred_at >= before.open_since);
                if *consent_given {
                    prop_assert_eq!(&cmd.consent, &Consent::Given);
                    prop_assert_eq!(override_reason, &None);
                } else {
                    prop_assert_eq!(cmd.requested_by, Role::Supervisor);
                    let Consent::Overridden { reason } = &cmd.consent else {
                        return Err(TestCaseError::fail("consent neither given nor overridden"));
                    };
                    prop_assert_eq!(override_reason.as_ref(), Some(reason));
                }
            }
            CaseEvent::ReferralStatusChanged {
                referral_id,
                from,
                to,
                at,
                outcome,
            } => {
                let referral = before.referral(*referral_id);
                prop_assert!(referral.is_some(), "status change of an unknown referral");
                let referral = referral.expect("checked above");
                prop_assert_eq!(referral.status, *from);
                prop_assert!(
                    legal_move(*from, *to),
                    "{} → {} is not a legal move",
                    from,
                    to
                );
                prop_assert_eq!(*to == ReferralStatus::Completed, outcome.is_some());
                prop_assert!(*at >= referral.status_at);
                prop_assert!(*at >= before.open_since);
            }
            CaseEvent::RescueRecorded {
                rescue_id,
                referral_id,
                rescued_at,
                ..
            } => {
                prop_assert!(before.rescue(*rescue_id).is_none());
                let referral = before.referral(*referral_id);
                prop_assert!(referral.is_some(), "rescue on an unknown referral");
                let referral = referral.expect("checked above");
                prop_assert!(
                    !matches!(
                        referral.status,
                        ReferralStatus::Declined | ReferralStatus::Cancelled
                    ),
                    "rescue recorded on a {} referral",
                    referral.status
                );
                prop_assert!(*rescued_at >= referral.referred_at);
                prop_assert!(*rescued_at >= before.open_since);
            }
            CaseEvent::SupportProvided {
                person_id,
                provided_at,
                ..
            } => {
                if let Some(person_id) = person_id {
                    prop_assert!(before.person(*person_id).is_some());
                }
                prop_assert!(*provided_at >= before.open_since);
            }
            CaseEvent::CaseClosed { closed_at, .. } => {
                prop_assert!(*closed_at >= before.latest_at);
            }
            CaseEvent::CaseReopened { reopened_at, .. } => {
                prop_assert!(before
                    .closed_at
                    .is_some_and(|closed| *reopened_at >= closed));
            }
            CaseEvent::PersonAttached {
                person_id,
                birth_year,
                ..
            } => {
                prop_assert!(before.person(*person_id).is_none());
                prop_assert!(birth_year.is_none_or(|y| y <= 2025));
            }
            CaseEvent::PersonErased { person_id, .. } => {
                prop_assert!(before.person(*person_id).is_some_and(|p| !p.erased));
            }
            CaseEvent::CaseOpened { .. } | CaseEvent::CallAttached { .. } => {}
        }
    }
    Ok(())
}

/// What must hold of the case after every step.
fn check_state(case: &Case) -> Result<(), TestCaseError> {
    if case.id.is_none() {
        prop_assert_eq!(case, &Case::default(), "an unopened case holds nothing");
        return Ok(());
    }
    prop_assert_eq!(case.status == CaseStatus::Closed, case.closed_at.is_some());
    if case.status == CaseStatus::Closed {
        prop_assert_eq!(
            case.closed_at,
            Some(case.latest_at),
            "nothing after the closing"
        );
    }

    let referral_ids: Vec<_> = case.referrals.iter().map(|r| r.referral_id).collect();
    let rescue_ids: Vec<_> = case.rescues.iter().map(|r| r.rescue_id).collect();
    let person_ids: Vec<_> = case.persons.iter().map(|p| p.person_id).collect();
    let provision_ids: Vec<_> = case.support.iter().map(|s| s.provision_id).collect();
    prop_assert!(
        all_unique(&referral_ids),
        "referral ids: {:?}",
        referral_ids
    );
    prop_assert!(all_unique(&rescue_ids), "rescue ids: {:?}", rescue_ids);
    prop_assert!(all_unique(&person_ids), "person ids: {:?}", person_ids);
    prop_assert!(
        all_unique(&provision_ids),
        "provision ids: {:?}",
        provision_ids
    );
    prop_assert!(all_unique(&case.call_ids), "call ids: {:?}", case.call_ids);
    prop_assert!(case.persons.len() <= MAX_PERSONS);

    for referral in &case.referrals {
        let rescued: u32 = case
            .rescues
            .iter()
            .filter(|r| r.referral_id == referral.referral_id)
            .map(|r| u32::from(r.persons_rescued))
            .sum();
        prop_assert_eq!(referral.persons_rescued, rescued);
        prop_assert!(referral.status_at >= referral.referred_at);
        prop_assert!(referral.referred_at >= case.opened_at);
        prop_assert_eq!(
            referral.status == ReferralStatus::Completed,
            referral.outcome.is_some()
        );
    }
    for rescue in &case.rescues {
        let referral = case.referral(rescue.referral_id);
        prop_assert!(
            referral.is_some(),
            "rescue {} has no referral",
            rescue.rescue_id
        );
        let referral = referral.expect("checked above");
        prop_assert!(rescue.rescued_at >= referral.referred_at);
    }
    for support in &case.support {
        if let Some(person_id) = support.person_id {
            prop_assert!(case.person(person_id).is_some());
        }
    }

    // Every business time is within the records and not in the future, and
    // `latest_at` is the latest of them.
    let times: Vec<DateTime<Utc>> = [case.opened_at, case.open_since]
        .into_iter()
        .chain(case.closed_at)
        .chain(
            case.referrals
                .iter()
                .flat_map(|r| [r.referred_at, r.status_at]),
        )
        .chain(case.rescues.iter().map(|r| r.rescued_at))
        .chain(case.support.iter().map(|s| s.provided_at))
        .collect();
    for at in &times {
        prop_assert!(*at <= latest_allowed(), "{at} is in the future");
        prop_assert!(*at >= earliest_record(), "{at} is before 2000");
    }
    prop_assert_eq!(times.iter().max().copied(), Some(case.latest_at));
    prop_assert!(case.open_since >= case.opened_at);
    Ok(())
}

/// Runs the steps, checking every invariant; returns the kinds of the events recorded.
fn run(steps: &[Step]) -> Result<Vec<String>, TestCaseError> {
    let clock = Clock::fixed(now());
    let mut case = Case::default();
    let mut history = Vec::new();
    for step in steps {
        let command = command(step, &case);
        let before = case.clone();
        let decided = case.decide(command.clone(), &clock);
        prop_assert_eq!(&case, &before, "deciding never changes the case");
        prop_assert_eq!(
            &decided,
            &case.decide(command.clone(), &clock),
            "deciding is deterministic"
        );
        if let Ok(events) = decided {
            check_decision(&before, &command, &events)?;
            for event in events {
                case.apply(event.clone());
                history.push(event);
            }
        }
        check_state(&case)?;
    }
    let mut replayed = Case::default();
    for event in &history {
        replayed.apply(event.clone());
    }
    prop_assert_eq!(&replayed, &case, "the case is the fold of its events");
    Ok(history
        .iter()
        .map(|e| match e {
            CaseEvent::ReferralStatusChanged { to, .. } => format!("ReferralStatusChanged:{to}"),
            other => cqrs_es::DomainEvent::event_type(other),
        })
        .collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_sequence_of_commands_keeps_the_case_invariants(steps in steps()) {
        run(&steps)?;
    }
}

/// Guards the property against being vacuous: the generator must reach every
/// kind of event, every referral status and a reopening.
#[test]
fn the_generator_reaches_every_kind_of_event() {
    let mut runner = TestRunner::deterministic();
    let strategy = steps();
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..256 {
        let steps = strategy
            .new_tree(&mut runner)
            .expect("the strategy generates")
            .current();
        seen.extend(run(&steps).expect("the invariants hold"));
    }
    let kinds = [
        "CaseOpened",
        "PersonAttached",
        "CallAttached",
        "ReferralSent",
        "ReferralStatusChanged:ACKNOWLEDGED",
        "ReferralStatusChanged:IN_PROGRESS",
        "ReferralStatusChanged:COMPLETED",
        "ReferralStatusChanged:DECLINED",
        "ReferralStatusChanged:CANCELLED",
        "RescueRecorded",
        "SupportProvided",
        "CaseClosed",
        "CaseReopened",
    ];
    for kind in kinds {
        let n = seen.iter().filter(|k| *k == kind).count();
        assert!(n >= 5, "{kind} recorded only {n} times in 256 runs");
    }
}
