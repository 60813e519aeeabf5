//! The referral state machine: which status moves are legal, and when.

use chrono::Duration;

use super::fixtures::*;
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;
use crate::values::{ReferralOutcome, ReferralStatus, Region};

use ReferralStatus::{Acknowledged, Cancelled, Completed, Declined, InProgress, Sent};

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

/// The outcome a move to `to` must carry to be well-formed.
fn outcome_for(to: ReferralStatus) -> Option<ReferralOutcome> {
    (to == Completed).then_some(ReferralOutcome::LocatedSafe)
}

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
