//! What every event says about how it came to be.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who acted: the token's subject and role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub subject: String,
    pub role: domain::values::Role,
}

/// The context of one command execution, shared by the events it records.
#[derive(Clone, Debug)]
pub struct CommandContext {
    pub actor: Actor,
    /// The request's id (`X-Request-Id`, or generated per request).
    pub correlation_id: String,
    /// This command's own id; the events it records are caused by it.
    pub causation_id: Uuid,
    pub idempotency_key: Option<String>,
    /// The caller's agency, for AGENCY tokens: with the actor's subject it
    /// scopes idempotency receipts (a receipt belongs to its caller).
    pub caller_agency: Option<String>,
}

impl CommandContext {
    pub fn new(actor: Actor, correlation_id: String) -> Self {
        Self {
            actor,
            correlation_id,
            causation_id: Uuid::now_v7(),
            idempotency_key: None,
            caller_agency: None,
        }
    }

    /// The metadata of one event, with its business time.
    pub fn metadata(&self, occurred_at: Option<DateTime<Utc>>) -> EventMetadata {
        EventMetadata {
            actor: self.actor.subject.clone(),
            actor_role: self.actor.role.as_str().to_string(),
            correlation_id: self.correlation_id.clone(),
            causation_id: self.causation_id.to_string(),
            idempotency_key: self.idempotency_key.clone(),
            occurred_at,
        }
    }
}

/// Stored as a JSON object of strings, the shape cqrs-es reads as `HashMap<String, String>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    pub actor: String,
    pub actor_role: String,
    pub correlation_id: String,
    pub causation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<Utc>>,
}

impl EventMetadata {
    /// The attribution this metadata lacks, if any: every event names who
    /// acted, in which request, by which command. The store refuses to
    /// append an event without them.
    pub fn lacks(&self) -> Option<&'static str> {
        [
            (self.actor.trim().is_empty(), "actor"),
            (self.actor_role.trim().is_empty(), "actor role"),
            (self.correlation_id.trim().is_empty(), "correlation id"),
            (self.causation_id.trim().is_empty(), "causation id"),
        ]
        .into_iter()
        .find_map(|(empty, what)| empty.then_some(what))
    }

    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            ("actor".to_string(), self.actor.clone()),
            ("actor_role".to_string(), self.actor_role.clone()),
            ("correlation_id".to_string(), self.correlation_id.clone()),
            ("causation_id".to_string(), self.causation_id.clone()),
        ]);
        if let Some(key) = &self.idempotency_key {
            map.insert("idempotency_key".to_string(), key.clone());
        }
        if let Some(at) = self.occurred_at {
            map.insert("occurred_at".to_string(), at.to_rfc3339());
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_lacks_each_attribution_that_is_empty_or_blank() {
        let ctx = CommandContext::new(
            Actor {
                subject: "counsellor-7".into(),
                role: domain::values::Role::Counsellor,
            },
            "req-1".into(),
        );
        let whole = ctx.metadata(None);
        assert_eq!(whole.lacks(), None);
        type Blank = fn(&mut EventMetadata);
        let blanked: [(Blank, &str); 4] = [
            (|m| m.actor = String::new(), "actor"),
            (|m| m.actor_role = " ".into(), "actor role"),
            (|m| m.correlation_id = String::new(), "correlation id"),
            (|m| m.causation_id = "\t".into(), "causation id"),
        ];
        for (blank, lacking) in blanked {
            let mut metadata = whole.clone();
            blank(&mut metadata);
            assert_eq!(metadata.lacks(), Some(lacking));
        }
    }
}
