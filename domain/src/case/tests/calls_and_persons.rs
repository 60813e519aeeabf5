//! Attaching calls and persons to a case.

use uuid::Uuid;

use super::fixtures::*;
use crate::case::{AttachCall, AttachPerson, CallRef, CaseCommand, CaseEvent, MAX_PERSONS};
use crate::error::DomainError;
use crate::values::{Gender, Region};

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
