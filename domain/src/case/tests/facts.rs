//! Trafficking facts: destination country, victim identification, nationality and ethnicity.

use super::fixtures::*;
use crate::case::{
    CaseCommand, CaseEvent, DecideVictimStatus, RecordDestination, RecordPersonDetails,
};
use crate::error::DomainError;
use crate::values::{Agency, VictimStatus};

fn decide(status: VictimStatus, at: &str) -> CaseCommand {
    CaseCommand::DecideVictimStatus(DecideVictimStatus {
        case_id: CASE,
        person_id: P1,
        status,
        authority: Agency::CriminalPolice,
        decided_at: t(at),
    })
}

fn decided(status: VictimStatus, at: &str) -> CaseEvent {
    CaseEvent::VictimStatusDecided {
        person_id: P1,
        status,
        authority: Agency::CriminalPolice,
        decided_at: t(at),
    }
}

#[test]
fn a_destination_is_recorded_once_and_a_retry_records_nothing() {
    let record = CaseCommand::RecordDestination(RecordDestination {
        case_id: CASE,
        country: country("CN"),
    });
    let recorded = CaseEvent::DestinationRecorded {
        country: "CN".into(),
    };
    given(vec![opened()])
        .when(record.clone())
        .then_expect_events(vec![recorded.clone()]);
    given(vec![opened(), recorded])
        .when(record)
        .then_expect_events(vec![]);
}

#[test]
fn nothing_is_recorded_on_a_closed_case() {
    let record = CaseCommand::RecordDestination(RecordDestination {
        case_id: CASE,
        country: country("KH"),
    });
    given(vec![opened(), closed("2025-09-03T00:00:00Z")])
        .when(record)
        .then_expect_error(DomainError::CaseClosed(CASE));
}

#[test]
fn an_authority_decides_and_may_revise_later_but_not_earlier() {
    given(vec![opened(), person_attached(P1)])
        .when(decide(VictimStatus::Suspected, "2025-09-03T00:00:00Z"))
        .then_expect_events(vec![decided(
            VictimStatus::Suspected,
            "2025-09-03T00:00:00Z",
        )]);
    let history = vec![
        opened(),
        person_attached(P1),
        decided(VictimStatus::Suspected, "2025-09-03T00:00:00Z"),
    ];
    given(history.clone())
        .when(decide(VictimStatus::Identified, "2025-09-05T00:00:00Z"))
        .then_expect_events(vec![decided(
            VictimStatus::Identified,
            "2025-09-05T00:00:00Z",
        )]);
    let earlier = given(history.clone())
        .when(decide(VictimStatus::NotAVictim, "2025-09-02T12:00:00Z"))
        .inspect_result();
    assert!(
        matches!(earlier, Err(DomainError::BeforePrevious { .. })),
        "{earlier:?}"
    );
    // The same decision again is a retry: nothing new.
    given(history)
        .when(decide(VictimStatus::Suspected, "2025-09-03T00:00:00Z"))
        .then_expect_events(vec![]);
}

#[test]
fn a_decision_needs_a_person_of_the_case_and_a_past_date() {
    given(vec![opened()])
        .when(decide(VictimStatus::Identified, "2025-09-03T00:00:00Z"))
        .then_expect_error(DomainError::PersonNotFound(P1));
    given(vec![opened(), person_attached(P1)])
        .when(decide(VictimStatus::Identified, "2025-09-20T00:00:00Z"))
        .then_expect_error(DomainError::InFuture { field: "decidedAt" });
}

#[test]
fn nationality_and_ethnicity_are_recorded_and_a_same_nationality_is_nothing_new() {
    let details = |ethnicity| {
        CaseCommand::RecordPersonDetails(RecordPersonDetails {
            case_id: CASE,
            person_id: P1,
            nationality: Some(country("VN")),
            ethnicity,
        })
    };
    let recorded = CaseEvent::PersonDetailsRecorded {
        person_id: P1,
        nationality: Some("VN".into()),
        ethnicity: Some(sealed("ethnicity")),
    };
    given(vec![opened(), person_attached(P1)])
        .when(details(Some(sealed("ethnicity"))))
        .then_expect_events(vec![recorded.clone()]);
    given(vec![opened(), person_attached(P1), recorded])
        .when(details(None))
        .then_expect_error(DomainError::NothingToCorrect);
}
