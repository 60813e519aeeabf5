//! Receiving a call: when it may be recorded, and how its topics are kept.

use chrono::Duration;

use super::fixtures::*;
use crate::call::CallCommand;
use crate::clock::MAX_CLOCK_SKEW_SECONDS;
use crate::error::DomainError;
use crate::values::{CounsellingTopic, Region};

use CounsellingTopic::{Legal, Psychological, Shelter};

#[test]
fn receiving_a_call_records_it() {
    let cmd = receive("2025-09-10T01:00:00Z");
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(&cmd, Region::RedRiverDelta, None)]);
}

#[test]
fn receiving_a_call_twice_is_refused() {
    given(vec![received()])
        .when(CallCommand::Receive(receive("2025-09-10T02:00:00Z")))
        .then_expect_error(DomainError::CallAlreadyReceived(CALL));
}

#[test]
fn received_at_beyond_the_allowed_clock_skew_is_refused() {
    let mut cmd = receive(NOW);
    cmd.received_at = now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS + 1);
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::InFuture {
            field: "receivedAt",
        });
}

#[test]
fn received_at_within_the_allowed_clock_skew_is_accepted() {
    let mut cmd = receive(NOW);
    cmd.received_at = now() + Duration::seconds(MAX_CLOCK_SKEW_SECONDS);
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(&cmd, Region::RedRiverDelta, None)]);
}

#[test]
fn received_at_before_2000_is_refused() {
    given(vec![])
        .when(CallCommand::Receive(receive("1999-12-31T23:59:59Z")))
        .then_expect_error(DomainError::TooOld {
            field: "receivedAt",
        });
}

#[test]
fn received_at_on_the_first_instant_of_2000_is_accepted() {
    let cmd = receive("2000-01-01T00:00:00Z");
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(&cmd, Region::RedRiverDelta, None)]);
}

#[test]
fn call_topics_are_sorted_and_deduplicated_in_the_event() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.topics = vec![Shelter, Psychological, Shelter, Legal, Psychological];
    let mut expected = cmd.clone();
    expected.topics = vec![Psychological, Legal, Shelter];
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_events(vec![received_event(&expected, Region::RedRiverDelta, None)]);
}
