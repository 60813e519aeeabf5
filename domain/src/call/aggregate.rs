use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codes::{category_named, topics_named};
use super::commands::{CallCommand, ReceiveCall, RecordCounsellingSession};
use super::events::CallEvent;
use crate::clock::{check_follows, Clock};
use crate::error::DomainError;
use crate::reference::location::resolve_location;
use crate::reference::vietnam_day;
use crate::sealed::Sealed;
use crate::values::{CallCategory, CallerType, Channel, CounsellingTopic, Region};

/// A call as its events describe it. `received` is `None` until the call exists.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub received: Option<ReceivedCall>,
    pub sessions: Vec<CounsellingSession>,
    pub case_ids: Vec<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceivedCall {
    pub call_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub channel: Channel,
    pub region: Region,
    pub province: Option<String>,
    pub country: Option<String>,
    pub caller_type: CallerType,
    pub category: CallCategory,
    pub topics: Vec<CounsellingTopic>,
    pub duration_seconds: Option<u32>,
    /// The category code ADMIN added, when the call named one.
    #[serde(default)]
    pub category_code: Option<String>,
    /// Every topic code, when one of them was added by ADMIN.
    #[serde(default)]
    pub topic_codes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CounsellingSession {
    pub session_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration_seconds: u32,
    pub topics: Vec<CounsellingTopic>,
    pub notes: Option<Sealed>,
    /// Every topic code, when one of them was added by ADMIN.
    #[serde(default)]
    pub topic_codes: Vec<String>,
}

/// The codes a call or session names: the recorded codes when one was
/// added by ADMIN, else the classes themselves (each its own code).
pub fn topic_codes(topics: &[CounsellingTopic], recorded: &[String]) -> Vec<String> {
    if recorded.is_empty() {
        topics.iter().map(|t| t.as_str().to_string()).collect()
    } else {
        recorded.to_vec()
    }
}

impl ReceivedCall {
    /// The call's category code: the added code, else the class's own.
    pub fn category_code(&self) -> String {
        self.category_code
            .clone()
            .unwrap_or_else(|| self.category.as_str().to_string())
    }

    /// The call's topic codes (see [`topic_codes`]).
    pub fn topic_codes(&self) -> Vec<String> {
        topic_codes(&self.topics, &self.topic_codes)
    }
}

impl CounsellingSession {
    /// The length in whole minutes, as the contract's `durationMinutes`
    /// presents it: rounded to the nearest minute, never below one.
    pub fn duration_minutes(&self) -> u32 {
        (self.duration_seconds.saturating_add(30) / 60).max(1)
    }
}

impl Aggregate for Call {
    const TYPE: &'static str = "Call";
    type Command = CallCommand;
    type Event = CallEvent;
    type Error = DomainError;
    type Services = Clock;

    async fn handle(
        &mut self,
        command: CallCommand,
        clock: &Clock,
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let events = match command {
            CallCommand::Receive(cmd) => self.receive(cmd, clock)?,
            CallCommand::RecordCounsellingSession(cmd) => self.record_session(cmd, clock)?,
            CallCommand::LinkToCase { call_id, case_id } => self.link_to_case(call_id, case_id)?,
            CallCommand::Correct(cmd) => self.correct(cmd, clock)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CallEvent) {
        match event {
            CallEvent::CallReceived {
                call_id,
                received_at,
                channel,
                region,
                province,
                country,
                caller_type,
                category,
                topics,
                duration_seconds,
                category_code,
                topic_codes,
            } => {
                self.received = Some(ReceivedCall {
                    call_id,
                    received_at,
                    channel,
                    region,
                    province,
                    country,
                    caller_type,
                    category,
                    topics,
                    duration_seconds,
                    category_code,
                    topic_codes,
                })
            }
            CallEvent::CounsellingSessionRecorded {
                session_id,
                started_at,
                duration_seconds,
                topics,
                notes,
                topic_codes,
            } => self.sessions.push(CounsellingSession {
                session_id,
                started_at,
                duration_seconds,
                topics,
                notes,
                topic_codes,
            }),
            CallEvent::CallLinkedToCase { case_id } => {
                if !self.case_ids.contains(&case_id) {
                    self.case_ids.push(case_id)
                }
            }
            CallEvent::CallCorrected { after, .. } => {
                if let Some(call) = self.received.as_mut() {
                    call.received_at = after.received_at;
                    call.channel = after.channel;
                    call.region = after.region;
                    call.province = after.province;
                    call.country = after.country;
                    call.caller_type = after.caller_type;
                    call.category_code = after.category_code;
                    call.topic_codes = after.topic_codes;
                    call.category = after.category;
                    call.topics = after.topics;
                }
            }
        }
    }
}

impl Call {
    /// The received call, or the refusal for acting on one that does not exist.
    pub fn existing(&self, call_id: Uuid) -> Result<&ReceivedCall, DomainError> {
        self.received
            .as_ref()
            .ok_or(DomainError::CallNotFound(call_id))
    }

    fn receive(&self, cmd: ReceiveCall, clock: &Clock) -> Result<Vec<CallEvent>, DomainError> {
        if self.received.is_some() {
            return Err(DomainError::CallAlreadyReceived(cmd.call_id));
        }
        clock.check_not_future("receivedAt", cmd.received_at)?;
        let location = resolve_location(
            cmd.region,
            cmd.province.as_deref(),
            cmd.country.as_ref(),
            cmd.received_at,
            None,
            clock.book(),
        )?;
        let day = vietnam_day(cmd.received_at);
        let (category, category_code) = category_named(
            clock.book(),
            cmd.category,
            cmd.category_code.as_deref(),
            day,
        )?;
        let (topics, topic_codes) = topics_named(clock.book(), &cmd.topics, &cmd.topic_codes, day)?;
        Ok(vec![CallEvent::CallReceived {
            call_id: cmd.call_id,
            received_at: cmd.received_at,
            channel: cmd.channel,
            region: location.region,
            province: location.province,
            country: location.country,
            caller_type: cmd.caller_type,
            category,
            topics,
            duration_seconds: cmd.duration.map(|d| d.get()),
            category_code,
            topic_codes,
        }])
    }

    fn record_session(
        &self,
        cmd: RecordCounsellingSession,
        clock: &Clock,
    ) -> Result<Vec<CallEvent>, DomainError> {
        let call = self.existing(cmd.call_id)?;
        if self.sessions.iter().any(|s| s.session_id == cmd.session_id) {
            return Err(DomainError::SessionExists(cmd.session_id));
        }
        if cmd.topics.is_empty() && cmd.topic_codes.is_empty() {
            return Err(DomainError::TopicsRequired);
        }
        clock.check_not_future("startedAt", cmd.started_at)?;
        check_follows(
            "startedAt",
            cmd.started_at,
            "the call's receivedAt",
            call.received_at,
        )?;
        // Checked on the day the session happened, whatever holds today.
        let day = vietnam_day(cmd.started_at);
        let (topics, topic_codes) = topics_named(clock.book(), &cmd.topics, &cmd.topic_codes, day)?;
        Ok(vec![CallEvent::CounsellingSessionRecorded {
            session_id: cmd.session_id,
            started_at: cmd.started_at,
            // Counsellors enter whole minutes; the event keeps seconds.
            duration_seconds: u32::from(cmd.duration.get()) * 60,
            topics,
            notes: cmd.notes,
            topic_codes,
        }])
    }

    fn link_to_case(&self, call_id: Uuid, case_id: Uuid) -> Result<Vec<CallEvent>, DomainError> {
        self.existing(call_id)?;
        if self.case_ids.contains(&case_id) {
            return Ok(vec![]);
        }
        Ok(vec![CallEvent::CallLinkedToCase { case_id }])
    }
}
