//! The Call's rules, one given/when/then test per rule.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use uuid::Uuid;

use super::{Call, CallCommand, CallEvent, ReceiveCall, RecordCounsellingSession};
use crate::clock::{Clock, MAX_CLOCK_SKEW_SECONDS};
use crate::error::DomainError;
use crate::sealed::Sealed;
use crate::values::{
    CallCategory, CallSeconds, CallerType, Channel, CounsellingTopic, CountryCode, Region,
    SessionMinutes,
};

use CounsellingTopic::{Legal, Policy, Psychological, Shelter};

/// The fixed "now" of every test: after the 2025 province reform.
const NOW: &str = "2025-09-15T03:00:00Z";
const CALL: Uuid = Uuid::from_u128(0xCA11);
const CASE: Uuid = Uuid::from_u128(0xCA5E);
const SESSION: Uuid = Uuid::from_u128(0x5E55);

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instants are RFC 3339")
}

fn now() -> DateTime<Utc> {
    t(NOW)
}

fn given(events: Vec<CallEvent>) -> AggregateTestExecutor<Call> {
    TestFramework::<Call>::with(Clock::fixed(now())).given(events)
}

fn sealed(tag: &str) -> Sealed {
    Sealed {
        key_id: CALL,
        nonce: format!("nonce-{tag}"),
        ciphertext: format!("ciphertext-{tag}"),
    }
}

fn minutes(n: i32) -> SessionMinutes {
    SessionMinutes::try_from(n).expect("a valid session length")
}

/// A voice call in Hà Nội's region, received at `at`.
fn receive(at: &str) -> ReceiveCall {
    ReceiveCall {
        call_id: CALL,
        received_at: t(at),
        channel: Channel::Voice,
        region: Some(Region::RedRiverDelta),
        province: None,
        country: None,
        caller_type: CallerType::RelativeOrFriend,
        category: CallCategory::Counselling,
        topics: vec![Psychological],
        duration: Some(CallSeconds::try_from(300).expect("a valid call length")),
    }
}

fn received_event(cmd: &ReceiveCall, region: Region, province: Option<&str>) -> CallEvent {
    CallEvent::CallReceived {
        call_id: cmd.call_id,
        received_at: cmd.received_at,
        channel: cmd.channel,
        region,
        province: province.map(str::to_string),
        country: cmd.country.as_ref().map(|c| c.as_str().to_string()),
        caller_type: cmd.caller_type,
        category: cmd.category,
        topics: cmd.topics.clone(),
        duration_seconds: cmd.duration.map(CallSeconds::get),
    }
}

/// The call as received at 2025-09-10T01:00Z.
fn received() -> CallEvent {
    let cmd = receive("2025-09-10T01:00:00Z");
    received_event(&cmd, Region::RedRiverDelta, None)
}

fn session(at: &str) -> RecordCounsellingSession {
    RecordCounsellingSession {
        call_id: CALL,
        session_id: SESSION,
        started_at: t(at),
        duration: minutes(20),
        topics: vec![Policy],
        notes: Some(sealed("notes")),
    }
}

fn session_recorded(at: &str) -> CallEvent {
    CallEvent::CounsellingSessionRecorded {
        session_id: SESSION,
        started_at: t(at),
        duration_seconds: 1200,
        topics: vec![Policy],
        notes: Some(sealed("notes")),
    }
}

// ---- receiving a call -------------------------------------------------------

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
fn province_derives_its_region_as_it_stood_on_the_call_date() {
    let mut cmd = receive("2019-03-01T08:00:00Z");
    cmd.region = None;
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(
            &cmd,
            Region::Northeast,
            Some("HA_GIANG"),
        )]);
}

#[test]
fn province_with_its_own_region_given_too_is_accepted() {
    let mut cmd = receive("2019-03-01T08:00:00Z");
    cmd.region = Some(Region::Northeast);
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(
            &cmd,
            Region::Northeast,
            Some("HA_GIANG"),
        )]);
}

#[test]
fn merged_province_on_or_after_the_reform_day_in_hanoi_is_refused() {
    // 2025-06-30T17:30Z is already 1 July 2025 in Hà Nội.
    let mut cmd = receive("2025-06-30T17:30:00Z");
    cmd.region = None;
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::ProvinceMerged {
            province: "HA_GIANG".into(),
            successor: "TUYEN_QUANG".into(),
            since: "2025-07-01".into(),
        });
}

#[test]
fn merged_province_on_the_last_hanoi_day_before_the_reform_is_accepted() {
    // 2025-06-30T16:59Z is still 30 June 2025 in Hà Nội.
    let mut cmd = receive("2025-06-30T16:59:59Z");
    cmd.region = None;
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(
            &cmd,
            Region::Northeast,
            Some("HA_GIANG"),
        )]);
}

#[test]
fn unknown_province_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.province = Some("ATLANTIS".into());
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::UnknownProvince {
            province: "ATLANTIS".into(),
        });
}

#[test]
fn region_contradicting_the_province_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.region = Some(Region::MekongDelta);
    cmd.province = Some("HA_NOI".into());
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::RegionMismatch {
            province: "HA_NOI".into(),
            derived: "RED_RIVER_DELTA".into(),
            given: "MEKONG_DELTA".into(),
        });
}

#[test]
fn country_without_the_overseas_region_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.country = Some(CountryCode::try_from("KH").expect("a valid country"));
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::CountryWithoutOverseas);
}

#[test]
fn country_with_the_overseas_region_is_recorded() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.region = Some(Region::Overseas);
    cmd.country = Some(CountryCode::try_from("kh").expect("a valid country"));
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(&cmd, Region::Overseas, None)]);
}

#[test]
fn call_without_region_or_province_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.region = None;
    cmd.province = None;
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::LocationMissing);
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

// ---- counselling sessions ---------------------------------------------------

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

// ---- links to cases ---------------------------------------------------------

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
