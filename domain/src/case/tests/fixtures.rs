//! The given/when/then fixtures every Case test shares: fixed instants and ids,
//! and one builder per command and per event.

use chrono::{DateTime, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use uuid::Uuid;

use crate::case::{
    AttachCall, AttachPerson, CallRef, Case, CaseCommand, CaseEvent, CloseCase, Consent, NewPerson,
    OpenCase, ProvideSupport, RecordRescue, ReopenCase, SendReferral, UpdateReferral,
};
use crate::clock::Clock;
use crate::sealed::Sealed;
use crate::values::{
    Agency, BirthYear, CountryCode, Gender, PersonCount, PersonRole, ReferralOutcome,
    ReferralStatus, Region, Role, SupportService,
};

use ReferralStatus::{Acknowledged, Cancelled, Completed, Declined, InProgress, Sent};

/// The fixed "now" of every test: after the 2025 province reform.
pub(super) const NOW: &str = "2025-09-15T03:00:00Z";
/// When the call that opened the case was received.
pub(super) const CALL_AT: &str = "2025-09-01T01:00:00Z";
/// When the case was opened.
pub(super) const OPENED: &str = "2025-09-01T02:00:00Z";
/// When the referral R1 was sent.
pub(super) const SENT_AT: &str = "2025-09-02T00:00:00Z";

pub(super) const CASE: Uuid = Uuid::from_u128(0xCA5E);
pub(super) const CALL: Uuid = Uuid::from_u128(0xCA11);
pub(super) const OTHER_CALL: Uuid = Uuid::from_u128(0xCA12);
pub(super) const R1: Uuid = Uuid::from_u128(0x2E1);
pub(super) const R2: Uuid = Uuid::from_u128(0x2E2);
pub(super) const RESCUE1: Uuid = Uuid::from_u128(0x5C1);
pub(super) const RESCUE2: Uuid = Uuid::from_u128(0x5C2);
pub(super) const P1: Uuid = Uuid::from_u128(0x9E1);
pub(super) const P2: Uuid = Uuid::from_u128(0x9E2);
pub(super) const SUPPORT1: Uuid = Uuid::from_u128(0x5E1);

// ---- helpers ----------------------------------------------------------------

pub(super) fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instants are RFC 3339")
}

pub(super) fn now() -> DateTime<Utc> {
    t(NOW)
}

pub(super) fn clock() -> Clock {
    Clock::fixed(now())
}

pub(super) fn given(events: Vec<CaseEvent>) -> AggregateTestExecutor<Case> {
    TestFramework::<Case>::with(clock()).given(events)
}

pub(super) fn sealed(tag: &str) -> Sealed {
    Sealed {
        key_id: CASE,
        nonce: format!("nonce-{tag}"),
        ciphertext: format!("ciphertext-{tag}"),
    }
}

pub(super) fn count(n: i32) -> PersonCount {
    PersonCount::try_from(n).expect("a valid person count")
}

pub(super) fn birth_year(y: i32) -> BirthYear {
    BirthYear::try_from(y).expect("a valid birth year")
}

pub(super) fn country(code: &str) -> CountryCode {
    CountryCode::try_from(code).expect("a valid country code")
}

/// The call that opened the case: received in the Northeast.
pub(super) fn call_ref() -> CallRef {
    CallRef {
        call_id: CALL,
        received_at: t(CALL_AT),
        region: Region::Northeast,
    }
}

pub(super) fn open_cmd() -> OpenCase {
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
pub(super) fn opened() -> CaseEvent {
    CaseEvent::CaseOpened {
        case_id: CASE,
        opened_at: t(OPENED),
        from_call_id: Some(CALL),
        region: Region::Northeast,
        province: None,
        exploitation_types: vec![],
    }
}

pub(super) fn person(id: Uuid) -> NewPerson {
    NewPerson {
        person_id: id,
        role: PersonRole::PossibleVictim,
        gender: Gender::Female,
        birth_year: Some(birth_year(2004)),
        full_name: Some(sealed("name")),
        phone: None,
    }
}

pub(super) fn person_attached(id: Uuid) -> CaseEvent {
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
pub(super) fn referral(id: Uuid, at: &str) -> SendReferral {
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

pub(super) fn sent(id: Uuid, at: &str) -> CaseEvent {
    CaseEvent::ReferralSent {
        referral_id: id,
        agency: Agency::CriminalPolice,
        reports_as: None,
        referred_at: t(at),
        persons_at_risk: 2,
        consent_given: true,
        override_reason: None,
        reason: None,
    }
}

pub(super) fn update(
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

pub(super) fn changed(
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
pub(super) fn rescue(id: Uuid, referral: Uuid, at: &str) -> RecordRescue {
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

pub(super) fn rescued(id: Uuid, referral: Uuid, at: &str, region: Region) -> CaseEvent {
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

pub(super) fn support(id: Uuid, person: Option<Uuid>, at: &str) -> ProvideSupport {
    ProvideSupport {
        case_id: CASE,
        provision_id: id,
        person_id: person,
        service: SupportService::Medical,
        provided_at: t(at),
    }
}

pub(super) fn supported(id: Uuid, person: Option<Uuid>, at: &str) -> CaseEvent {
    CaseEvent::SupportProvided {
        provision_id: id,
        person_id: person,
        service: SupportService::Medical,
        provided_at: t(at),
    }
}

pub(super) fn close(at: &str) -> CaseCommand {
    CaseCommand::Close(CloseCase {
        case_id: CASE,
        closed_at: t(at),
        reason: sealed("close"),
    })
}

pub(super) fn closed(at: &str) -> CaseEvent {
    CaseEvent::CaseClosed {
        closed_at: t(at),
        reason: sealed("close"),
    }
}

pub(super) fn reopen(at: &str) -> CaseCommand {
    CaseCommand::Reopen(ReopenCase {
        case_id: CASE,
        reopened_at: t(at),
        reason: sealed("reopen"),
    })
}

pub(super) fn reopened(at: &str) -> CaseEvent {
    CaseEvent::CaseReopened {
        reopened_at: t(at),
        reason: sealed("reopen"),
    }
}

/// One command of each kind that works on an opened case, all valid for a
/// case opened with R1 sent and P1 attached.
pub(super) fn every_command_on_an_opened_case() -> Vec<CaseCommand> {
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

/// The case with R1 sent on SENT_AT and moved (legally, one day apart) to `status`.
pub(super) fn referral_in(status: ReferralStatus) -> Vec<CaseEvent> {
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

/// When a referral move, rescue or support is recorded, after all the given events.
pub(super) const MOVE_AT: &str = "2025-09-06T00:00:00Z";
