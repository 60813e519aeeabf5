//! Recording counselling sessions on a call.

use chrono::Duration;

use super::fixtures::*;
use crate::call::{CallCommand, CallEvent};
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;
use crate::values::CounsellingTopic;

use CounsellingTopic::{Legal, Policy};

#[test]
fn counselling_session_is_recorded() {
    given(vec![received()])
        .when(CallCommand::RecordCounsellingSession(session(
            "2025-09-10T01:05:00Z",
        )))
        .then_expect_events(vec![session_recorded("2025-09-10T01:05:00Z")]);
}

#[test]
fn counselling_session_on_an_unknown_call_is_refused() {
    given(vec![])
        .when(CallCommand::RecordCounsellingSession(session(
            "2025-09-10T01:05:00Z",
        )))
        .then_expect_error(DomainError::CallNotFound(CALL));
}

#[test]
fn counselling_session_before_the_call_is_refused() {
    given(vec![received()])
        .when(CallCommand::RecordCounsellingSession(session(
            "2025-09-10T00:59:59Z",
        )))
        .then_expect_error(DomainError::BeforePrevious {
            field: "startedAt",
            at: t("2025-09-10T00:59:59Z"),
            follows: "the call's receivedAt",
            earlier: t("2025-09-10T01:00:00Z"),
        });
}

#[test]
fn counselling_session_at_the_calls_own_instant_is_accepted() {
    given(vec![received()])
        .when(CallCommand::RecordCounsellingSession(session(
            "2025-09-10T01:00:00Z",
        )))
        .then_expect_events(vec![session_recorded("2025-09-10T01:00:00Z")]);
}

#[test]
fn counselling_session_in_the_future_is_refused() {
    let mut cmd = session(NOW);
    cmd.started_at = now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1);
    given(vec![received()])
        .when(CallCommand::RecordCounsellingSession(cmd))
        .then_expect_error(DomainError::InFuture { field: "startedAt" });
}

#[test]
fn counselling_session_without_topics_is_refused() {
    let mut cmd = session("2025-09-10T01:05:00Z");
    cmd.topics = vec![];
    given(vec![received()])
        .when(CallCommand::RecordCounsellingSession(cmd))
        .then_expect_error(DomainError::TopicsRequired);
}

#[test]
fn counselling_session_topics_are_sorted_and_deduplicated_in_the_event() {
    let mut cmd = session("2025-09-10T01:05:00Z");
    cmd.topics = vec![Legal, Policy, Legal];
    given(vec![received()])
        .when(CallCommand::RecordCounsellingSession(cmd))
        .then_expect_events(vec![CallEvent::CounsellingSessionRecorded {
            session_id: SESSION,
            started_at: t("2025-09-10T01:05:00Z"),
            duration_seconds: 1200,
            topics: vec![Policy, Legal],
            notes: Some(sealed("notes")),
            topic_codes: vec![],
        }]);
}

#[test]
fn duplicate_counselling_session_id_is_refused() {
    let mut cmd = session("2025-09-10T01:30:00Z");
    cmd.duration = minutes(45);
    given(vec![received(), session_recorded("2025-09-10T01:05:00Z")])
        .when(CallCommand::RecordCounsellingSession(cmd))
        .then_expect_error(DomainError::SessionExists(SESSION));
}
