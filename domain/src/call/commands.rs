use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::sealed::Sealed;
use crate::values::{
    CallCategory, CallSeconds, CallerType, Channel, CounsellingTopic, CountryCode, Region,
    SessionMinutes,
};

/// What may be asked of a Call.
#[derive(Clone, Debug, PartialEq)]
pub enum CallCommand {
    Receive(ReceiveCall),
    RecordCounsellingSession(RecordCounsellingSession),
    /// Remember that a case now refers to this call (sent with the case's own event).
    LinkToCase {
        call_id: Uuid,
        case_id: Uuid,
    },
    Correct(super::correction::CorrectCall),
}

impl crate::reference::book::ConsultsBook for CallCommand {
    fn consults_book(&self) -> bool {
        match self {
            CallCommand::Receive(cmd) => {
                cmd.province.is_some() || cmd.category_code.is_some() || !cmd.topic_codes.is_empty()
            }
            // A correction may resolve the call's province again on a new day.
            CallCommand::Correct(_) => true,
            CallCommand::RecordCounsellingSession(cmd) => !cmd.topic_codes.is_empty(),
            CallCommand::LinkToCase { .. } => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReceiveCall {
    pub call_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub channel: Channel,
    pub region: Option<Region>,
    pub province: Option<String>,
    pub country: Option<CountryCode>,
    pub caller_type: CallerType,
    pub category: CallCategory,
    pub topics: Vec<CounsellingTopic>,
    pub duration: Option<CallSeconds>,
    /// A category code of the reference data (`category` must be its class).
    pub category_code: Option<String>,
    /// Topic codes of the reference data (`topics`, if given, their classes).
    pub topic_codes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordCounsellingSession {
    pub call_id: Uuid,
    pub session_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration: SessionMinutes,
    pub topics: Vec<CounsellingTopic>,
    /// Free text about a person: sealed before it reaches the domain.
    pub notes: Option<Sealed>,
    /// Topic codes of the reference data (`topics`, if given, their classes).
    pub topic_codes: Vec<String>,
}
