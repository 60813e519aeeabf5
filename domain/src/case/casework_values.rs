//! What casework on a case is made of: the commands (take, assign or
//! transfer, write a note, create and complete a follow-up), what the case
//! keeps of them, and their bounds. A leaf: the rules (`casework.rs`), the
//! commands and the aggregate all read it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sealed::Sealed;
use crate::values::Role;

/// Most notes one case holds: a timeline, not a document store.
pub const MAX_NOTES: usize = 2_000;
/// Most follow-ups one case holds.
pub const MAX_FOLLOW_UPS: usize = 500;
/// Furthest a follow-up may be due after it is created.
pub const MAX_DUE_DAYS: i64 = 366;

/// A counsellor takes an unassigned case.
#[derive(Clone, Debug, PartialEq)]
pub struct TakeCase {
    pub case_id: Uuid,
    /// The taker's token subject.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A supervisor assigns the case, or its owner transfers it, to `to`.
#[derive(Clone, Debug, PartialEq)]
pub struct AssignCase {
    pub case_id: Uuid,
    pub to: String,
    pub at: DateTime<Utc>,
    pub reason: Sealed,
    pub by: String,
    pub by_role: Role,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WriteNote {
    pub case_id: Uuid,
    pub note_id: Uuid,
    pub author: String,
    pub written_at: DateTime<Utc>,
    pub text: Sealed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateFollowUp {
    pub case_id: Uuid,
    pub follow_up_id: Uuid,
    pub assignee: String,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub description: Sealed,
    pub by: String,
    pub by_role: Role,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompleteFollowUp {
    pub case_id: Uuid,
    pub follow_up_id: Uuid,
    pub completed_at: DateTime<Utc>,
    pub by: String,
    pub by_role: Role,
}

/// A note as the case keeps it (the text stays sealed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub note_id: Uuid,
    pub author: String,
    pub written_at: DateTime<Utc>,
    pub text: Sealed,
}

/// A follow-up task as the case keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    pub follow_up_id: Uuid,
    pub assignee: String,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub description: Sealed,
    pub completed: Option<(String, DateTime<Utc>)>,
}
