//! Recording a rescue on a referral.

use chrono::Duration;
use cqrs_es::Aggregate;

use super::fixtures::*;
use crate::case::{Case, CaseCommand, CaseEvent};
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;
use crate::values::{ReferralStatus, Region};

use ReferralStatus::{Acknowledged, Cancelled, Completed, Declined, InProgress, Sent};

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
