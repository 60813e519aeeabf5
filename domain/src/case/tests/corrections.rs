//! Correcting a person's details, on open and closed cases.

use super::fixtures::*;
use crate::case::{CaseCommand, CaseEvent, CorrectPerson};
use crate::error::DomainError;
use crate::values::{CorrectedField, Gender, PersonRole, Role};

fn correct(requested_by: Role) -> CorrectPerson {
    CorrectPerson {
        case_id: CASE,
        person_id: P1,
        role: Some(PersonRole::Victim),
        gender: None,
        birth_year: None,
        full_name: None,
        phone: None,
        reason: sealed("why"),
        requested_by,
    }
}

fn corrected_role() -> CaseEvent {
    CaseEvent::PersonCorrected {
        person_id: P1,
        corrects: vec![CorrectedField::Role],
        role: Some(PersonRole::Victim),
        gender: None,
        birth_year: None,
        full_name: None,
        phone: None,
        reason: sealed("why"),
    }
}

#[test]
fn a_counsellor_corrects_a_person_on_an_open_case() {
    given(vec![opened(), person_attached(P1)])
        .when(CaseCommand::CorrectPerson(correct(Role::Counsellor)))
        .then_expect_events(vec![corrected_role()]);
}

#[test]
fn a_closed_case_takes_corrections_from_a_supervisor_only() {
    let history = vec![
        opened(),
        person_attached(P1),
        closed("2025-09-03T00:00:00Z"),
    ];
    for role in Role::ALL.iter().copied() {
        let result = given(history.clone())
            .when(CaseCommand::CorrectPerson(correct(role)))
            .inspect_result();
        match role {
            Role::Supervisor => assert_eq!(result, Ok(vec![corrected_role()])),
            _ => assert_eq!(
                result,
                Err(DomainError::ClosedCaseNeedsSupervisor(CASE)),
                "{role}"
            ),
        }
    }
}

#[test]
fn only_what_differs_is_named_and_a_name_given_always_is() {
    let mut cmd = correct(Role::Counsellor);
    cmd.role = Some(PersonRole::PossibleVictim); // as recorded
    cmd.gender = Some(Gender::Female); // as recorded
    cmd.birth_year = Some(birth_year(2003));
    cmd.full_name = Some(sealed("new-name"));
    given(vec![opened(), person_attached(P1)])
        .when(CaseCommand::CorrectPerson(cmd))
        .then_expect_events(vec![CaseEvent::PersonCorrected {
            person_id: P1,
            corrects: vec![CorrectedField::BirthYear, CorrectedField::FullName],
            role: None,
            gender: None,
            birth_year: Some(2003),
            full_name: Some(sealed("new-name")),
            phone: None,
            reason: sealed("why"),
        }]);
}

#[test]
fn a_correction_that_changes_nothing_is_refused() {
    let mut cmd = correct(Role::Counsellor);
    cmd.role = Some(PersonRole::PossibleVictim);
    given(vec![opened(), person_attached(P1)])
        .when(CaseCommand::CorrectPerson(cmd))
        .then_expect_error(DomainError::NothingToCorrect);
}

#[test]
fn an_unknown_person_or_case_is_not_found() {
    given(vec![opened()])
        .when(CaseCommand::CorrectPerson(correct(Role::Supervisor)))
        .then_expect_error(DomainError::PersonNotFound(P1));
    given(vec![])
        .when(CaseCommand::CorrectPerson(correct(Role::Supervisor)))
        .then_expect_error(DomainError::CaseNotFound(CASE));
}

#[test]
fn an_erased_person_gets_no_personal_data_again() {
    let mut cmd = correct(Role::Supervisor);
    cmd.phone = Some(sealed("phone"));
    let erased = CaseEvent::PersonErased {
        person_id: P1,
        reason: sealed("erasure"),
    };
    given(vec![opened(), person_attached(P1), erased])
        .when(CaseCommand::CorrectPerson(cmd))
        .then_expect_error(DomainError::PersonIsErased(P1));
}

#[test]
fn a_birth_year_after_this_year_is_refused() {
    let mut cmd = correct(Role::Counsellor);
    cmd.birth_year = Some(birth_year(2030));
    given(vec![opened(), person_attached(P1)])
        .when(CaseCommand::CorrectPerson(cmd))
        .then_expect_error(DomainError::BirthYearInFuture);
}
