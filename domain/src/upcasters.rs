//! Upcasters: how an event stored in an older shape reads as today's.
//!
//! Stored events are never rewritten (the hash chain covers their payload),
//! so every reader (aggregate loads, histories, projections, cqrs-es's own
//! event store) runs old versions through these functions instead. Each one
//! is pure and keyed by event type and version; golden fixtures in
//! `domain/tests/golden/` prove every stored version still loads.
//!
//! An upcaster never fails: a payload that is not the shape it expects is
//! passed on unchanged, so deserialising it reports a corrupt event with its
//! stream and sequence instead of a silent guess.

use cqrs_es::persist::{EventUpcaster, SemanticVersionEventUpcaster};
use serde_json::{Map, Value};

use crate::call::COUNSELLING_SESSION_RECORDED_VERSION;

/// Every upcaster of every aggregate, in the order they must run.
pub fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
    vec![Box::new(SemanticVersionEventUpcaster::new(
        "CounsellingSessionRecorded",
        COUNSELLING_SESSION_RECORDED_VERSION,
        Box::new(counselling_session_minutes_to_seconds),
    ))]
}

/// `CounsellingSessionRecorded` 1.0 → 2.0: `duration_minutes: u16` becomes
/// `duration_seconds: u32` (minutes × 60, exact; a u16 of minutes always fits).
pub fn counselling_session_minutes_to_seconds(payload: Value) -> Value {
    let Value::Object(mut outer) = payload else {
        return payload;
    };
    let Some(Value::Object(fields)) = outer.remove("CounsellingSessionRecorded") else {
        return Value::Object(outer);
    };
    let fields = rename_minutes(fields);
    outer.insert("CounsellingSessionRecorded".into(), Value::Object(fields));
    Value::Object(outer)
}

fn rename_minutes(mut fields: Map<String, Value>) -> Map<String, Value> {
    let minutes = fields.get("duration_minutes").and_then(Value::as_u64);
    if let Some(minutes) = minutes {
        fields.remove("duration_minutes");
        fields.insert("duration_seconds".into(), Value::from(minutes * 60));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn minutes_become_seconds_and_other_fields_stay() {
        let v1 = json!({"CounsellingSessionRecorded": {"session_id": "s", "duration_minutes": 25, "topics": []}});
        assert_eq!(
            counselling_session_minutes_to_seconds(v1),
            json!({"CounsellingSessionRecorded": {"session_id": "s", "duration_seconds": 1500, "topics": []}})
        );
    }

    #[test]
    fn an_unexpected_shape_passes_unchanged() {
        for odd in [
            json!("text"),
            json!({"CallReceived": {}}),
            json!({"CounsellingSessionRecorded": {"duration_minutes": "25"}}),
        ] {
            assert_eq!(counselling_session_minutes_to_seconds(odd.clone()), odd);
        }
    }
}
