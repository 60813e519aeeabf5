//! Opening a case: its times, its region and province, its first persons.

use chrono::Duration;
use uuid::Uuid;

use super::fixtures::*;
use crate::case::{CaseCommand, CaseEvent, MAX_PERSONS};
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;
use crate::values::{ExploitationType, PersonRole, Region};

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
