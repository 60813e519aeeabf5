//! Audit types: recorded events, histories, integrity reports.

use async_graphql::{Json, SimpleObject};
use chrono::{DateTime, Utc};
use store::integrity::IntegrityReport;
use store::log::StoredEvent;
use store::EventMetadata;
use uuid::Uuid;

use super::enums::StreamKind;
use super::types::{CallNode, CaseNode};

impl StreamKind {
    /// The stream's aggregate type in the events table.
    pub fn aggregate_type(self) -> &'static str {
        match self {
            StreamKind::Call => "Call",
            StreamKind::Case => "Case",
            StreamKind::Person => "Person",
        }
    }

    pub fn from_aggregate_type(t: &str) -> Option<Self> {
        match t {
            "Call" => Some(StreamKind::Call),
            "Case" => Some(StreamKind::Case),
            "Person" => Some(StreamKind::Person),
            _ => None,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct RecordedEvent {
    pub stream_kind: StreamKind,
    pub stream_id: Uuid,
    /// 1-based position within its stream.
    pub sequence: i32,
    /// Position in the global log, as a decimal string.
    pub position: String,
    pub event_type: String,
    pub event_version: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    pub correlation_id: Option<String>,
    pub payload: Json<serde_json::Value>,
    /// Hex SHA-256 chaining this event to the previous one of its stream.
    pub hash: String,
}

impl RecordedEvent {
    /// `None` for a row of an unknown stream kind or unreadable metadata.
    pub fn from_stored(e: &StoredEvent) -> Option<Self> {
        let metadata: EventMetadata = serde_json::from_value(e.metadata.clone()).ok()?;
        Some(RecordedEvent {
            stream_kind: StreamKind::from_aggregate_type(&e.aggregate_type)?,
            stream_id: Uuid::parse_str(&e.aggregate_id).ok()?,
            sequence: i32::try_from(e.sequence).unwrap_or(i32::MAX),
            position: e.position.to_string(),
            event_type: e.event_type.clone(),
            event_version: e.event_version.clone(),
            occurred_at: metadata.occurred_at,
            recorded_at: e.recorded_at,
            actor: metadata.actor,
            actor_role: metadata.actor_role,
            correlation_id: Some(metadata.correlation_id),
            payload: Json(e.payload.clone()),
            hash: hex::encode(&e.hash),
        })
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CaseHistory {
    pub case_id: Uuid,
    pub events: Vec<RecordedEvent>,
    pub state: Option<CaseNode>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CallHistory {
    pub call_id: Uuid,
    pub events: Vec<RecordedEvent>,
    pub state: Option<CallNode>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct IntegrityFailure {
    pub stream_kind: StreamKind,
    pub stream_id: Uuid,
    pub sequence: i32,
    pub reason: String,
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "IntegrityReport")]
pub struct IntegrityReportNode {
    pub ok: bool,
    pub streams_checked: i32,
    pub events_checked: i32,
    pub failures: Vec<IntegrityFailure>,
}

impl From<IntegrityReport> for IntegrityReportNode {
    fn from(r: IntegrityReport) -> Self {
        IntegrityReportNode {
            ok: r.ok(),
            streams_checked: i32::try_from(r.streams_checked).unwrap_or(i32::MAX),
            events_checked: i32::try_from(r.events_checked).unwrap_or(i32::MAX),
            failures: r
                .failures
                .into_iter()
                .map(|f| IntegrityFailure {
                    stream_kind: StreamKind::from_aggregate_type(&f.stream_type)
                        .unwrap_or(StreamKind::Case),
                    stream_id: Uuid::parse_str(&f.stream_id).unwrap_or_default(),
                    sequence: i32::try_from(f.sequence).unwrap_or(i32::MAX),
                    reason: f.reason,
                })
                .collect(),
        }
    }
}

/// One read of personal data in clear, or one erasure.
#[derive(SimpleObject, Clone, Debug)]
pub struct AccessLogEntry {
    pub id: String,
    pub accessed_at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    /// READ_PERSONAL_DATA, ERASE_PERSON or LOOK_UP_PERSON (a lookup by phone or name: the field is what it was by).
    pub action: String,
    pub case_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// The call whose counselling notes were read.
    pub call_id: Option<Uuid>,
    /// The case note, follow-up or counselling session whose text was read.
    pub item_id: Option<Uuid>,
    pub fields: Vec<String>,
    /// The GraphQL operation and field that asked.
    pub operation: String,
    pub correlation_id: String,
}

impl From<store::access_log::Entry> for AccessLogEntry {
    fn from(e: store::access_log::Entry) -> Self {
        AccessLogEntry {
            id: e.id.to_string(),
            accessed_at: e.accessed_at,
            actor: e.actor,
            actor_role: e.actor_role,
            action: e.action,
            case_id: e.case_id,
            person_id: e.person_id,
            call_id: e.call_id,
            item_id: e.item_id,
            fields: e.fields,
            operation: e.operation,
            correlation_id: e.correlation_id,
        }
    }
}
