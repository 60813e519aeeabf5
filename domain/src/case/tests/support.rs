//! Recording support given to a person or to the case as a whole.

use chrono::Duration;

use super::fixtures::*;
use crate::case::CaseCommand;
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;

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
