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
    /// Record dated changes of reference data (provinces, agencies and their ministries, ...).
    ChangeReferenceData,
}

impl Capability {
    /// Every capability, in the order of README's roles table (tested against it).
    pub const ALL: [Capability; 13] = [
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
        ChangeReferenceData => matches!(role, Admin),
    }
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
