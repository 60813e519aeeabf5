//! An id names one thing: every id an event introduces (a call, a case, a
//! person, a counselling session, a referral, a rescue, a support
//! provision) is unique within its kind across the whole store.
//!
//! An aggregate can only refuse an id it already holds; a referral id of
//! another case is invisible to it. So the store records each introduced id
//! in `entity_ids` (migration 0005) in the commit transaction, whoever chose
//! the id (client or server), and the table's primary key refuses a second
//! introduction: the whole unit of work rolls back and the command is
//! answered CONFLICT, naming the kind and the id.
//!
//! Which event introduces which id is read from the serialised payload, so
//! that ids are declared the same way for every event a unit of work
//! appends, and so that this table is the same one the migration's SQL
//! backfill uses.

use serde_json::Value;

use uuid::Uuid;

use crate::error::StoreError;
use crate::log::NewEvent;

/// (stream type, event type, payload field, kind): the events that bring a
/// new thing into the world, and the field holding its id. Mirrored by
/// migrations/0005_entity_ids.sql (whose backfill predates the casework
/// events at the end); payload field names never change.
pub const INTRODUCED_BY: &[(&str, &str, &str, &str)] = &[
    ("Call", "CallReceived", "call_id", "call"),
    (
        "Call",
        "CounsellingSessionRecorded",
        "session_id",
        "counselling_session",
    ),
    ("Case", "CaseOpened", "case_id", "case"),
    ("Case", "PersonAttached", "person_id", "person"),
    ("Case", "ReferralSent", "referral_id", "referral"),
    ("Case", "RescueRecorded", "rescue_id", "rescue"),
    ("Case", "SupportProvided", "provision_id", "support"),
    // Casework (migration 0010): new event types, so nothing to backfill.
    ("Case", "CaseNoteWritten", "note_id", "case_note"),
    ("Case", "FollowUpCreated", "follow_up_id", "follow_up"),
];

/// One introduced id and the stream it lives in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityId {
    pub kind: &'static str,
    pub id: Uuid,
    pub stream_type: String,
    pub stream_id: String,
}

/// The id an event introduces, if it introduces one. An introducing event
/// whose field is missing or not a UUID is corrupt: it would slip past the
/// check, so it is refused rather than ignored.
pub fn introduced(
    stream_type: &str,
    stream_id: &str,
    event_type: &str,
    payload: &Value,
) -> Result<Option<EntityId>, StoreError> {
    let Some(&(_, _, field, kind)) = INTRODUCED_BY
        .iter()
        .find(|(s, e, _, _)| *s == stream_type && *e == event_type)
    else {
        return Ok(None);
    };
    let id = payload
        .get(event_type)
        .and_then(|body| body.get(field))
        .and_then(Value::as_str)
        .and_then(|text| Uuid::parse_str(text).ok())
        .ok_or_else(|| {
            StoreError::Corrupt(format!("a {event_type} event without a valid {field}"))
        })?;
    Ok(Some(EntityId {
        kind,
        id,
        stream_type: stream_type.to_string(),
        stream_id: stream_id.to_string(),
    }))
}

/// Every id the events introduce. Two introductions of one (kind, id) in the
/// same unit are refused here already (the table would refuse them too, but
/// this names them without a round trip).
pub fn introduced_by(events: &[NewEvent]) -> Result<Vec<EntityId>, StoreError> {
    let mut ids: Vec<EntityId> = Vec::new();
    for event in events {
        let Some(entity) = introduced(
            &event.aggregate_type,
            &event.aggregate_id,
            &event.event_type,
            &event.payload,
        )?
        else {
            continue;
        };
        if ids
            .iter()
            .any(|e| e.kind == entity.kind && e.id == entity.id)
        {
            return Err(StoreError::IdTaken {
                kind: entity.kind,
                id: entity.id,
            });
        }
        ids.push(entity);
    }
    Ok(ids)
}

/// The first of some ids that is recorded, each looked up by its key (a
/// lateral sub-select, never a semi-join the planner may turn into a scan
/// of every id: `crate::plans`).
pub(crate) const TAKEN: &str = "SELECT e.kind, e.id FROM UNNEST($1::text[], $2::uuid[]) AS w(kind, id) \
     JOIN LATERAL ( \
       SELECT e.kind, e.id FROM entity_ids e WHERE e.kind = w.kind AND e.id = w.id LIMIT 1) e ON true \
     LIMIT 1";

/// Which of these ids are already recorded: a cheap early answer before a
/// command spends anything (seals personal data). Not the arbiter: a
/// concurrent command may still take an id between this and the commit.
pub async fn taken(
    pool: &sqlx::PgPool,
    ids: &[(&'static str, Uuid)],
) -> Result<Option<(&'static str, Uuid)>, StoreError> {
    if ids.is_empty() {
        return Ok(None);
    }
    let found: Vec<(String, Uuid)> = sqlx::query_as(TAKEN)
        .bind(ids.iter().map(|(k, _)| *k).collect::<Vec<_>>())
        .bind(ids.iter().map(|(_, id)| *id).collect::<Vec<_>>())
        .fetch_all(pool)
        .await?;
    Ok(found.first().and_then(|(kind, id)| {
        ids.iter()
            .find(|(k, i)| *k == kind.as_str() && i == id)
            .copied()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_introducing_event_names_its_kind_and_id() {
        let id = Uuid::from_u128(7);
        for (stream, event, field, kind) in INTRODUCED_BY {
            let payload = json!({ *event: { *field: id.to_string() } });
            let found = introduced(stream, "s", event, &payload).expect("readable");
            assert_eq!(found.map(|e| (e.kind, e.id)), Some((*kind, id)));
        }
    }

    #[test]
    fn other_events_introduce_nothing_and_a_broken_one_is_corrupt() {
        let payload =
            json!({ "ReferralStatusChanged": { "referral_id": Uuid::nil().to_string() } });
        assert_eq!(
            introduced("Case", "s", "ReferralStatusChanged", &payload).expect("readable"),
            None
        );
        let broken = json!({ "ReferralSent": { "referral_id": "not a uuid" } });
        assert!(matches!(
            introduced("Case", "s", "ReferralSent", &broken),
            Err(StoreError::Corrupt(_))
        ));
    }
}
