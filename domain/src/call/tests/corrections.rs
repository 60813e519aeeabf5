//! Correcting a call: a new event naming what changed, before and after.

use super::fixtures::*;
use crate::call::{CallCommand, CallEvent, CallFacts, CorrectedLocation};
use crate::error::DomainError;
use crate::values::{CallCategory, Channel, CorrectedField, CounsellingTopic, Region};

fn facts_received() -> CallFacts {
    let CallEvent::CallReceived {
        received_at,
        channel,
        region,
        province,
        country,
        caller_type,
        category,
        topics,
        ..
    } = received()
    else {
        unreachable!("received() is a CallReceived")
    };
    CallFacts {
        received_at,
        channel,
        region,
        province,
        country,
        caller_type,
        category,
        topics,
        category_code: None,
        topic_codes: vec![],
    }
}

#[test]
fn a_category_correction_names_the_field_and_keeps_both_values() {
    let mut cmd = correction();
    cmd.category = Some(CallCategory::ReferralRequest);
    let before = facts_received();
    let mut after = before.clone();
    after.category = CallCategory::ReferralRequest;
    given(vec![received()])
        .when(CallCommand::Correct(cmd))
        .then_expect_events(vec![CallEvent::CallCorrected {
            corrects: vec![CorrectedField::Category],
            before,
            after,
            reason: sealed("why"),
        }]);
}

#[test]
fn a_province_correction_derives_its_region_on_the_call_day() {
    let mut cmd = correction();
    cmd.location = Some(CorrectedLocation {
        region: None,
        province: Some("LAO_CAI".into()),
        country: None,
    });
    cmd.channel = Some(Channel::Zalo);
    cmd.topics = Some(vec![CounsellingTopic::Legal, CounsellingTopic::Legal]);
    let before = facts_received();
    let mut after = before.clone();
    after.region = Region::Northwest;
    after.province = Some("LAO_CAI".into());
    after.channel = Channel::Zalo;
    after.topics = vec![CounsellingTopic::Legal];
    given(vec![received()])
        .when(CallCommand::Correct(cmd))
        .then_expect_events(vec![CallEvent::CallCorrected {
            corrects: vec![
                CorrectedField::Topics,
                CorrectedField::Channel,
                CorrectedField::Location,
            ],
            before,
            after,
            reason: sealed("why"),
        }]);
}

#[test]
fn a_correction_that_changes_nothing_is_refused() {
    let mut cmd = correction();
    cmd.category = Some(facts_received().category);
    given(vec![received()])
        .when(CallCommand::Correct(cmd))
        .then_expect_error(DomainError::NothingToCorrect);
}

#[test]
fn a_call_never_received_cannot_be_corrected() {
    let mut cmd = correction();
    cmd.category = Some(CallCategory::Other);
    given(vec![])
        .when(CallCommand::Correct(cmd))
        .then_expect_error(DomainError::CallNotFound(CALL));
}

#[test]
fn the_time_cannot_move_into_the_future_or_after_a_session() {
    let mut cmd = correction();
    cmd.received_at = Some(t("2025-09-16T00:00:00Z"));
    given(vec![received()])
        .when(CallCommand::Correct(cmd))
        .then_expect_error(DomainError::InFuture {
            field: "receivedAt",
        });
    let mut cmd = correction();
    cmd.received_at = Some(t("2025-09-12T00:00:00Z"));
    given(vec![received(), session_recorded("2025-09-10T01:05:00Z")])
        .when(CallCommand::Correct(cmd))
        .then_expect_error(DomainError::ReceivedAfterSessions(t(
            "2025-09-10T01:05:00Z",
        )));
}

#[test]
fn a_moved_time_rechecks_the_province_as_it_stood_on_the_new_day() {
    let mut received_in_province = receive("2025-09-10T01:00:00Z");
    received_in_province.region = None;
    received_in_province.province = Some("TUYEN_QUANG".into());
    let first = received_event(
        &received_in_province,
        Region::Northeast,
        Some("TUYEN_QUANG"),
    );
    // Moved to a day when Tuyên Quang existed too: accepted.
    let mut cmd = correction();
    cmd.received_at = Some(t("2025-09-09T01:00:00Z"));
    let events = given(vec![first.clone()])
        .when(CallCommand::Correct(cmd))
        .inspect_result();
    assert!(events.is_ok(), "{events:?}");
}

#[test]
fn the_corrected_facts_are_the_calls_facts_from_then_on() {
    let mut cmd = correction();
    cmd.category = Some(CallCategory::ChildProtection);
    let before = facts_received();
    let mut after = before.clone();
    after.category = CallCategory::ChildProtection;
    let corrected = CallEvent::CallCorrected {
        corrects: vec![CorrectedField::Category],
        before,
        after,
        reason: sealed("why"),
    };
    // Correcting back to the original is a correction again, not a no-op.
    let mut back = correction();
    back.category = Some(CallCategory::Counselling);
    let result = given(vec![received(), corrected])
        .when(CallCommand::Correct(back))
        .inspect_result();
    match result.as_deref() {
        Ok([CallEvent::CallCorrected { before, after, .. }]) => {
            assert_eq!(before.category, CallCategory::ChildProtection);
            assert_eq!(after.category, CallCategory::Counselling);
        }
        other => panic!("expected one correction, got {other:?}"),
    }
}

#[test]
fn a_call_on_a_case_moves_only_earlier() {
    let linked = CallEvent::CallLinkedToCase { case_id: CASE };
    let mut later = correction();
    later.received_at = Some(t("2025-09-10T02:00:00Z"));
    given(vec![received(), linked.clone()])
        .when(CallCommand::Correct(later))
        .then_expect_error(DomainError::ReceivedLaterThanItsCase(CALL));
    let mut earlier = correction();
    earlier.received_at = Some(t("2025-09-10T00:30:00Z"));
    let result = given(vec![received(), linked])
        .when(CallCommand::Correct(earlier))
        .inspect_result();
    assert!(
        matches!(result.as_deref(), Ok([CallEvent::CallCorrected { corrects, .. }]) if corrects == &[CorrectedField::ReceivedAt]),
        "{result:?}"
    );
}
