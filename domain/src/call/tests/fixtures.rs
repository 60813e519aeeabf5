//! The given/when/then fixtures every Call test shares: a fixed "now", ids,
//! and builders for the commands and events.

use chrono::{DateTime, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use uuid::Uuid;

use crate::call::{Call, CallEvent, CorrectCall, ReceiveCall, RecordCounsellingSession};
use crate::clock::Clock;
use crate::sealed::Sealed;
use crate::values::{
    CallCategory, CallSeconds, CallerType, Channel, CounsellingTopic, Region, SessionMinutes,
};

use CounsellingTopic::{Policy, Psychological};

/// The fixed "now" of every test: after the 2025 province reform.
pub(super) const NOW: &str = "2025-09-15T03:00:00Z";
pub(super) const CALL: Uuid = Uuid::from_u128(0xCA11);
pub(super) const CASE: Uuid = Uuid::from_u128(0xCA5E);
pub(super) const SESSION: Uuid = Uuid::from_u128(0x5E55);

pub(super) fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instants are RFC 3339")
}

pub(super) fn now() -> DateTime<Utc> {
    t(NOW)
}

pub(super) fn given(events: Vec<CallEvent>) -> AggregateTestExecutor<Call> {
    TestFramework::<Call>::with(Clock::fixed(now())).given(events)
}

pub(super) fn sealed(tag: &str) -> Sealed {
    Sealed {
        key_id: CALL,
        nonce: format!("nonce-{tag}"),
        ciphertext: format!("ciphertext-{tag}"),
    }
}

pub(super) fn minutes(n: i32) -> SessionMinutes {
    SessionMinutes::try_from(n).expect("a valid session length")
}

/// A voice call in Hà Nội's region, received at `at`.
pub(super) fn receive(at: &str) -> ReceiveCall {
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
        category_code: None,
        topic_codes: vec![],
    }
}

pub(super) fn received_event(
    cmd: &ReceiveCall,
    region: Region,
    province: Option<&str>,
) -> CallEvent {
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
        category_code: None,
        topic_codes: vec![],
    }
}

/// The call as received at 2025-09-10T01:00Z.
pub(super) fn received() -> CallEvent {
    let cmd = receive("2025-09-10T01:00:00Z");
    received_event(&cmd, Region::RedRiverDelta, None)
}

pub(super) fn session(at: &str) -> RecordCounsellingSession {
    RecordCounsellingSession {
        call_id: CALL,
        session_id: SESSION,
        started_at: t(at),
        duration: minutes(20),
        topics: vec![Policy],
        notes: Some(sealed("notes")),
        topic_codes: vec![],
    }
}

pub(super) fn session_recorded(at: &str) -> CallEvent {
    CallEvent::CounsellingSessionRecorded {
        session_id: SESSION,
        started_at: t(at),
        duration_seconds: 1200,
        topics: vec![Policy],
        notes: Some(sealed("notes")),
        topic_codes: vec![],
    }
}

/// A correction of the call that changes nothing yet: tests set the fields they correct.
pub(super) fn correction() -> CorrectCall {
    CorrectCall {
        call_id: CALL,
        received_at: None,
        channel: None,
        caller_type: None,
        category: None,
        topics: None,
        location: None,
        reason: sealed("why"),
        category_code: None,
        topic_codes: None,
    }
}
