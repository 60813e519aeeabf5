//! Who may do what: the role table of DESIGN.md, in one place.
//!
//! Every resolver asks here before it touches a store; nothing else in the
//! API decides on roles. Agency scoping (an AGENCY sees only referrals sent
//! to its own agency) is checked where the referral is known.

use domain::values::{Agency, Role};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Take calls, counsel, open cases, attach calls and persons, send referrals, provide support.
    RecordCasework,
    /// Move a referral along its lifecycle and record rescues on it.
    HandleReferrals,
    /// Close and reopen cases.
    CloseCases,
    /// Read calls and cases, personal data included.
    ReadCasework,
    /// List referrals (agencies: only their own).
    ReadReferrals,
    /// Read event histories of cases and calls.
    ReadHistories,
    /// Recompute the hash chains.
    VerifyIntegrity,
    /// Read statistics.
    ReadStatistics,
    /// Read projection status.
    ReadProjections,
    /// Erase a person's personal data.
    ErasePersons,
    /// Read the access log of personal data.
    ReadAccessLog,
    /// Read the reference data (provinces, regions): every role, since every role reads codes.
    ReadReferenceData,
    /// Read the transparency log's root and proofs (docs/AUDIT.md).
    ReadTransparencyLog,
    /// Correct a call's facts or a person's details (a closed case: SUPERVISOR only, in the domain).
    CorrectCasework,
    /// Read a referral's packet (agencies: only the referrals they hold now).
    ReadReferralPackets,
    /// Add feedback to a referral or hand it on to another agency: its holder only.
    AnswerReferrals,
    /// Take an unassigned case: the taker owns it.
    TakeCases,
    /// Assign any case to a counsellor.
    AssignCases,
    /// Hand a case to another counsellor (a COUNSELLOR only their own: the domain checks).
    TransferCases,
    /// Read case queues (a COUNSELLOR: their own and the unassigned; see `require_queue`).
    ReadQueues,
    /// Write notes on a case's timeline.
    WriteNotes,
    /// Read case notes and counselling notes (an AUDITOR sees them redacted).
    ReadNotes,
    /// Create, complete and list follow-ups (a COUNSELLOR on their own cases and tasks).
    ManageFollowUps,
    /// See referrals an agency has not acknowledged in time.
    ReadOverdueReferrals,
    /// Follow cases live (`caseUpdated`): what changed, never the content.
    FollowCases,
    /// Follow calls live (`callReceived`, the live board).
    FollowCalls,
    /// Find the cases of a person by exact phone or full name (blind index).
    LookUpPersons,
    /// Record dated changes of reference data (provinces, agencies and their ministries, ...).
    ChangeReferenceData,
}

impl Capability {
    /// Every capability, in the order of README's roles table (tested against it).
    pub const ALL: [Capability; 27] = [
        Capability::RecordCasework,
        Capability::ReadCasework,
        Capability::ReadReferrals,
        Capability::HandleReferrals,
        Capability::CloseCases,
        Capability::ReadHistories,
        Capability::VerifyIntegrity,
        Capability::ReadStatistics,
        Capability::ReadProjections,
        Capability::ReadAccessLog,
        Capability::ErasePersons,
        Capability::ReadTransparencyLog,
        Capability::CorrectCasework,
        Capability::ReadReferralPackets,
        Capability::AnswerReferrals,
        Capability::TakeCases,
        Capability::AssignCases,
        Capability::TransferCases,
        Capability::ReadQueues,
        Capability::WriteNotes,
        Capability::ReadNotes,
        Capability::ManageFollowUps,
        Capability::ReadOverdueReferrals,
        Capability::FollowCases,
        Capability::FollowCalls,
        Capability::LookUpPersons,
        Capability::ChangeReferenceData,
    ];

    /// In the hotline's words: FORBIDDEN messages and README's roles table say this.
    pub fn describe(self) -> &'static str {
        match self {
            Capability::RecordCasework => "record casework",
            Capability::HandleReferrals => "update referrals or record rescues",
            Capability::CloseCases => "close or reopen cases",
            Capability::ReadCasework => "read calls and cases",
            Capability::ReadReferrals => "list referrals",
            Capability::ReadHistories => "read case and call histories",
            Capability::VerifyIntegrity => "verify integrity",
            Capability::ReadStatistics => "read statistics",
            Capability::ReadProjections => "read projection status",
            Capability::ErasePersons => "erase personal data",
            Capability::ReadAccessLog => "read the access log",
            Capability::ReadReferenceData => "read reference data",
            Capability::ReadTransparencyLog => "read transparency log proofs",
            Capability::CorrectCasework => "correct calls and persons",
            Capability::ReadReferralPackets => "read referral packets",
            Capability::AnswerReferrals => "add referral feedback or hand referrals on",
            Capability::TakeCases => "take unassigned cases",
            Capability::AssignCases => "assign cases",
            Capability::TransferCases => "hand a case to another counsellor",
            Capability::ReadQueues => "read case queues",
            Capability::WriteNotes => "write case notes",
            Capability::ReadNotes => "read case and counselling notes",
            Capability::ManageFollowUps => "create, complete and list follow-ups",
            Capability::ReadOverdueReferrals => "see overdue referrals",
            Capability::FollowCases => "follow cases live",
            Capability::FollowCalls => "follow calls live",
            Capability::LookUpPersons => "look up persons by phone or name",
            Capability::ChangeReferenceData => "change reference data",
        }
    }
}

/// Whether `role` has `capability` at all (agency scoping aside).
pub fn allows(role: Role, capability: Capability) -> bool {
    use Capability::*;
    use Role::*;
    match capability {
        RecordCasework | ReadCasework => matches!(role, Counsellor | Supervisor),
        HandleReferrals => matches!(role, Supervisor | Agency),
        CloseCases => matches!(role, Supervisor),
        ReadReferrals => matches!(role, Counsellor | Supervisor | Agency),
        ReadHistories => matches!(role, Supervisor | Auditor),
        VerifyIntegrity => matches!(role, Supervisor | Auditor | Admin),
        ReadStatistics => matches!(role, Counsellor | Supervisor | Auditor | Analyst),
        ReadProjections => matches!(role, Supervisor | Auditor | Admin),
        ErasePersons => matches!(role, Admin),
        ReadAccessLog => matches!(role, Auditor),
        ReadReferenceData => true,
        ReadTransparencyLog => matches!(role, Auditor),
        CorrectCasework => matches!(role, Counsellor | Supervisor),
        ReadReferralPackets => matches!(role, Counsellor | Supervisor | Agency),
        AnswerReferrals => matches!(role, Agency),
        TakeCases => matches!(role, Counsellor),
        AssignCases | ReadOverdueReferrals => matches!(role, Supervisor),
        TransferCases | ReadQueues | WriteNotes | ManageFollowUps => {
            matches!(role, Counsellor | Supervisor)
        }
        ReadNotes => matches!(role, Counsellor | Supervisor | Auditor),
        // The AUDITOR reads case histories, so may see that a case changed.
        FollowCases => matches!(role, Counsellor | Supervisor | Auditor),
        FollowCalls | LookUpPersons => matches!(role, Counsellor | Supervisor),
        ChangeReferenceData => matches!(role, Admin),
    }
}

/// A COUNSELLOR reads their own queue (and the unassigned one); a SUPERVISOR every queue.
pub fn require_queue(principal: &Principal, owner: &str) -> ApiResult<()> {
    require(principal, Capability::ReadQueues)?;
    if principal.role == Role::Supervisor || principal.subject == owner {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only a SUPERVISOR reads another counsellor's queue".into(),
        ))
    }
}

/// Whose follow-ups a list shows: a COUNSELLOR only their own, a SUPERVISOR everyone's.
pub fn follow_ups_of(principal: &Principal) -> ApiResult<Option<String>> {
    require(principal, Capability::ManageFollowUps)?;
    Ok(match principal.role {
        Role::Supervisor => None,
        _ => Some(principal.subject.clone()),
    })
}

pub fn require(principal: &Principal, capability: Capability) -> ApiResult<()> {
    if allows(principal.role, capability) {
        Ok(())
    } else {
        Err(ApiError::forbidden(capability.describe()))
    }
}

/// An AGENCY principal acts only on referrals sent to its own agency.
pub fn require_agency_scope(principal: &Principal, referral_agency: Agency) -> ApiResult<()> {
    match (principal.role, principal.agency) {
        (Role::Agency, Some(own)) if own == referral_agency => Ok(()),
        (Role::Agency, _) => Err(ApiError::Forbidden(
            "this referral was sent to another agency".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether the principal may read personal data in clear.
pub fn sees_personal_data(principal: &Principal) -> bool {
    matches!(principal.role, Role::Counsellor | Role::Supervisor)
}
