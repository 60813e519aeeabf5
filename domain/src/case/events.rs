//! The Case's events: a wire format. Names and fields never change; a new
//! shape is a new version with an upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sealed::Sealed;
use crate::values::{
    Agency, ExploitationType, Gender, PersonRole, ReferralOutcome, ReferralStatus, Region,
    SupportService,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CaseEvent {
    CaseOpened {
        case_id: Uuid,
        opened_at: DateTime<Utc>,
        from_call_id: Option<Uuid>,
        region: Region,
        province: Option<String>,
        exploitation_types: Vec<ExploitationType>,
    },
    PersonAttached {
        person_id: Uuid,
        role: PersonRole,
        gender: Gender,
        birth_year: Option<u16>,
        full_name: Option<Sealed>,
        phone: Option<Sealed>,
    },
    CallAttached {
        call_id: Uuid,
    },
    ReferralSent {
        referral_id: Uuid,
        agency: Agency,
        referred_at: DateTime<Utc>,
        persons_at_risk: u16,
        consent_given: bool,
        override_reason: Option<Sealed>,
        reason: Option<Sealed>,
    },
    ReferralStatusChanged {
        referral_id: Uuid,
        from: ReferralStatus,
        to: ReferralStatus,
        at: DateTime<Utc>,
        outcome: Option<ReferralOutcome>,
    },
    RescueRecorded {
        rescue_id: Uuid,
        referral_id: Uuid,
        rescued_at: DateTime<Utc>,
        persons_rescued: u16,
        region: Region,
        province: Option<String>,
        country: Option<String>,
    },
    SupportProvided {
        provision_id: Uuid,
        person_id: Option<Uuid>,
        service: SupportService,
        provided_at: DateTime<Utc>,
    },
    CaseClosed {
        closed_at: DateTime<Utc>,
        reason: Sealed,
    },
    CaseReopened {
        reopened_at: DateTime<Utc>,
        reason: Sealed,
    },
    /// The person's data key was destroyed: their sealed data reads as erased from now on.
    PersonErased {
        person_id: Uuid,
        reason: Sealed,
    },
    /// A counsellor took the unassigned case: they own it from now on.
    CaseTaken {
        owner: String,
        taken_at: DateTime<Utc>,
    },
    /// The case changed hands: a supervisor assigned it, or its owner
    /// transferred it, for a reason (sealed: it may speak of the persons).
    CaseAssigned {
        owner: String,
        previous_owner: Option<String>,
        assigned_at: DateTime<Utc>,
        reason: Sealed,
    },
    /// A note on the case's timeline; notes are never edited or removed.
    CaseNoteWritten {
        note_id: Uuid,
        author: String,
        written_at: DateTime<Utc>,
        text: Sealed,
    },
    /// A task on the case for `assignee`, due at `due_at`.
    FollowUpCreated {
        follow_up_id: Uuid,
        assignee: String,
        created_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
        description: Sealed,
    },
    FollowUpCompleted {
        follow_up_id: Uuid,
        completed_by: String,
        completed_at: DateTime<Utc>,
    },
}

impl DomainEvent for CaseEvent {
    fn event_type(&self) -> String {
        match self {
            CaseEvent::CaseOpened { .. } => "CaseOpened",
            CaseEvent::PersonAttached { .. } => "PersonAttached",
            CaseEvent::CallAttached { .. } => "CallAttached",
            CaseEvent::ReferralSent { .. } => "ReferralSent",
            CaseEvent::ReferralStatusChanged { .. } => "ReferralStatusChanged",
            CaseEvent::RescueRecorded { .. } => "RescueRecorded",
            CaseEvent::SupportProvided { .. } => "SupportProvided",
            CaseEvent::CaseClosed { .. } => "CaseClosed",
            CaseEvent::CaseReopened { .. } => "CaseReopened",
            CaseEvent::PersonErased { .. } => "PersonErased",
            CaseEvent::CaseTaken { .. } => "CaseTaken",
            CaseEvent::CaseAssigned { .. } => "CaseAssigned",
            CaseEvent::CaseNoteWritten { .. } => "CaseNoteWritten",
            CaseEvent::FollowUpCreated { .. } => "FollowUpCreated",
            CaseEvent::FollowUpCompleted { .. } => "FollowUpCompleted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1.0".to_string()
    }
}
