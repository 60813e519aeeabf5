//! Casework as GraphQL shows it: notes, counselling notes and follow-ups,
//! and the inputs of the casework mutations (each converting into its
//! command's input, field for field).

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::commands::casework_inputs as command;

/// A note on a case's timeline. Its text is personal data: in clear for
/// COUNSELLOR and SUPERVISOR (each read in the access log), null with
/// `redacted` true for the AUDITOR.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "CaseNote")]
pub struct CaseNoteNode {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The writer's token subject.
    pub author: String,
    pub written_at: DateTime<Utc>,
    pub text: Option<String>,
    pub redacted: bool,
}

/// A counselling session's notes, read back as case notes are.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "CounsellingNote")]
pub struct CounsellingNoteNode {
    pub session_id: Uuid,
    pub call_id: Uuid,
    pub started_at: DateTime<Utc>,
    /// Null when the session was recorded without notes, or for the AUDITOR.
    pub text: Option<String>,
    pub redacted: bool,
}

/// A task on a case for `assignee`, due at `dueAt`.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "FollowUp")]
pub struct FollowUpNode {
    pub id: Uuid,
    pub case_id: Uuid,
    pub assignee: String,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<String>,
    /// Not completed and due before now.
    pub overdue: bool,
    /// What is to be done: personal data, each read in the access log.
    pub description: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct TakeCaseInput {
    pub case_id: Uuid,
    /// When the counsellor took it; now when left out.
    pub at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

/// The hand-over of `assignCase` and `transferCase`.
#[derive(InputObject, Clone, Debug)]
pub struct AssignCaseInput {
    pub case_id: Uuid,
    /// The new owner's token subject (`sub`).
    pub owner: String,
    /// Why: stored encrypted, like every free text about a case.
    #[graphql(secret)]
    pub reason: String,
    /// Now when left out.
    pub at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct WriteCaseNoteInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    /// Personal data: stored encrypted, at most 10,000 characters.
    #[graphql(secret)]
    pub text: String,
    /// Now when left out.
    pub written_at: Option<DateTime<Utc>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateFollowUpInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    /// Whose task it is (a token subject); the creator when left out.
    pub assignee: Option<String>,
    /// At most 366 days after its creation.
    pub due_at: DateTime<Utc>,
    /// What is to be done: stored encrypted, at most 10,000 characters.
    #[graphql(secret)]
    pub description: String,
    /// Now when left out.
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CompleteFollowUpInput {
    pub case_id: Uuid,
    pub follow_up_id: Uuid,
    /// Now when left out.
    pub completed_at: Option<DateTime<Utc>>,
    pub idempotency_key: Option<String>,
}

impl From<TakeCaseInput> for command::TakeCaseInput {
    fn from(i: TakeCaseInput) -> Self {
        Self {
            case_id: i.case_id,
            at: i.at,
            idempotency_key: i.idempotency_key,
        }
    }
}

impl From<AssignCaseInput> for command::AssignCaseInput {
    fn from(i: AssignCaseInput) -> Self {
        Self {
            case_id: i.case_id,
            owner: i.owner,
            reason: i.reason,
            at: i.at,
            idempotency_key: i.idempotency_key,
        }
    }
}

impl From<WriteCaseNoteInput> for command::WriteCaseNoteInput {
    fn from(i: WriteCaseNoteInput) -> Self {
        Self {
            id: i.id,
            case_id: i.case_id,
            text: i.text,
            written_at: i.written_at,
        }
    }
}

impl From<CreateFollowUpInput> for command::CreateFollowUpInput {
    fn from(i: CreateFollowUpInput) -> Self {
        Self {
            id: i.id,
            case_id: i.case_id,
            assignee: i.assignee,
            due_at: i.due_at,
            description: i.description,
            created_at: i.created_at,
        }
    }
}

impl From<CompleteFollowUpInput> for command::CompleteFollowUpInput {
    fn from(i: CompleteFollowUpInput) -> Self {
        Self {
            case_id: i.case_id,
            follow_up_id: i.follow_up_id,
            completed_at: i.completed_at,
            idempotency_key: i.idempotency_key,
        }
    }
}
