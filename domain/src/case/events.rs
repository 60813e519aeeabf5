//! The Case's events: a wire format. Names and fields never change; a new
//! shape is a new version with an upcaster.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sealed::Sealed;
use crate::values::{
    Agency, AgencyClass, CorrectedField, ExploitationType, Gender, PersonRole, ReferralOutcome,
    ReferralStatus, Region, SupportService, VictimStatus,
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
        /// For an agency ADMIN added: the contract value it reports as,
        /// fixed as it stood that day (absent, as in every referral sent
        /// before codes were opened, when the code is a contract value).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reports_as: Option<AgencyClass>,
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
    /// A correction of a person's details: the fields it names, their new
    /// values (name and phone sealed under the person's key), and why.
    PersonCorrected {
        person_id: Uuid,
        corrects: Vec<CorrectedField>,
        role: Option<PersonRole>,
        gender: Option<Gender>,
        birth_year: Option<u16>,
        full_name: Option<Sealed>,
        phone: Option<Sealed>,
        reason: Sealed,
    },
    /// Nationality (ISO 3166-1 alpha-2) and ethnicity (sealed) of a person.
    PersonDetailsRecorded {
        person_id: Uuid,
        nationality: Option<String>,
        ethnicity: Option<Sealed>,
    },
    /// The country of exploitation (ISO 3166-1 alpha-2).
    DestinationRecorded {
        country: String,
    },
    /// An authority decided whether a person is a victim.
    VictimStatusDecided {
        person_id: Uuid,
        status: VictimStatus,
        authority: Agency,
        decided_at: DateTime<Utc>,
    },
    /// The agency holding a referral wrote to the hotline (sealed note).
    ReferralFeedbackAdded {
        feedback_id: Uuid,
        referral_id: Uuid,
        agency: Agency,
        added_at: DateTime<Utc>,
        note: Sealed,
    },
    /// The referral moved from one agency to another: same referral, same
    /// case; the new holder receives it as SENT.
    ReferralHandedOn {
        referral_id: Uuid,
        from: Agency,
        to: Agency,
        /// As in `ReferralSent`, for `to`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reports_as: Option<AgencyClass>,
        at: DateTime<Utc>,
        reason: Option<Sealed>,
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
            CaseEvent::PersonCorrected { .. } => "PersonCorrected",
            CaseEvent::PersonDetailsRecorded { .. } => "PersonDetailsRecorded",
            CaseEvent::DestinationRecorded { .. } => "DestinationRecorded",
            CaseEvent::VictimStatusDecided { .. } => "VictimStatusDecided",
            CaseEvent::ReferralFeedbackAdded { .. } => "ReferralFeedbackAdded",
            CaseEvent::ReferralHandedOn { .. } => "ReferralHandedOn",
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
