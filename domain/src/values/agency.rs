//! An agency a referral goes to, by its reference-data code.
//!
//! Agencies are dated reference data (`reference/agencies.json` plus ADMIN's
//! `changeReferenceData`), so the code is open: ADMIN adds an agency (a new
//! shelter, a new ministry's department) without a release. The contract's
//! `Agency` enum is the *class* a code reports as ([`AgencyClass`]): each
//! code the repository ships is its own class, and a code ADMIN adds names
//! its class (`reportsAs`) in the reference data. The JSON form is the bare
//! code, the same string the enum wrote, so every recorded event still reads.
//!
//! The value is `Copy` (it is compared and carried everywhere a referral
//! goes): a code is interned once per process. Only codes that passed the
//! reference book or were read from the log are interned, and the interner
//! refuses more than [`MAX_INTERNED`] codes, so untrusted input cannot grow
//! it.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::DomainError;

wire_enum!(
    /// The contract's agencies: the class a referral is counted and shown
    /// under. The agency itself is an open code ([`Agency`]).
    AgencyClass {
        DepartmentOfChildren => "DEPARTMENT_OF_CHILDREN",
        CriminalPolice => "CRIMINAL_POLICE",
        BorderGuard => "BORDER_GUARD",
        CoastGuard => "COAST_GUARD",
        CommunePeoplesCommittee => "COMMUNE_PEOPLES_COMMITTEE",
        WomensUnion => "WOMENS_UNION",
        SocialWorkCentre => "SOCIAL_WORK_CENTRE",
        Ngo => "NGO",
        Consulate => "CONSULATE",
        Other => "OTHER",
    }
);

/// Longest agency code (the reference data's codes are short identifiers).
pub const MAX_CODE: usize = 40;

/// Most distinct agency codes one process keeps: far above any real
/// reference data, low enough that a flood of made-up codes stays small.
pub const MAX_INTERNED: usize = 10_000;

/// An agency's code, e.g. `CRIMINAL_POLICE` or a code ADMIN added.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Agency(&'static str);

/// The codes the repository ships as constants, named like the contract's
/// values, so code and tests can name them as before the codes were opened.
#[allow(non_upper_case_globals)]
impl Agency {
    pub const DepartmentOfChildren: Agency = Agency("DEPARTMENT_OF_CHILDREN");
    pub const CriminalPolice: Agency = Agency("CRIMINAL_POLICE");
    pub const BorderGuard: Agency = Agency("BORDER_GUARD");
    pub const CoastGuard: Agency = Agency("COAST_GUARD");
    pub const CommunePeoplesCommittee: Agency = Agency("COMMUNE_PEOPLES_COMMITTEE");
    pub const WomensUnion: Agency = Agency("WOMENS_UNION");
    pub const SocialWorkCentre: Agency = Agency("SOCIAL_WORK_CENTRE");
    pub const Ngo: Agency = Agency("NGO");
    pub const Consulate: Agency = Agency("CONSULATE");
    pub const Other: Agency = Agency("OTHER");

    /// The agencies the contract names, each its own class, in the contract's order.
    pub const ALL: &'static [Agency] = &[
        Agency::DepartmentOfChildren,
        Agency::CriminalPolice,
        Agency::BorderGuard,
        Agency::CoastGuard,
        Agency::CommunePeoplesCommittee,
        Agency::WomensUnion,
        Agency::SocialWorkCentre,
        Agency::Ngo,
        Agency::Consulate,
        Agency::Other,
    ];

    /// The code as written in events, tokens and the reference data.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The contract value this code is, when it is one (a shipped code).
    pub fn contract_class(self) -> Option<AgencyClass> {
        self.0.parse().ok()
    }

    /// The class a referral to this agency reports as: `recorded` when the
    /// event recorded one (a code ADMIN added), else the code itself; a code
    /// with neither (never written by the rules) reports as OTHER.
    pub fn class(self, recorded: Option<AgencyClass>) -> AgencyClass {
        recorded
            .or_else(|| self.contract_class())
            .unwrap_or(AgencyClass::Other)
    }
}

impl From<AgencyClass> for Agency {
    fn from(class: AgencyClass) -> Self {
        Agency(class.as_str())
    }
}

impl PartialEq<AgencyClass> for Agency {
    fn eq(&self, other: &AgencyClass) -> bool {
        self.0 == other.as_str()
    }
}

/// Whether `code` is shaped like a reference-data code: 1 to 40 of A–Z, 0–9
/// and `_`, starting with a letter.
pub fn is_code(code: &str) -> bool {
    let mut chars = code.chars();
    code.len() <= MAX_CODE
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn interned(code: &str) -> Result<&'static str, DomainError> {
    if let Some(known) = Agency::ALL.iter().find(|a| a.0 == code) {
        return Ok(known.0);
    }
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut codes = CODES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = codes.get(code) {
        return Ok(found);
    }
    if codes.len() >= MAX_INTERNED {
        return Err(unknown(code));
    }
    // Leaked on purpose: a code lives as long as the process, bounded above.
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    codes.insert(leaked);
    Ok(leaked)
}

fn unknown(code: &str) -> DomainError {
    DomainError::UnknownCode {
        kind: "Agency",
        code: code.chars().take(MAX_CODE).collect(),
    }
}

/// Parses the code's shape only; whether the agency is in force on a day is
/// the reference book's to say (`crate::reference::book`).
impl std::str::FromStr for Agency {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if !is_code(s) {
            return Err(unknown(s));
        }
        interned(s).map(Agency)
    }
}

impl std::fmt::Display for Agency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::fmt::Debug for Agency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Agency({})", self.0)
    }
}

impl Serialize for Agency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Agency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shipped_code_keeps_its_wire_form_and_is_its_own_class() {
        for &class in AgencyClass::ALL {
            let agency = Agency::from(class);
            let json = serde_json::to_string(&agency).unwrap_or_default();
            assert_eq!(json, serde_json::to_string(&class).unwrap_or_default());
            assert_eq!(serde_json::from_str::<Agency>(&json).ok(), Some(agency));
            assert_eq!(agency.class(None), class);
        }
        assert_eq!(Agency::ALL.len(), AgencyClass::ALL.len());
    }

    #[test]
    fn a_new_code_reads_and_reports_as_its_recorded_class() {
        let shelter: Agency = "HA_NOI_SHELTER_2".parse().expect("a code");
        assert_eq!(shelter.as_str(), "HA_NOI_SHELTER_2");
        assert_eq!(shelter.contract_class(), None);
        assert_eq!(
            shelter.class(Some(AgencyClass::SocialWorkCentre)),
            AgencyClass::SocialWorkCentre
        );
        for bad in ["", "lower", "1ST", "WITH SPACE", &"A".repeat(41)] {
            assert!(bad.parse::<Agency>().is_err(), "{bad:?}");
        }
    }
}
