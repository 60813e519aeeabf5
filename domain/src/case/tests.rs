//! The Case's rules, one given/when/then test per rule.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::Aggregate;
use uuid::Uuid;

use super::{
    AttachCall, AttachPerson, CallRef, Case, CaseCommand, CaseEvent, CloseCase, Consent, NewPerson,
    OpenCase, ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral, MAX_PERSONS,
};
use crate::clock::{Clock, MAX_CLOCK_SKEW_SECONDS};
use crate::error::DomainError;
use crate::sealed::Sealed;
use crate::values::{
    Agency, BirthYear, CaseStatus, CountryCode, ExploitationType, Gender, PersonCount, PersonRole,
    ReferralOutcome, ReferralStatus, Region, Role, SupportService,
};

use ReferralStatus::{Acknowledged, Cancelled, Completed, Declined, InProgress, Sent};

/// The fixed "now" of every test: after the 2025 province reform.
const NOW: &str = "2025-09-15T03:00:00Z";
/// When the call that opened the case was received.
const CALL_AT: &str = "2025-09-01T01:00:00Z";
/// When the case was opened.
const OPENED: &str = "2025-09-01T02:00:00Z";
/// When the referral R1 was sent.
const SENT_AT: &str = "2025-09-02T00:00:00Z";

const CASE: Uuid = Uuid::from_u128(0xCA5E);
const CALL: Uuid = Uuid::from_u128(0xCA11);
const OTHER_CALL: Uuid = Uuid::from_u128(0xCA12);
const R1: Uuid = Uuid::from_u128(0x2E1);
const R2: Uuid = Uuid::from_u128(0x2E2);
const RESCUE1: Uuid = Uuid::from_u128(0x5C1);
const RESCUE2: Uuid = Uuid::from_u128(0x5C2);
const P1: Uuid = Uuid::from_u128(0x9E1);
const P2: Uuid = Uuid::from_u128(0x9E2);
const SUPPORT1: Uuid = Uuid::from_u128(0x5E1);

// ---- helpers ----------------------------------------------------------------

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instants are RFC 3339")
}

fn now() -> DateTime<Utc> {
    t(NOW)
}

fn clock() -> Clock {
    Clock::fixed(now())
}

fn given(events: Vec<CaseEvent>) -> AggregateTestExecutor<Case> {
    TestFramework::<Case>::with(clock()).given(events)
}

fn sealed(tag: &str) -> Sealed {
    Sealed {
        key_id: CASE,
        nonce: format!("nonce-{tag}"),
        ciphertext: format!("ciphertext-{tag}"),
    }
}

fn count(n: i32) -> PersonCount {
    PersonCount::try_from(n).expect("a valid person count")
}

fn birth_year(y: i32) -> BirthYear {
    BirthYear::try_from(y).expect("a valid birth year")
}

fn country(code: &str) -> CountryCode {
    CountryCode::try_from(code).expect("a valid country code")
}

/// The call that opened the case: received in the Northeast.
fn call_ref() -> CallRef {
    CallRef {
        call_id: CALL,
        received_at: t(CALL_AT),
        region: Region::Northeast,
    }
}

fn open_cmd() -> OpenCase {
    OpenCase {
        case_id: CASE,
        opened_at: t(OPENED),
        from_call: Some(call_ref()),
        region: None,
        province: None,
        exploitation_types: vec![],
        persons: vec![],
    }
}

/// The case as `open_cmd()` opens it.
fn opened() -> CaseEvent {
    CaseEvent::CaseOpened {
        case_id: CASE,
        opened_at: t(OPENED),
        from_call_id: Some(CALL),
        region: Region::Northeast,
        province: None,
        exploitation_types: vec![],
    }
}

fn person(id: Uuid) -> NewPerson {
    NewPerson {
        person_id: id,
        role: PersonRole::PossibleVictim,
        gender: Gender::Female,
        birth_year: Some(birth_year(2004)),
        full_name: Some(sealed("name")),
        phone: None,
    }
}

fn person_attached(id: Uuid) -> CaseEvent {
    CaseEvent::PersonAttached {
        person_id: id,
        role: PersonRole::PossibleVictim,
        gender: Gender::Female,
        birth_year: Some(2004),
        full_name: Some(sealed("name")),
        phone: None,
    }
}

/// A referral to the criminal police, with the person's consent, sent by a counsellor.
fn referral(id: Uuid, at: &str) -> SendReferral {
    SendReferral {
        case_id: CASE,
        referral_id: id,
        agency: Agency::CriminalPolice,
        referred_at: t(at),
        persons_at_risk: count(2),
        consent: Consent::Given,
        reason: None,
        requested_by: Role::Counsellor,
    }
}

fn sent(id: Uuid, at: &str) -> CaseEvent {
    CaseEvent::ReferralSent {
        referral_id: id,
        agency: Agency::CriminalPolice,
        referred_at: t(at),
        persons_at_risk: 2,
        consent_given: true,
        override_reason: None,
        reason: None,
    }
}

fn update(
    id: Uuid,
    status: ReferralStatus,
    at: &str,
    outcome: Option<ReferralOutcome>,
) -> CaseCommand {
    CaseCommand::UpdateReferral(UpdateReferral {
        case_id: CASE,
        referral_id: id,
        status,
        at: t(at),
        outcome,
    })
}

fn changed(
    id: Uuid,
    from: ReferralStatus,
    to: ReferralStatus,
    at: &str,
    outcome: Option<ReferralOutcome>,
) -> CaseEvent {
    CaseEvent::ReferralStatusChanged {
        referral_id: id,
        from,
        to,
        at: t(at),
        outcome,
    }
}

/// Three persons rescued, with no location given.
fn rescue(id: Uuid, referral: Uuid, at: &str) -> RecordRescue {
    RecordRescue {
        case_id: CASE,
        rescue_id: id,
        referral_id: referral,
        rescued_at: t(at),
        persons_rescued: count(3),
        region: None,
        province: None,
        country: None,
    }
}

fn rescued(id: Uuid, referral: Uuid, at: &str, region: Region) -> CaseEvent {
    CaseEvent::RescueRecorded {
        rescue_id: id,
        referral_id: referral,
        rescued_at: t(at),
        persons_rescued: 3,
        region,
        province: None,
        country: None,
    }
}

fn support(id: Uuid, person: Option<Uuid>, at: &str) -> ProvideSupport {
    ProvideSupport {
        case_id: CASE,
        provision_id: id,
        person_id: person,
        service: SupportService::Medical,
        provided_at: t(at),
    }
}

fn supported(id: Uuid, person: Option<Uuid>, at: &str) -> CaseEvent {
    CaseEvent::SupportProvided {
        provision_id: id,
        person_id: person,
        service: SupportService::Medical,
        provided_at: t(at),
    }
}

fn close(at: &str) -> CaseCommand {
    CaseCommand::Close(CloseCase {
        case_id: CASE,
        closed_at: t(at),
        reason: sealed("close"),
    })
}

fn closed(at: &str) -> CaseEvent {
    CaseEvent::CaseClosed {
        closed_at: t(at),
        reason: sealed("close"),
    }
}

fn reopen(at: &str) -> CaseCommand {
    CaseCommand::Reopen(ReopenCase {
        case_id: CASE,
        reopened_at: t(at),
        reason: sealed("reopen"),
    })
}

fn reopened(at: &str) -> CaseEvent {
    CaseEvent::CaseReopened {
        reopened_at: t(at),
        reason: sealed("reopen"),
    }
}

/// One command of each kind that works on an opened case, all valid for a
/// case opened with R1 sent and P1 attached.
fn every_command_on_an_opened_case() -> Vec<CaseCommand> {
    vec![
        CaseCommand::AttachCall(AttachCall {
            case_id: CASE,
            call: CallRef {
                call_id: OTHER_CALL,
                received_at: t("2025-09-03T00:00:00Z"),
                region: Region::Northeast,
            },
        }),
        CaseCommand::AttachPerson(AttachPerson {
            case_id: CASE,
            person: person(P2),
        }),
        CaseCommand::SendReferral(referral(R2, "2025-09-03T00:00:00Z")),
        update(R1, Acknowledged, "2025-09-03T00:00:00Z", None),
        CaseCommand::RecordRescue(rescue(RESCUE1, R1, "2025-09-03T00:00:00Z")),
        CaseCommand::ProvideSupport(support(SUPPORT1, Some(P1), "2025-09-03T00:00:00Z")),
        close("2025-09-03T00:00:00Z"),
    ]
}

// ---- opening ----------------------------------------------------------------

#[test]
fn opening_a_case_records_it() {
    given(vec![])
        .when(CaseCommand::Open(open_cmd()))
        .then_expect_events(vec![opened()]);
}

#[test]
fn opening_a_case_twice_is_refused() {
    given(vec![opened()])
        .when(CaseCommand::Open(open_cmd()))
        .then_expect_error(DomainError::CaseAlreadyOpened(CASE));
}

#[test]
fn opening_a_closed_case_again_is_refused() {
    given(vec![opened(), closed("2025-09-03T00:00:00Z")])
        .when(CaseCommand::Open(open_cmd()))
        .then_expect_error(DomainError::CaseAlreadyOpened(CASE));
}

#[test]
fn opening_before_the_calls_received_at_is_refused() {
    let mut cmd = open_cmd();
    cmd.opened_at = t("2025-09-01T00:59:59Z");
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_error(DomainError::BeforePrevious {
            field: "openedAt",
            at: t("2025-09-01T00:59:59Z"),
            follows: "the call's receivedAt",
            earlier: t(CALL_AT),
        });
}

#[test]
fn opening_beyond_the_allowed_clock_skew_is_refused() {
    let mut cmd = open_cmd();
    cmd.opened_at = now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1);
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_error(DomainError::InFuture { field: "openedAt" });
}

#[test]
fn opening_before_2000_is_refused() {
    let mut cmd = open_cmd();
    cmd.from_call = None;
    cmd.opened_at = t("1999-12-31T23:59:59Z");
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_error(DomainError::TooOld { field: "openedAt" });
}

#[test]
fn case_region_falls_back_to_the_calls_region() {
    // open_cmd() gives neither region nor province: the call's Northeast is kept.
    given(vec![])
        .when(CaseCommand::Open(open_cmd()))
        .then_expect_events(vec![opened()]);
}

#[test]
fn case_region_falls_back_to_unknown_without_a_call() {
    let mut cmd = open_cmd();
    cmd.from_call = None;
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_events(vec![CaseEvent::CaseOpened {
            case_id: CASE,
            opened_at: t(OPENED),
            from_call_id: None,
            region: Region::Unknown,
            province: None,
            exploitation_types: vec![],
        }]);
}

#[test]
fn case_region_given_wins_over_the_calls_region() {
    let mut cmd = open_cmd();
    cmd.region = Some(Region::MekongDelta);
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_events(vec![CaseEvent::CaseOpened {
            case_id: CASE,
            opened_at: t(OPENED),
            from_call_id: Some(CALL),
            region: Region::MekongDelta,
            province: None,
            exploitation_types: vec![],
        }]);
}

#[test]
fn case_province_derives_the_case_region() {
    let mut cmd = open_cmd();
    cmd.province = Some("HA_NOI".into());
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_events(vec![CaseEvent::CaseOpened {
            case_id: CASE,
            opened_at: t(OPENED),
            from_call_id: Some(CALL),
            region: Region::RedRiverDelta,
            province: Some("HA_NOI".into()),
            exploitation_types: vec![],
        }]);
}

#[test]
fn case_with_a_merged_province_after_the_reform_is_refused() {
    let mut cmd = open_cmd();
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_error(DomainError::ProvinceMerged {
            province: "HA_GIANG".into(),
            successor: "TUYEN_QUANG".into(),
            since: "2025-07-01".into(),
        });
}

#[test]
fn exploitation_types_are_sorted_and_deduplicated_in_the_event() {
    use ExploitationType::{ForcedLabour, ForcedMarriage, Sexual};
    let mut cmd = open_cmd();
    cmd.exploitation_types = vec![ForcedMarriage, Sexual, ForcedMarriage, ForcedLabour];
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_events(vec![CaseEvent::CaseOpened {
            case_id: CASE,
            opened_at: t(OPENED),
            from_call_id: Some(CALL),
            region: Region::Northeast,
            province: None,
            exploitation_types: vec![Sexual, ForcedLabour, ForcedMarriage],
        }]);
}

#[test]
fn persons_given_when_opening_are_attached_in_order() {
    let mut cmd = open_cmd();
    cmd.persons = vec![person(P2), person(P1)];
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_events(vec![opened(), person_attached(P2), person_attached(P1)]);
}

#[test]
fn duplicate_person_when_opening_is_refused() {
    let mut cmd = open_cmd();
    let mut again = person(P1);
    again.role = PersonRole::Reporter;
    cmd.persons = vec![person(P1), again];
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_error(DomainError::PersonExists(P1));
}

#[test]
fn too_many_persons_when_opening_is_refused() {
    let mut cmd = open_cmd();
    cmd.persons = (0..=MAX_PERSONS as u128)
        .map(|n| person(Uuid::from_u128(0x1000 + n)))
        .collect();
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_error(DomainError::TooManyPersons(MAX_PERSONS));
}

// ---- an unopened or closed case ---------------------------------------------

#[test]
fn any_command_on_an_unopened_case_is_refused() {
    let mut commands = every_command_on_an_opened_case();
    commands.push(reopen("2025-09-03T00:00:00Z"));
    for command in commands {
        let refused = given(vec![]).when(command.clone()).inspect_result();
        assert_eq!(refused, Err(DomainError::CaseNotFound(CASE)), "{command:?}");
    }
}

#[test]
fn every_command_is_accepted_on_an_open_case() {
    // The counterpart of the two refusals around it: the same commands pass
    // while the case is open, so the refusals are about the case's state.
    for command in every_command_on_an_opened_case() {
        let events = given(vec![opened(), person_attached(P1), sent(R1, SENT_AT)])
            .when(command.clone())
            .inspect_result();
        assert!(
            matches!(&events, Ok(events) if events.len() == 1),
            "{command:?}: {events:?}"
        );
    }
}

#[test]
fn any_command_on_a_closed_case_is_refused() {
    for command in every_command_on_an_opened_case() {
        let refused = given(vec![
            opened(),
            person_attached(P1),
            sent(R1, SENT_AT),
            closed("2025-09-02T12:00:00Z"),
        ])
        .when(command.clone())
        .inspect_result();
        assert_eq!(refused, Err(DomainError::CaseClosed(CASE)), "{command:?}");
    }
}

// ---- closing and reopening --------------------------------------------------

#[test]
fn closing_a_case_records_it() {
    given(vec![opened(), sent(R1, SENT_AT)])
        .when(close("2025-09-03T00:00:00Z"))
        .then_expect_events(vec![closed("2025-09-03T00:00:00Z")]);
}

#[test]
fn closing_before_the_latest_recorded_time_is_refused() {
    given(vec![
        opened(),
        sent(R1, SENT_AT),
        rescued(RESCUE1, R1, "2025-09-04T00:00:00Z", Region::Northeast),
    ])
    .when(close("2025-09-03T00:00:00Z"))
    .then_expect_error(DomainError::BeforePrevious {
        field: "closedAt",
        at: t("2025-09-03T00:00:00Z"),
        follows: "the case's latest recorded time",
        earlier: t("2025-09-04T00:00:00Z"),
    });
}

#[test]
fn closing_beyond_the_allowed_clock_skew_is_refused() {
    let at = (now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1)).to_rfc3339();
    given(vec![opened()])
        .when(close(&at))
        .then_expect_error(DomainError::InFuture { field: "closedAt" });
}

#[test]
fn reopening_a_closed_case_records_it() {
    given(vec![opened(), closed("2025-09-03T00:00:00Z")])
        .when(reopen("2025-09-03T00:00:00Z"))
        .then_expect_events(vec![reopened("2025-09-03T00:00:00Z")]);
}

#[test]
fn reopening_an_open_case_is_refused() {
    given(vec![opened()])
        .when(reopen("2025-09-03T00:00:00Z"))
        .then_expect_error(DomainError::CaseAlreadyOpen(CASE));
}

#[test]
fn reopening_a_reopened_case_is_refused() {
    given(vec![
        opened(),
        closed("2025-09-03T00:00:00Z"),
        reopened("2025-09-04T00:00:00Z"),
    ])
    .when(reopen("2025-09-05T00:00:00Z"))
    .then_expect_error(DomainError::CaseAlreadyOpen(CASE));
}

#[test]
fn reopening_before_closed_at_is_refused() {
    given(vec![opened(), closed("2025-09-05T00:00:00Z")])
        .when(reopen("2025-09-04T00:00:00Z"))
        .then_expect_error(DomainError::BeforePrevious {
            field: "reopenedAt",
            at: t("2025-09-04T00:00:00Z"),
            follows: "the case's closedAt",
            earlier: t("2025-09-05T00:00:00Z"),
        });
}

#[test]
fn reopening_beyond_the_allowed_clock_skew_is_refused() {
    let at = (now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1)).to_rfc3339();
    given(vec![opened(), closed("2025-09-05T00:00:00Z")])
        .when(reopen(&at))
        .then_expect_error(DomainError::InFuture {
            field: "reopenedAt",
        });
}

#[test]
fn work_is_accepted_again_after_reopening() {
    given(vec![
        opened(),
        closed("2025-09-05T00:00:00Z"),
        reopened("2025-09-06T00:00:00Z"),
    ])
    .when(CaseCommand::SendReferral(referral(
        R1,
        "2025-09-06T00:00:00Z",
    )))
    .then_expect_events(vec![sent(R1, "2025-09-06T00:00:00Z")]);
}

// ---- calls and persons ------------------------------------------------------

#[test]
fn attaching_a_new_call_records_it() {
    given(vec![opened()])
        .when(CaseCommand::AttachCall(AttachCall {
            case_id: CASE,
            call: CallRef {
                call_id: OTHER_CALL,
                received_at: t("2025-09-03T00:00:00Z"),
                region: Region::Southeast,
            },
        }))
        .then_expect_events(vec![CaseEvent::CallAttached {
            call_id: OTHER_CALL,
        }]);
}

#[test]
fn attaching_an_already_attached_call_records_nothing() {
    // CALL opened the case; OTHER_CALL was attached later: neither is attached twice.
    for call_id in [CALL, OTHER_CALL] {
        let events = given(vec![
            opened(),
            CaseEvent::CallAttached {
                call_id: OTHER_CALL,
            },
        ])
        .when(CaseCommand::AttachCall(AttachCall {
            case_id: CASE,
            call: CallRef {
                call_id,
                received_at: t(CALL_AT),
                region: Region::Northeast,
            },
        }))
        .inspect_result();
        assert_eq!(events, Ok(vec![]), "{call_id}");
    }
}

#[test]
fn attaching_a_person_records_it() {
    given(vec![opened()])
        .when(CaseCommand::AttachPerson(AttachPerson {
            case_id: CASE,
            person: person(P1),
        }))
        .then_expect_events(vec![person_attached(P1)]);
}

#[test]
fn attaching_an_already_attached_person_is_refused() {
    let mut again = person(P1);
    again.gender = Gender::Male;
    given(vec![opened(), person_attached(P1)])
        .when(CaseCommand::AttachPerson(AttachPerson {
            case_id: CASE,
            person: again,
        }))
        .then_expect_error(DomainError::PersonExists(P1));
}

#[test]
fn attaching_more_than_the_most_persons_is_refused() {
    let mut events = vec![opened()];
    events.extend((0..MAX_PERSONS as u128).map(|n| person_attached(Uuid::from_u128(0x1000 + n))));
    given(events)
        .when(CaseCommand::AttachPerson(AttachPerson {
            case_id: CASE,
            person: person(P1),
        }))
        .then_expect_error(DomainError::TooManyPersons(MAX_PERSONS));
}

#[test]
fn birth_year_after_the_clocks_year_is_refused() {
    let mut born_next_year = person(P1);
    born_next_year.birth_year = Some(birth_year(2026));
    given(vec![opened()])
        .when(CaseCommand::AttachPerson(AttachPerson {
            case_id: CASE,
            person: born_next_year.clone(),
        }))
        .then_expect_error(DomainError::BirthYearInFuture);

    let mut cmd = open_cmd();
    cmd.persons = vec![born_next_year];
    given(vec![])
        .when(CaseCommand::Open(cmd))
        .then_expect_error(DomainError::BirthYearInFuture);
}

#[test]
fn birth_year_in_the_clocks_year_is_accepted() {
    let mut born_this_year = person(P1);
    born_this_year.birth_year = Some(birth_year(2025));
    let events = given(vec![opened()])
        .when(CaseCommand::AttachPerson(AttachPerson {
            case_id: CASE,
            person: born_this_year,
        }))
        .inspect_result()
        .expect("a birth this year is accepted");
    assert!(matches!(
        events.as_slice(),
        [CaseEvent::PersonAttached {
            birth_year: Some(2025),
            ..
        }]
    ));
}

// ---- referrals and consent --------------------------------------------------

#[test]
fn referral_with_consent_is_sent() {
    given(vec![opened()])
        .when(CaseCommand::SendReferral(referral(R1, SENT_AT)))
        .then_expect_events(vec![sent(R1, SENT_AT)]);
}

#[test]
fn referral_without_consent_or_override_is_refused() {
    for role in Role::ALL.iter().copied() {
        let mut cmd = referral(R1, SENT_AT);
        cmd.consent = Consent::Missing;
        cmd.requested_by = role;
        let refused = given(vec![opened()])
            .when(CaseCommand::SendReferral(cmd))
            .inspect_result();
        assert_eq!(refused, Err(DomainError::ConsentRequired), "{role}");
    }
}

#[test]
fn consent_override_by_anyone_but_a_supervisor_is_refused() {
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::Supervisor) {
        let mut cmd = referral(R1, SENT_AT);
        cmd.consent = Consent::Overridden {
            reason: sealed("override"),
        };
        cmd.requested_by = role;
        let refused = given(vec![opened()])
            .when(CaseCommand::SendReferral(cmd))
            .inspect_result();
        assert_eq!(refused, Err(DomainError::OverrideNeedsSupervisor), "{role}");
    }
}

#[test]
fn consent_override_by_a_supervisor_records_the_reason() {
    let mut cmd = referral(R1, SENT_AT);
    cmd.consent = Consent::Overridden {
        reason: sealed("override"),
    };
    cmd.requested_by = Role::Supervisor;
    cmd.reason = Some(sealed("why-refer"));
    given(vec![opened()])
        .when(CaseCommand::SendReferral(cmd))
        .then_expect_events(vec![CaseEvent::ReferralSent {
            referral_id: R1,
            agency: Agency::CriminalPolice,
            referred_at: t(SENT_AT),
            persons_at_risk: 2,
            consent_given: false,
            override_reason: Some(sealed("override")),
            reason: Some(sealed("why-refer")),
        }]);
}

#[test]
fn referral_with_an_existing_id_is_refused() {
    given(vec![opened(), sent(R1, SENT_AT)])
        .when(CaseCommand::SendReferral(referral(
            R1,
            "2025-09-03T00:00:00Z",
        )))
        .then_expect_error(DomainError::ReferralExists(R1));
}

#[test]
fn referral_beyond_the_allowed_clock_skew_is_refused() {
    let at = (now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1)).to_rfc3339();
    given(vec![opened()])
        .when(CaseCommand::SendReferral(referral(R1, &at)))
        .then_expect_error(DomainError::InFuture {
            field: "referredAt",
        });
}

#[test]
fn referral_before_the_case_was_opened_is_refused() {
    given(vec![opened()])
        .when(CaseCommand::SendReferral(referral(
            R1,
            "2025-09-01T01:59:59Z",
        )))
        .then_expect_error(DomainError::BeforePrevious {
            field: "referredAt",
            at: t("2025-09-01T01:59:59Z"),
            follows: "the case's opening (or latest reopening)",
            earlier: t(OPENED),
        });
}

#[test]
fn referral_before_the_latest_reopening_is_refused() {
    given(vec![
        opened(),
        closed("2025-09-05T00:00:00Z"),
        reopened("2025-09-06T00:00:00Z"),
    ])
    .when(CaseCommand::SendReferral(referral(
        R1,
        "2025-09-05T12:00:00Z",
    )))
    .then_expect_error(DomainError::BeforePrevious {
        field: "referredAt",
        at: t("2025-09-05T12:00:00Z"),
        follows: "the case's opening (or latest reopening)",
        earlier: t("2025-09-06T00:00:00Z"),
    });
}

// ---- the referral state machine ---------------------------------------------

/// The nine moves DESIGN.md allows: one step forward, or an exit while open.
const LEGAL_MOVES: [(ReferralStatus, ReferralStatus); 9] = [
    (Sent, Acknowledged),
    (Acknowledged, InProgress),
    (InProgress, Completed),
    (Sent, Declined),
    (Sent, Cancelled),
    (Acknowledged, Declined),
    (Acknowledged, Cancelled),
    (InProgress, Declined),
    (InProgress, Cancelled),
];

/// The case with R1 sent on SENT_AT and moved (legally, one day apart) to `status`.
fn referral_in(status: ReferralStatus) -> Vec<CaseEvent> {
    let mut events = vec![opened(), sent(R1, SENT_AT)];
    let rescued_outcome = Some(ReferralOutcome::Rescued);
    events.extend(match status {
        Sent => vec![],
        Acknowledged => vec![changed(
            R1,
            Sent,
            Acknowledged,
            "2025-09-03T00:00:00Z",
            None,
        )],
        InProgress => vec![
            changed(R1, Sent, Acknowledged, "2025-09-03T00:00:00Z", None),
            changed(R1, Acknowledged, InProgress, "2025-09-04T00:00:00Z", None),
        ],
        Completed => vec![
            changed(R1, Sent, Acknowledged, "2025-09-03T00:00:00Z", None),
            changed(R1, Acknowledged, InProgress, "2025-09-04T00:00:00Z", None),
            changed(
                R1,
                InProgress,
                Completed,
                "2025-09-05T00:00:00Z",
                rescued_outcome,
            ),
        ],
        Declined => vec![changed(R1, Sent, Declined, "2025-09-03T00:00:00Z", None)],
        Cancelled => vec![changed(R1, Sent, Cancelled, "2025-09-03T00:00:00Z", None)],
    });
    events
}

/// The outcome a move to `to` must carry to be well-formed.
fn outcome_for(to: ReferralStatus) -> Option<ReferralOutcome> {
    (to == Completed).then_some(ReferralOutcome::LocatedSafe)
}

const MOVE_AT: &str = "2025-09-06T00:00:00Z";

#[test]
fn every_legal_referral_transition_is_accepted() {
    for (from, to) in LEGAL_MOVES {
        let events = given(referral_in(from))
            .when(update(R1, to, MOVE_AT, outcome_for(to)))
            .inspect_result();
        assert_eq!(
            events,
            Ok(vec![changed(R1, from, to, MOVE_AT, outcome_for(to))]),
            "{from} → {to}"
        );
    }
}

#[test]
fn every_illegal_referral_transition_is_refused() {
    let mut refused = 0;
    for &from in ReferralStatus::ALL {
        for &to in ReferralStatus::ALL {
            if LEGAL_MOVES.contains(&(from, to)) {
                continue;
            }
            let result = given(referral_in(from))
                .when(update(R1, to, MOVE_AT, outcome_for(to)))
                .inspect_result();
            assert_eq!(
                result,
                Err(DomainError::IllegalTransition {
                    from: from.as_str(),
                    to: to.as_str(),
                }),
                "{from} → {to}"
            );
            refused += 1;
        }
    }
    assert_eq!(refused, 36 - LEGAL_MOVES.len());
}

#[test]
fn skipping_from_sent_to_completed_is_refused() {
    given(referral_in(Sent))
        .when(update(
            R1,
            Completed,
            MOVE_AT,
            Some(ReferralOutcome::Rescued),
        ))
        .then_expect_error(DomainError::IllegalTransition {
            from: "SENT",
            to: "COMPLETED",
        });
}

#[test]
fn a_completed_declined_or_cancelled_referral_never_moves_again() {
    for from in [Completed, Declined, Cancelled] {
        for &to in ReferralStatus::ALL {
            let result = given(referral_in(from))
                .when(update(R1, to, MOVE_AT, outcome_for(to)))
                .inspect_result();
            assert!(
                matches!(result, Err(DomainError::IllegalTransition { .. })),
                "{from} → {to}: {result:?}"
            );
        }
    }
}

#[test]
fn the_state_machine_table_matches_the_design() {
    for &from in ReferralStatus::ALL {
        for &to in ReferralStatus::ALL {
            assert_eq!(
                from.can_move_to(to),
                LEGAL_MOVES.contains(&(from, to)),
                "{from} → {to}"
            );
        }
        assert_eq!(
            from.is_open(),
            matches!(from, Sent | Acknowledged | InProgress)
        );
        assert_eq!(
            from.accepts_rescues(),
            !matches!(from, Declined | Cancelled)
        );
    }
}

#[test]
fn completing_without_an_outcome_is_refused() {
    given(referral_in(InProgress))
        .when(update(R1, Completed, MOVE_AT, None))
        .then_expect_error(DomainError::OutcomeRequired);
}

#[test]
fn an_outcome_without_completion_is_refused() {
    for to in [Acknowledged, InProgress, Declined, Cancelled] {
        let from = if to == InProgress { Acknowledged } else { Sent };
        let result = given(referral_in(from))
            .when(update(R1, to, MOVE_AT, Some(ReferralOutcome::LostContact)))
            .inspect_result();
        assert_eq!(result, Err(DomainError::OutcomeWithoutCompletion), "{to}");
    }
}

#[test]
fn status_change_earlier_than_the_last_change_is_refused() {
    given(referral_in(Acknowledged))
        .when(update(R1, InProgress, "2025-09-02T12:00:00Z", None))
        .then_expect_error(DomainError::BeforePrevious {
            field: "at",
            at: t("2025-09-02T12:00:00Z"),
            follows: "the referral's last status change",
            earlier: t("2025-09-03T00:00:00Z"),
        });
}

#[test]
fn status_change_at_the_same_instant_as_the_last_change_is_accepted() {
    given(referral_in(Acknowledged))
        .when(update(R1, InProgress, "2025-09-03T00:00:00Z", None))
        .then_expect_events(vec![changed(
            R1,
            Acknowledged,
            InProgress,
            "2025-09-03T00:00:00Z",
            None,
        )]);
}

#[test]
fn status_change_before_the_latest_reopening_is_refused() {
    let mut events = referral_in(Sent);
    events.extend([
        closed("2025-09-05T00:00:00Z"),
        reopened("2025-09-06T00:00:00Z"),
    ]);
    given(events)
        .when(update(R1, Acknowledged, "2025-09-05T12:00:00Z", None))
        .then_expect_error(DomainError::BeforePrevious {
            field: "at",
            at: t("2025-09-05T12:00:00Z"),
            follows: "the case's opening (or latest reopening)",
            earlier: t("2025-09-06T00:00:00Z"),
        });
}

#[test]
fn status_change_beyond_the_allowed_clock_skew_is_refused() {
    let at = (now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1)).to_rfc3339();
    given(referral_in(Sent))
        .when(update(R1, Acknowledged, &at, None))
        .then_expect_error(DomainError::InFuture { field: "at" });
}

#[test]
fn status_change_of_an_unknown_referral_is_refused() {
    given(referral_in(Sent))
        .when(update(R2, Acknowledged, MOVE_AT, None))
        .then_expect_error(DomainError::ReferralNotFound(R2));
}

// ---- rescues ----------------------------------------------------------------

#[test]
fn rescue_is_recorded_on_its_referral() {
    let mut cmd = rescue(RESCUE1, R1, "2025-09-04T00:00:00Z");
    cmd.province = Some("HA_NOI".into());
    given(referral_in(Sent))
        .when(CaseCommand::RecordRescue(cmd))
        .then_expect_events(vec![CaseEvent::RescueRecorded {
            rescue_id: RESCUE1,
            referral_id: R1,
            rescued_at: t("2025-09-04T00:00:00Z"),
            persons_rescued: 3,
            region: Region::RedRiverDelta,
            province: Some("HA_NOI".into()),
            country: None,
        }]);
}

#[test]
fn rescue_on_an_unknown_referral_is_refused() {
    given(referral_in(Sent))
        .when(CaseCommand::RecordRescue(rescue(
            RESCUE1,
            R2,
            "2025-09-04T00:00:00Z",
        )))
        .then_expect_error(DomainError::ReferralNotFound(R2));
}

#[test]
fn rescue_on_a_declined_or_cancelled_referral_is_refused() {
    for status in [Declined, Cancelled] {
        let result = given(referral_in(status))
            .when(CaseCommand::RecordRescue(rescue(RESCUE1, R1, MOVE_AT)))
            .inspect_result();
        assert_eq!(
            result,
            Err(DomainError::ReferralRefusesRescue {
                referral: R1,
                status: status.as_str(),
            }),
            "{status}"
        );
    }
}

#[test]
fn rescue_on_an_open_or_completed_referral_is_accepted() {
    for status in [Sent, Acknowledged, InProgress, Completed] {
        let result = given(referral_in(status))
            .when(CaseCommand::RecordRescue(rescue(RESCUE1, R1, MOVE_AT)))
            .inspect_result();
        assert_eq!(
            result,
            Ok(vec![rescued(RESCUE1, R1, MOVE_AT, Region::Northeast)]),
            "{status}"
        );
    }
}

#[test]
fn rescue_before_its_referral_is_refused() {
    given(referral_in(Sent))
        .when(CaseCommand::RecordRescue(rescue(
            RESCUE1,
            R1,
            "2025-09-01T12:00:00Z",
        )))
        .then_expect_error(DomainError::BeforePrevious {
            field: "rescuedAt",
            at: t("2025-09-01T12:00:00Z"),
            follows: "the referral's referredAt",
            earlier: t(SENT_AT),
        });
}

#[test]
fn rescue_before_the_latest_reopening_is_refused() {
    let mut events = referral_in(Sent);
    events.extend([
        closed("2025-09-05T00:00:00Z"),
        reopened("2025-09-06T00:00:00Z"),
    ]);
    given(events)
        .when(CaseCommand::RecordRescue(rescue(
            RESCUE1,
            R1,
            "2025-09-05T12:00:00Z",
        )))
        .then_expect_error(DomainError::BeforePrevious {
            field: "rescuedAt",
            at: t("2025-09-05T12:00:00Z"),
            follows: "the case's opening (or latest reopening)",
            earlier: t("2025-09-06T00:00:00Z"),
        });
}

#[test]
fn rescue_beyond_the_allowed_clock_skew_is_refused() {
    let at = (now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1)).to_rfc3339();
    given(referral_in(Sent))
        .when(CaseCommand::RecordRescue(rescue(RESCUE1, R1, &at)))
        .then_expect_error(DomainError::InFuture { field: "rescuedAt" });
}

#[test]
fn rescue_region_falls_back_to_the_case_region() {
    // The case took the Northeast from its call; the rescue gives no location.
    given(referral_in(Sent))
        .when(CaseCommand::RecordRescue(rescue(RESCUE1, R1, MOVE_AT)))
        .then_expect_events(vec![rescued(RESCUE1, R1, MOVE_AT, Region::Northeast)]);
}

#[test]
fn rescue_overseas_records_its_country() {
    let mut cmd = rescue(RESCUE1, R1, MOVE_AT);
    cmd.region = Some(Region::Overseas);
    cmd.country = Some(country("cn"));
    given(referral_in(Sent))
        .when(CaseCommand::RecordRescue(cmd))
        .then_expect_events(vec![CaseEvent::RescueRecorded {
            rescue_id: RESCUE1,
            referral_id: R1,
            rescued_at: t(MOVE_AT),
            persons_rescued: 3,
            region: Region::Overseas,
            province: None,
            country: Some("CN".into()),
        }]);
}

#[test]
fn rescue_country_without_the_overseas_region_is_refused() {
    let mut cmd = rescue(RESCUE1, R1, MOVE_AT);
    cmd.country = Some(country("CN"));
    given(referral_in(Sent))
        .when(CaseCommand::RecordRescue(cmd))
        .then_expect_error(DomainError::CountryWithoutOverseas);
}

#[test]
fn rescue_with_an_existing_id_is_refused() {
    let mut events = referral_in(Sent);
    events.push(rescued(
        RESCUE1,
        R1,
        "2025-09-04T00:00:00Z",
        Region::Northeast,
    ));
    given(events)
        .when(CaseCommand::RecordRescue(rescue(RESCUE1, R1, MOVE_AT)))
        .then_expect_error(DomainError::RescueExists(RESCUE1));
}

#[test]
fn persons_rescued_add_up_per_referral_and_per_case() {
    let mut case = Case::default();
    let mut events = referral_in(Sent);
    events.extend([
        sent(R2, "2025-09-02T06:00:00Z"),
        rescued(RESCUE1, R1, "2025-09-04T00:00:00Z", Region::Northeast),
        rescued(RESCUE2, R1, "2025-09-05T00:00:00Z", Region::Northeast),
    ]);
    for event in events {
        case.apply(event);
    }
    let r1 = case.referral(R1).expect("R1 was sent");
    let r2 = case.referral(R2).expect("R2 was sent");
    assert_eq!((r1.persons_rescued, r2.persons_rescued), (6, 0));
    assert_eq!(case.persons_rescued(), 6);
    assert_eq!(case.latest_at, t("2025-09-05T00:00:00Z"));
}

// ---- support ----------------------------------------------------------------

#[test]
fn support_to_an_attached_person_is_recorded() {
    given(vec![opened(), person_attached(P1)])
        .when(CaseCommand::ProvideSupport(support(
            SUPPORT1,
            Some(P1),
            MOVE_AT,
        )))
        .then_expect_events(vec![supported(SUPPORT1, Some(P1), MOVE_AT)]);
}

#[test]
fn support_to_the_case_as_a_whole_is_recorded() {
    given(vec![opened()])
        .when(CaseCommand::ProvideSupport(support(
            SUPPORT1, None, MOVE_AT,
        )))
        .then_expect_events(vec![supported(SUPPORT1, None, MOVE_AT)]);
}

#[test]
fn support_for_an_unattached_person_is_refused() {
    given(vec![opened(), person_attached(P1)])
        .when(CaseCommand::ProvideSupport(support(
            SUPPORT1,
            Some(P2),
            MOVE_AT,
        )))
        .then_expect_error(DomainError::PersonNotFound(P2));
}

#[test]
fn support_with_an_existing_id_is_refused() {
    given(vec![
        opened(),
        supported(SUPPORT1, None, "2025-09-04T00:00:00Z"),
    ])
    .when(CaseCommand::ProvideSupport(support(
        SUPPORT1, None, MOVE_AT,
    )))
    .then_expect_error(DomainError::SupportExists(SUPPORT1));
}

#[test]
fn support_before_the_case_was_opened_is_refused() {
    given(vec![opened()])
        .when(CaseCommand::ProvideSupport(support(
            SUPPORT1,
            None,
            "2025-09-01T01:00:00Z",
        )))
        .then_expect_error(DomainError::BeforePrevious {
            field: "providedAt",
            at: t("2025-09-01T01:00:00Z"),
            follows: "the case's opening (or latest reopening)",
            earlier: t(OPENED),
        });
}

#[test]
fn support_beyond_the_allowed_clock_skew_is_refused() {
    let at = (now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1)).to_rfc3339();
    given(vec![opened()])
        .when(CaseCommand::ProvideSupport(support(SUPPORT1, None, &at)))
        .then_expect_error(DomainError::InFuture {
            field: "providedAt",
        });
}

// ---- state ------------------------------------------------------------------

#[test]
fn closing_and_reopening_move_status_and_closed_at_together() {
    let mut case = Case::default();
    assert_eq!((case.id, case.closed_at), (None, None));
    case.apply(opened());
    assert_eq!((case.status, case.closed_at), (CaseStatus::Open, None));
    case.apply(closed("2025-09-05T00:00:00Z"));
    assert_eq!(
        (case.status, case.closed_at),
        (CaseStatus::Closed, Some(t("2025-09-05T00:00:00Z")))
    );
    case.apply(reopened("2025-09-06T00:00:00Z"));
    assert_eq!((case.status, case.closed_at), (CaseStatus::Open, None));
    assert_eq!(case.open_since, t("2025-09-06T00:00:00Z"));
    assert_eq!(
        case.opened_at,
        t(OPENED),
        "reopening keeps the first opening"
    );
}

// ---- bounded values ---------------------------------------------------------

mod bounded_values {
    use super::*;
    use crate::values::{CallSeconds, SessionMinutes};

    /// Checks min-1, min, max and max+1 (and the extremes of i64) of a bounded number.
    fn assert_bounds<T>(field: &'static str, min: i64, max: i64, get: impl Fn(T) -> i64)
    where
        T: TryFrom<i64, Error = DomainError> + std::fmt::Debug,
    {
        let refused = DomainError::OutOfRange { field, min, max };
        assert_eq!(
            T::try_from(min - 1).map(&get),
            Err(refused.clone()),
            "min-1"
        );
        assert_eq!(T::try_from(min).map(&get), Ok(min), "min");
        assert_eq!(T::try_from(max).map(&get), Ok(max), "max");
        assert_eq!(
            T::try_from(max + 1).map(&get),
            Err(refused.clone()),
            "max+1"
        );
        assert_eq!(
            T::try_from(i64::MIN).map(&get),
            Err(refused.clone()),
            "i64::MIN"
        );
        assert_eq!(T::try_from(i64::MAX).map(&get), Err(refused), "i64::MAX");
    }

    #[test]
    fn person_count_is_between_1_and_1000() {
        assert_bounds::<PersonCount>("persons", 1, 1_000, |v| v.get().into());
        assert!(PersonCount::try_from(0_i32).is_err());
        assert_eq!(
            PersonCount::try_from(1_000_i32).map(PersonCount::get),
            Ok(1_000)
        );
    }

    #[test]
    fn session_minutes_is_between_1_and_720() {
        assert_bounds::<SessionMinutes>("durationMinutes", 1, 720, |v| v.get().into());
        assert!(SessionMinutes::try_from(721_i32).is_err());
        assert_eq!(
            SessionMinutes::try_from(1_i32).map(SessionMinutes::get),
            Ok(1)
        );
    }

    #[test]
    fn call_seconds_is_between_0_and_86400() {
        assert_bounds::<CallSeconds>("durationSeconds", 0, 86_400, |v| v.get().into());
        assert!(CallSeconds::try_from(-1_i32).is_err());
        assert_eq!(CallSeconds::try_from(0_i32).map(CallSeconds::get), Ok(0));
    }

    #[test]
    fn birth_year_is_between_1900_and_2100() {
        assert_bounds::<BirthYear>("birthYear", 1_900, 2_100, |v| v.get().into());
        assert!(BirthYear::try_from(1_899_i32).is_err());
        assert_eq!(
            BirthYear::try_from(2_100_i32).map(BirthYear::get),
            Ok(2_100)
        );
    }

    #[test]
    fn country_code_is_two_ascii_letters_in_upper_case() {
        for (input, code) in [("VN", "VN"), ("kh", "KH"), (" cN ", "CN")] {
            assert_eq!(
                CountryCode::try_from(input).map(|c| c.as_str().to_string()),
                Ok(code.to_string()),
                "{input:?}"
            );
        }
        for input in ["", "V", "VNM", "V1", "1V", "V-", "ÀB", "Ä", "  "] {
            assert_eq!(
                CountryCode::try_from(input),
                Err(DomainError::InvalidCountry),
                "{input:?}"
            );
        }
    }
}

mod erasure {
    use super::*;
    use crate::case::ErasePerson;

    fn erase(person_id: Uuid) -> CaseCommand {
        CaseCommand::ErasePerson(ErasePerson {
            case_id: CASE,
            person_id,
            reason: sealed("erasure"),
        })
    }

    #[test]
    fn erasing_an_attached_person_is_recorded_even_on_a_closed_case() {
        given(vec![
            opened(),
            person_attached(P1),
            CaseEvent::CaseClosed {
                closed_at: t(SENT_AT),
                reason: sealed("closed"),
            },
        ])
        .when(erase(P1))
        .then_expect_events(vec![CaseEvent::PersonErased {
            person_id: P1,
            reason: sealed("erasure"),
        }]);
    }

    #[test]
    fn erasing_a_person_twice_records_nothing_the_second_time() {
        given(vec![
            opened(),
            person_attached(P1),
            CaseEvent::PersonErased {
                person_id: P1,
                reason: sealed("x"),
            },
        ])
        .when(erase(P1))
        .then_expect_events(vec![]);
    }

    #[test]
    fn erasing_someone_not_attached_is_refused() {
        given(vec![opened()])
            .when(erase(P2))
            .then_expect_error(DomainError::PersonNotFound(P2));
    }

    #[test]
    fn erasing_on_an_unopened_case_is_refused() {
        given(vec![])
            .when(erase(P1))
            .then_expect_error(DomainError::CaseNotFound(CASE));
    }
}

#[test]
fn a_referral_cannot_end_before_a_rescue_recorded_on_it() {
    let mut events = referral_in(InProgress);
    events.push(rescued(
        RESCUE1,
        R1,
        "2025-09-10T00:00:00Z",
        Region::Northeast,
    ));
    given(events)
        .when(update(R1, Declined, "2025-09-08T00:00:00Z", None))
        .then_expect_error(DomainError::BeforePrevious {
            field: "at",
            at: t("2025-09-08T00:00:00Z"),
            follows: "a rescue recorded on the referral",
            earlier: t("2025-09-10T00:00:00Z"),
        });
}
