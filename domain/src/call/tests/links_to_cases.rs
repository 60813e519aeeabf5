//! Linking a call to a case, and the call rebuilt from its events.

use super::fixtures::*;
use crate::call::{Call, CallCommand, CallEvent};
use crate::error::DomainError;
use crate::values::Region;

#[test]
fn linking_a_call_to_a_case_records_it() {
    given(vec![received()])
        .when(CallCommand::LinkToCase {
            call_id: CALL,
            case_id: CASE,
        })
        .then_expect_events(vec![CallEvent::CallLinkedToCase { case_id: CASE }]);
}

#[test]
fn linking_a_call_to_the_same_case_twice_records_nothing_the_second_time() {
    given(vec![
        received(),
        CallEvent::CallLinkedToCase { case_id: CASE },
    ])
    .when(CallCommand::LinkToCase {
        call_id: CALL,
        case_id: CASE,
    })
    .then_expect_events(vec![]);
}

#[test]
fn linking_an_unknown_call_is_refused() {
    given(vec![])
        .when(CallCommand::LinkToCase {
            call_id: CALL,
            case_id: CASE,
        })
        .then_expect_error(DomainError::CallNotFound(CALL));
}

// ---- state ------------------------------------------------------------------

#[test]
fn applying_the_events_rebuilds_the_call() {
    let mut call = Call::default();
    for event in [
        received(),
        session_recorded("2025-09-10T01:05:00Z"),
        CallEvent::CallLinkedToCase { case_id: CASE },
        CallEvent::CallLinkedToCase { case_id: CASE },
    ] {
        cqrs_es::Aggregate::apply(&mut call, event);
    }
    let existing = call.existing(CALL).expect("the call was received");
    assert_eq!(existing.received_at, t("2025-09-10T01:00:00Z"));
    assert_eq!(existing.region, Region::RedRiverDelta);
    assert_eq!(call.sessions.len(), 1);
    assert_eq!(call.case_ids, vec![CASE], "a repeated link is kept once");
}
