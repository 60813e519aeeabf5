//! What correcting a call takes and records: the call's facts before and
//! after (rules in `correcting.rs`), so that every reader (the statistics
//! withdrawing the old contribution and adding the new one, a history
//! showing both) needs nothing but the event itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sealed::Sealed;
use crate::values::{CallCategory, CallerType, Channel, CounsellingTopic, CountryCode, Region};

/// What a call is counted and filtered by: everything a correction may change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallFacts {
    pub received_at: DateTime<Utc>,
    pub channel: Channel,
    pub region: Region,
    pub province: Option<String>,
    pub country: Option<String>,
    pub caller_type: CallerType,
    pub category: CallCategory,
    pub topics: Vec<CounsellingTopic>,
    /// As `CallReceived.category_code`: only written for a code ADMIN added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    /// As `CallReceived.topic_codes`: only written when one was added by ADMIN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topic_codes: Vec<String>,
}

/// A new place for the call: resolved like a received call's (a province
/// gives its region; a country only for OVERSEAS).
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectedLocation {
    pub region: Option<Region>,
    pub province: Option<String>,
    pub country: Option<CountryCode>,
}

/// Correct some of a call's facts; `None` leaves a fact as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectCall {
    pub call_id: Uuid,
    pub received_at: Option<DateTime<Utc>>,
    pub channel: Option<Channel>,
    pub caller_type: Option<CallerType>,
    pub category: Option<CallCategory>,
    pub topics: Option<Vec<CounsellingTopic>>,
    /// A category code of the reference data; `category`, if given, its class.
    pub category_code: Option<String>,
    /// Topic codes of the reference data; `topics`, if given, their classes.
    pub topic_codes: Option<Vec<String>>,
    pub location: Option<CorrectedLocation>,
    /// Why (free text, sealed under the call's key).
    pub reason: Sealed,
}
