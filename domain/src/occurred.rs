//! The business time an event speaks of, for its metadata.

use chrono::{DateTime, Utc};

/// Events that say when their fact happened in the world (as opposed to when
/// it was recorded, which the store knows).
pub trait OccurredAt {
    fn occurred_at(&self) -> Option<DateTime<Utc>>;
}

impl OccurredAt for crate::call::CallEvent {
    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        use crate::call::CallEvent::*;
        match self {
            CallReceived { received_at, .. } => Some(*received_at),
            CounsellingSessionRecorded { started_at, .. } => Some(*started_at),
            // A correction happens at its recording; it speaks of no business time.
            CallLinkedToCase { .. } | CallCorrected { .. } => None,
        }
    }
}

impl OccurredAt for crate::case::CaseEvent {
    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        use crate::case::CaseEvent::*;
        match self {
            CaseOpened { opened_at, .. } => Some(*opened_at),
            PersonAttached { .. }
            | CallAttached { .. }
            | PersonErased { .. }
            | PersonCorrected { .. }
            | PersonDetailsRecorded { .. }
            | DestinationRecorded { .. } => None,
            VictimStatusDecided { decided_at, .. } => Some(*decided_at),
            ReferralFeedbackAdded { added_at, .. } => Some(*added_at),
            ReferralHandedOn { at, .. } => Some(*at),
            ReferralSent { referred_at, .. } => Some(*referred_at),
            ReferralStatusChanged { at, .. } => Some(*at),
            RescueRecorded { rescued_at, .. } => Some(*rescued_at),
            SupportProvided { provided_at, .. } => Some(*provided_at),
            CaseClosed { closed_at, .. } => Some(*closed_at),
            CaseReopened { reopened_at, .. } => Some(*reopened_at),
            CaseTaken { taken_at, .. } => Some(*taken_at),
            CaseAssigned { assigned_at, .. } => Some(*assigned_at),
            CaseNoteWritten { written_at, .. } => Some(*written_at),
            FollowUpCreated { created_at, .. } => Some(*created_at),
            FollowUpCompleted { completed_at, .. } => Some(*completed_at),
        }
    }
}

/// A reference data change speaks of days (its validity), not of an instant.
impl OccurredAt for crate::reference_data::ReferenceDataEvent {
    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        None
    }
}
