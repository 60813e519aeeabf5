//! The Call's events: a wire format. Names and fields never change; a new
//! shape is a new version with an upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::correction::CallFacts;
use crate::sealed::Sealed;
use crate::values::{CallCategory, CallerType, Channel, CorrectedField, CounsellingTopic, Region};

/// The current version of `CounsellingSessionRecorded` (1.0 had minutes).
pub const COUNSELLING_SESSION_RECORDED_VERSION: &str = "2.0";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CallEvent {
    CallReceived {
        call_id: Uuid,
        received_at: DateTime<Utc>,
        channel: Channel,
        region: Region,
        province: Option<String>,
        country: Option<String>,
        caller_type: CallerType,
        /// The class the call counts under (the code itself for a contract value).
        category: CallCategory,
        /// The classes of the call's topics.
        topics: Vec<CounsellingTopic>,
        duration_seconds: Option<u32>,
        /// The category code when ADMIN added it (`category` is its class
        /// then); absent for a contract value, so older events read as before.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category_code: Option<String>,
        /// Every topic code of the call when one of them was added by ADMIN
        /// (`topics` holds their classes); empty, and not written, otherwise.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        topic_codes: Vec<String>,
    },
    /// Version 2.0. Version 1.0 had `duration_minutes: u16`; the switchboard
    /// and the call itself (`CallReceived.duration_seconds`) measure in
    /// seconds, and whole minutes lost what the telephony records, so 2.0
    /// stores `duration_seconds`. `crate::upcasters` turns 1.0 into 2.0.
    CounsellingSessionRecorded {
        session_id: Uuid,
        started_at: DateTime<Utc>,
        duration_seconds: u32,
        topics: Vec<CounsellingTopic>,
        notes: Option<Sealed>,
        /// As `CallReceived.topic_codes`: written only when a topic was added by ADMIN.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        topic_codes: Vec<String>,
    },
    CallLinkedToCase {
        case_id: Uuid,
    },
    /// A correction of the call's facts: which fields, what they were, what
    /// they are now, and why (sealed). The original event stays as it was.
    CallCorrected {
        corrects: Vec<CorrectedField>,
        before: CallFacts,
        after: CallFacts,
        reason: Sealed,
    },
}

impl DomainEvent for CallEvent {
    fn event_type(&self) -> String {
        match self {
            CallEvent::CallReceived { .. } => "CallReceived",
            CallEvent::CounsellingSessionRecorded { .. } => "CounsellingSessionRecorded",
            CallEvent::CallLinkedToCase { .. } => "CallLinkedToCase",
            CallEvent::CallCorrected { .. } => "CallCorrected",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        match self {
            CallEvent::CounsellingSessionRecorded { .. } => COUNSELLING_SESSION_RECORDED_VERSION,
            CallEvent::CallReceived { .. }
            | CallEvent::CallLinkedToCase { .. }
            | CallEvent::CallCorrected { .. } => "1.0",
        }
        .to_string()
    }
}
