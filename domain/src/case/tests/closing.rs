//! What an unopened, open or closed case accepts; closing and reopening.

use chrono::Duration;
use cqrs_es::Aggregate;

use super::fixtures::*;
use crate::case::{Case, CaseCommand};
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;
use crate::values::{CaseStatus, Region};

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
