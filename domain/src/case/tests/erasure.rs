//! Erasing a person's personal data from a case.

use uuid::Uuid;

use super::fixtures::*;
use crate::case::{CaseCommand, CaseEvent, ErasePerson};
use crate::error::DomainError;

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
