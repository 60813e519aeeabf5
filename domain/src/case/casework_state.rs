//! What the casework events leave in a case's state: a person's victim
//! identification, a referral's chain of holders, the agencies' feedback.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sealed::Sealed;
use crate::values::{Agency, AgencyClass, VictimStatus};

/// A person's identification as the latest decision has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VictimDecision {
    pub status: VictimStatus,
    pub authority: Agency,
    pub decided_at: DateTime<Utc>,
}

/// One step of a referral's chain of holders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandOn {
    pub from: Agency,
    pub to: Agency,
    pub at: DateTime<Utc>,
    /// The classes of `from` and `to` when they are codes ADMIN added.
    #[serde(default)]
    pub from_reports_as: Option<AgencyClass>,
    #[serde(default)]
    pub to_reports_as: Option<AgencyClass>,
}

/// A feedback note of an agency on a referral.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub feedback_id: Uuid,
    pub referral_id: Uuid,
    pub agency: Agency,
    pub added_at: DateTime<Utc>,
    pub note: Sealed,
}
