//! What the casework beyond the first recording asks of a case:
//! corrections, trafficking facts, and the holding agency's work on a
//! referral. The rules are in `corrections.rs`, `facts.rs`, `agencies.rs`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::sealed::Sealed;
use crate::values::{Agency, BirthYear, CountryCode, Gender, PersonRole, Role, VictimStatus};

/// Correct some of a person's details; `None` leaves a detail as recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectPerson {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub role: Option<PersonRole>,
    pub gender: Option<Gender>,
    pub birth_year: Option<BirthYear>,
    pub full_name: Option<Sealed>,
    pub phone: Option<Sealed>,
    /// Why (free text, sealed under the case's key).
    pub reason: Sealed,
    /// Who asks: a closed case is corrected by a SUPERVISOR only.
    pub requested_by: Role,
}

/// A person's nationality (a code: counted, not personal on its own) and
/// ethnicity (sealed under the person's key: special-category data).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordPersonDetails {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub nationality: Option<CountryCode>,
    pub ethnicity: Option<Sealed>,
}

/// The country where the exploitation takes (or took) place.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDestination {
    pub case_id: Uuid,
    pub country: CountryCode,
}

/// An authority's decision on whether a person is a victim.
#[derive(Clone, Debug, PartialEq)]
pub struct DecideVictimStatus {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub status: VictimStatus,
    pub authority: Agency,
    pub decided_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AddReferralFeedback {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub feedback_id: Uuid,
    /// The agency writing: the referral's holder.
    pub agency: Agency,
    pub added_at: DateTime<Utc>,
    /// The note (free text, sealed under the case's key).
    pub note: Sealed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HandOnReferral {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    /// The agency handing it on: must hold the referral now.
    pub by: Agency,
    pub to: Agency,
    pub at: DateTime<Utc>,
    /// Why (free text, sealed under the case's key).
    pub reason: Option<Sealed>,
}
