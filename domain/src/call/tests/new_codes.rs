//! Categories and topics ADMIN added are checked against the reference book
//! on the day the call or session happened: unknown codes and codes not yet
//! in force are refused naming the code; an accepted code is recorded with
//! the class it reported as that day, which a later re-attribution leaves.

use std::sync::Arc;

use cqrs_es::test::{AggregateTestExecutor, TestFramework};

use super::fixtures::*;
use crate::call::{Call, CallCommand, CallEvent};
use crate::clock::Clock;
use crate::error::DomainError;
use crate::reference::book::ReferenceBook;
use crate::reference::dated::{Change, ReferenceKind};
use crate::values::{CallCategory, CorrectedField, CounsellingTopic};

/// ADMIN's online-recruitment topic: LEGAL from 5 September, SERVICES from 12.
const ONLINE: &str = "ONLINE_RECRUITMENT";
/// ADMIN's category for calls from a partner's app, from 5 September.
const PARTNER: &str = "PARTNER_APP_REPORT";

fn given_book(events: Vec<CallEvent>) -> AggregateTestExecutor<Call> {
    let book = ReferenceBook::new(vec![
        Change::added(
            ReferenceKind::CounsellingTopic,
            ONLINE,
            "2025-09-05",
            &[("reportsAs", "LEGAL")],
        ),
        Change::added(
            ReferenceKind::CallCategory,
            PARTNER,
            "2025-09-05",
            &[("reportsAs", "INFORMATION")],
        ),
        // ADMIN re-attributes the topic later: earlier records keep LEGAL.
        Change::added(
            ReferenceKind::CounsellingTopic,
            ONLINE,
            "2025-09-12",
            &[("reportsAs", "SERVICES")],
        ),
    ]);
    TestFramework::<Call>::with(Clock::fixed(now()).with_book(Arc::new(book))).given(events)
}

fn session_on(at: &str, topics: Vec<CounsellingTopic>, codes: &[&str]) -> CallCommand {
    let mut cmd = session(at);
    cmd.topics = topics;
    cmd.topic_codes = codes.iter().map(|c| c.to_string()).collect();
    CallCommand::RecordCounsellingSession(cmd)
}

fn recorded(at: &str, topics: Vec<CounsellingTopic>, codes: &[&str]) -> CallEvent {
    let CallEvent::CounsellingSessionRecorded {
        session_id,
        started_at,
        duration_seconds,
        notes,
        ..
    } = session_recorded(at)
    else {
        unreachable!("session_recorded builds a session")
    };
    CallEvent::CounsellingSessionRecorded {
        session_id,
        started_at,
        duration_seconds,
        topics,
        notes,
        topic_codes: codes.iter().map(|c| c.to_string()).collect(),
    }
}

#[test]
fn a_session_naming_a_topic_no_book_knows_is_refused_naming_it() {
    let refused = given_book(vec![received()])
        .when(session_on(
            "2025-09-10T02:00:00Z",
            vec![],
            &["NOBODY_KNOWS"],
        ))
        .inspect_result();
    assert!(refused.is_err_and(|e| e.to_string().contains("NOBODY_KNOWS")));
}

#[test]
fn an_added_topic_is_refused_before_its_first_day() {
    // The call was received on 10 September; a session must follow it, so
    // the refusal is about the topic's first day, checked on the session's.
    let refused = given_book(vec![])
        .when(CallCommand::Receive({
            let mut cmd = receive("2025-09-04T10:00:00Z");
            cmd.topic_codes = vec![ONLINE.into()];
            cmd
        }))
        .inspect_result();
    assert_eq!(
        refused,
        Err(DomainError::NotInForce {
            kind: "counselling topic",
            code: ONLINE.into(),
            day: "2025-09-04".into(),
        })
    );
}

#[test]
fn an_added_topic_is_recorded_with_its_class_of_that_day() {
    given_book(vec![received()])
        .when(session_on(
            "2025-09-10T02:00:00Z",
            vec![],
            &[ONLINE, "POLICY"],
        ))
        .then_expect_events(vec![recorded(
            "2025-09-10T02:00:00Z",
            vec![CounsellingTopic::Policy, CounsellingTopic::Legal],
            &[ONLINE, "POLICY"],
        )]);
}

#[test]
fn the_recorded_class_stays_after_a_later_re_attribution() {
    let before = recorded(
        "2025-09-10T02:00:00Z",
        vec![CounsellingTopic::Legal],
        &[ONLINE],
    );
    let mut later = session("2025-09-13T02:00:00Z");
    later.session_id = uuid::Uuid::from_u128(0x5E56);
    later.topics = vec![];
    later.topic_codes = vec![ONLINE.into()];
    let call = given_book(vec![received(), before.clone()])
        .when(CallCommand::RecordCounsellingSession(later))
        .inspect_result()
        .expect("accepted");
    // The new session counts under SERVICES; the first keeps LEGAL.
    assert!(matches!(
        &call[..],
        [CallEvent::CounsellingSessionRecorded { topics, .. }] if topics == &[CounsellingTopic::Services]
    ));
    let mut state = Call::default();
    for event in [received(), before] {
        cqrs_es::Aggregate::apply(&mut state, event);
    }
    assert_eq!(state.sessions[0].topics, vec![CounsellingTopic::Legal]);
    assert_eq!(
        crate::call::topic_codes(&state.sessions[0].topics, &state.sessions[0].topic_codes),
        vec![ONLINE.to_string()]
    );
}

#[test]
fn topics_given_with_codes_must_be_their_classes() {
    let refused = given_book(vec![received()])
        .when(session_on(
            "2025-09-10T02:00:00Z",
            vec![CounsellingTopic::Medical],
            &[ONLINE],
        ))
        .inspect_result();
    assert!(refused.is_err_and(
        |e| matches!(e, DomainError::CodeReportsAs { .. }) && e.to_string().contains("LEGAL")
    ));
    // The right class with the code is accepted.
    given_book(vec![received()])
        .when(session_on(
            "2025-09-10T02:00:00Z",
            vec![CounsellingTopic::Legal],
            &[ONLINE],
        ))
        .then_expect_events(vec![recorded(
            "2025-09-10T02:00:00Z",
            vec![CounsellingTopic::Legal],
            &[ONLINE],
        )]);
}

#[test]
fn a_call_names_an_added_category_reporting_as_its_class() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.category = CallCategory::Information;
    cmd.category_code = Some(PARTNER.into());
    let mut expected = received_event(&cmd, cmd.region.expect("a region"), None);
    if let CallEvent::CallReceived { category_code, .. } = &mut expected {
        *category_code = Some(PARTNER.into());
    }
    given_book(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![expected]);
    // Named with another class, it is refused naming the code and its class.
    cmd.category = CallCategory::Counselling;
    let refused = given_book(vec![])
        .when(CallCommand::Receive(cmd))
        .inspect_result();
    assert!(refused
        .is_err_and(|e| e.to_string().contains(PARTNER) && e.to_string().contains("INFORMATION")));
}

#[test]
fn a_contract_topic_named_by_code_records_no_codes() {
    given_book(vec![received()])
        .when(session_on("2025-09-10T02:00:00Z", vec![], &["LEGAL"]))
        .then_expect_events(vec![recorded(
            "2025-09-10T02:00:00Z",
            vec![CounsellingTopic::Legal],
            &[],
        )]);
}

#[test]
fn a_correction_of_the_category_drops_the_added_code_and_keeps_the_topics() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.category = CallCategory::Information;
    cmd.topics = vec![];
    let mut received = received_event(&cmd, cmd.region.expect("a region"), None);
    if let CallEvent::CallReceived {
        category_code,
        topics,
        topic_codes,
        ..
    } = &mut received
    {
        *category_code = Some(PARTNER.into());
        *topics = vec![CounsellingTopic::Legal];
        *topic_codes = vec![ONLINE.into()];
    }
    let correction = crate::call::CorrectCall {
        call_id: CALL,
        received_at: None,
        channel: None,
        caller_type: None,
        category: Some(CallCategory::Counselling),
        topics: None,
        location: None,
        reason: sealed("why"),
        category_code: None,
        topic_codes: None,
    };
    let events = given_book(vec![received.clone()])
        .when(CallCommand::Correct(correction))
        .inspect_result()
        .expect("a correction");
    let mut call = Call::default();
    for event in std::iter::once(received).chain(events) {
        cqrs_es::Aggregate::apply(&mut call, event);
    }
    let call = call.received.expect("received");
    assert_eq!(call.category_code(), "COUNSELLING");
    assert_eq!(call.topic_codes(), vec![ONLINE.to_string()]);
}

#[test]
fn a_correction_names_an_added_category_and_topic_checked_on_the_calls_day() {
    let call = receive("2025-09-10T01:00:00Z");
    let received = received_event(&call, call.region.expect("a region"), None);
    let correction = |category_code: &str| crate::call::CorrectCall {
        category_code: Some(category_code.into()),
        topic_codes: Some(vec![ONLINE.into()]),
        ..correction()
    };
    let events = given_book(vec![received.clone()])
        .when(CallCommand::Correct(correction(PARTNER)))
        .inspect_result()
        .expect("a correction");
    let [CallEvent::CallCorrected {
        corrects, after, ..
    }] = &events[..]
    else {
        panic!("one correction: {events:?}")
    };
    assert_eq!(
        corrects,
        &vec![CorrectedField::Category, CorrectedField::Topics]
    );
    assert_eq!(
        (after.category, after.category_code.as_deref()),
        (CallCategory::Information, Some(PARTNER))
    );
    // The call was received on 10 September: the topic is LEGAL that day.
    assert_eq!(
        (&after.topics[..], &after.topic_codes[..]),
        (&[CounsellingTopic::Legal][..], &[ONLINE.to_string()][..])
    );
    let refused = given_book(vec![received])
        .when(CallCommand::Correct(correction("NOBODY_KNOWS")))
        .inspect_result();
    assert!(refused.is_err_and(|e| e.to_string().contains("NOBODY_KNOWS")));
}
