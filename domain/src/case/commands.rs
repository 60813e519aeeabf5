use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::casework_values::{AssignCase, CompleteFollowUp, CreateFollowUp, TakeCase, WriteNote};
use crate::sealed::Sealed;
use crate::values::{
    Agency, BirthYear, CountryCode, ExploitationType, Gender, PersonCount, PersonRole,
    ReferralOutcome, ReferralStatus, Region, Role, SupportService,
};

/// What may be asked of a Case.
#[derive(Clone, Debug, PartialEq)]
pub enum CaseCommand {
    Open(OpenCase),
    AttachCall(AttachCall),
    AttachPerson(AttachPerson),
    SendReferral(SendReferral),
    UpdateReferral(UpdateReferral),
    RecordRescue(RecordRescue),
    ProvideSupport(ProvideSupport),
    Close(CloseCase),
    Reopen(ReopenCase),
    /// Records that a person's personal data was erased (their key destroyed).
    ErasePerson(ErasePerson),
    CorrectPerson(super::casework_commands::CorrectPerson),
    RecordPersonDetails(super::casework_commands::RecordPersonDetails),
    RecordDestination(super::casework_commands::RecordDestination),
    DecideVictimStatus(super::casework_commands::DecideVictimStatus),
    AddReferralFeedback(super::casework_commands::AddReferralFeedback),
    HandOnReferral(super::casework_commands::HandOnReferral),
    Take(TakeCase),
    /// Assigning (a supervisor) and transferring (the owner) alike.
    Assign(AssignCase),
    WriteNote(WriteNote),
    CreateFollowUp(CreateFollowUp),
    CompleteFollowUp(CompleteFollowUp),
}

impl crate::reference::book::ConsultsBook for CaseCommand {
    fn consults_book(&self) -> bool {
        match self {
            CaseCommand::Open(cmd) => cmd.province.is_some(),
            CaseCommand::RecordRescue(cmd) => cmd.province.is_some(),
            CaseCommand::SendReferral(_) | CaseCommand::HandOnReferral(_) => true,
            _ => false,
        }
    }
}

impl CaseCommand {
    /// The case the command is addressed to.
    pub fn case_id(&self) -> Uuid {
        match self {
            CaseCommand::Open(c) => c.case_id,
            CaseCommand::AttachCall(c) => c.case_id,
            CaseCommand::AttachPerson(c) => c.case_id,
            CaseCommand::SendReferral(c) => c.case_id,
            CaseCommand::UpdateReferral(c) => c.case_id,
            CaseCommand::RecordRescue(c) => c.case_id,
            CaseCommand::ProvideSupport(c) => c.case_id,
            CaseCommand::Close(c) => c.case_id,
            CaseCommand::Reopen(c) => c.case_id,
            CaseCommand::ErasePerson(c) => c.case_id,
            CaseCommand::CorrectPerson(c) => c.case_id,
            CaseCommand::RecordPersonDetails(c) => c.case_id,
            CaseCommand::RecordDestination(c) => c.case_id,
            CaseCommand::DecideVictimStatus(c) => c.case_id,
            CaseCommand::AddReferralFeedback(c) => c.case_id,
            CaseCommand::HandOnReferral(c) => c.case_id,
            CaseCommand::Take(c) => c.case_id,
            CaseCommand::Assign(c) => c.case_id,
            CaseCommand::WriteNote(c) => c.case_id,
            CaseCommand::CreateFollowUp(c) => c.case_id,
            CaseCommand::CompleteFollowUp(c) => c.case_id,
        }
    }
}

/// The call a case refers to, as its own stream knows it (loaded by the caller).
#[derive(Clone, Debug, PartialEq)]
pub struct CallRef {
    pub call_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub region: Region,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NewPerson {
    pub person_id: Uuid,
    pub role: PersonRole,
    pub gender: Gender,
    pub birth_year: Option<BirthYear>,
    pub full_name: Option<Sealed>,
    pub phone: Option<Sealed>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OpenCase {
    pub case_id: Uuid,
    pub opened_at: DateTime<Utc>,
    pub from_call: Option<CallRef>,
    pub region: Option<Region>,
    pub province: Option<String>,
    pub exploitation_types: Vec<ExploitationType>,
    pub persons: Vec<NewPerson>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AttachCall {
    pub case_id: Uuid,
    pub call: CallRef,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AttachPerson {
    pub case_id: Uuid,
    pub person: NewPerson,
}

/// The consent behind a referral, as the counsellor recorded it.
#[derive(Clone, Debug, PartialEq)]
pub enum Consent {
    /// The person(s) concerned agreed.
    Given,
    /// Not given, and overridden for this reason (sealed free text).
    Overridden { reason: Sealed },
    /// Not given and not overridden: the referral must not be sent.
    Missing,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SendReferral {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub agency: Agency,
    pub referred_at: DateTime<Utc>,
    pub persons_at_risk: PersonCount,
    pub consent: Consent,
    pub reason: Option<Sealed>,
    /// The role of whoever sends it: only a supervisor may override consent.
    pub requested_by: Role,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UpdateReferral {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub status: ReferralStatus,
    pub at: DateTime<Utc>,
    pub outcome: Option<ReferralOutcome>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RecordRescue {
    pub case_id: Uuid,
    pub rescue_id: Uuid,
    pub referral_id: Uuid,
    pub rescued_at: DateTime<Utc>,
    pub persons_rescued: PersonCount,
    pub region: Option<Region>,
    pub province: Option<String>,
    pub country: Option<CountryCode>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProvideSupport {
    pub case_id: Uuid,
    pub provision_id: Uuid,
    pub person_id: Option<Uuid>,
    pub service: SupportService,
    pub provided_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CloseCase {
    pub case_id: Uuid,
    pub closed_at: DateTime<Utc>,
    pub reason: Sealed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReopenCase {
    pub case_id: Uuid,
    pub reopened_at: DateTime<Utc>,
    pub reason: Sealed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ErasePerson {
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// Why, sealed under the case's key (the person's own key is gone).
    pub reason: Sealed,
}
