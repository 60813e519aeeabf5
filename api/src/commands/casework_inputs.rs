//! What the casework commands take (ownership, notes, follow-ups), as plain
//! Rust values, serialisable for their idempotency fingerprints like
//! `inputs.rs`. Times a caller may leave out default to the server's now.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize, Clone, Debug)]
pub struct TakeCaseInput {
    pub case_id: Uuid,
    pub at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

/// `assignCase` (a supervisor) and `transferCase` (the owner) alike.
#[derive(Serialize, Clone, Debug)]
pub struct AssignCaseInput {
    pub case_id: Uuid,
    /// The new owner's token subject.
    pub owner: String,
    pub reason: String,
    pub at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct WriteCaseNoteInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    pub text: String,
    pub written_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Clone, Debug)]
pub struct CreateFollowUpInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    /// The token subject who should do it; the creator when left out.
    pub assignee: Option<String>,
    pub due_at: DateTime<Utc>,
    pub description: String,
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, Clone, Debug)]
pub struct CompleteFollowUpInput {
    pub case_id: Uuid,
    pub follow_up_id: Uuid,
    pub completed_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}
