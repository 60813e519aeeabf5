//! The reference book: the reference data the rules check codes against,
//! handed to them with the clock (`crate::clock::Clock::book`), because the
//! domain does no I/O. It is the repository's data (`dated::base`) with
//! ADMIN's dated changes (the `ReferenceData` stream) applied over them, and
//! it answers for one day: the day the thing happened. A code not in force
//! that day is refused with a message naming it, whatever holds today.

use chrono::{DateTime, NaiveDate, Utc};

use super::dated::{base, history, Change, Entry, ReferenceKind};
use super::vietnam_day;
use crate::error::DomainError;
use crate::values::{Agency, AgencyClass, CallCategory, CounsellingTopic, Region};

/// The attribute by which a code ADMIN added names the contract value it
/// reports as (AGENCY, CALL_CATEGORY, COUNSELLING_TOPIC).
pub const REPORTS_AS: &str = "reportsAs";

/// The repository's reference data and ADMIN's changes, in recorded order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReferenceBook {
    changes: Vec<Change>,
}

/// Whether deciding a command checks a code against the book (a province,
/// an agency), so that the api loads ADMIN's changes for those commands only.
pub trait ConsultsBook {
    fn consults_book(&self) -> bool;
}

/// A province found in the book: its code and the region it lay in that day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvinceOnDay {
    pub code: String,
    pub region: Region,
}

impl ReferenceBook {
    /// The book with ADMIN's changes (`ReferenceData::changes`); with none,
    /// the repository's data alone (`ReferenceBook::default()`).
    pub fn new(changes: Vec<Change>) -> Self {
        Self { changes }
    }

    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The entry `(kind, code)` as it stood on `day`, if in force then.
    pub fn entry_on(&self, kind: ReferenceKind, code: &str, day: NaiveDate) -> Option<Entry> {
        let mut entry = base()
            .iter()
            .find(|e| e.kind == kind && e.code == code && e.in_force_on(day))
            .cloned();
        // Later changes win, as in `dated::on_day`.
        for change in self
            .changes
            .iter()
            .filter(|c| c.kind == kind && c.code == code && c.covers(day))
        {
            entry = change.entry.clone();
        }
        entry
    }

    /// Every version of `(kind, code)` the book knows, with its validity.
    pub fn versions(&self, kind: ReferenceKind, code: &str) -> Vec<Entry> {
        history(kind, &self.changes)
            .into_iter()
            .filter(|e| e.code == code)
            .collect()
    }

    /// Whether the book knows `(kind, code)` on any day.
    pub fn knows(&self, kind: ReferenceKind, code: &str) -> bool {
        !self.versions(kind, code).is_empty()
    }

    /// A province as it stood on `day`, with its region; refused when it was
    /// not in force: merged (naming its successor), not yet valid, or unknown.
    pub fn province_on(&self, code: &str, day: NaiveDate) -> Result<ProvinceOnDay, DomainError> {
        let region = self
            .entry_on(ReferenceKind::Province, code, day)
            .and_then(|e| e.attributes.get("region")?.parse::<Region>().ok());
        if let Some(region) = region {
            return Ok(ProvinceOnDay {
                code: code.to_string(),
                region,
            });
        }
        let versions = self.versions(ReferenceKind::Province, code);
        if versions.is_empty() {
            return Err(DomainError::UnknownProvince {
                province: code.chars().take(40).collect(),
            });
        }
        let merged = versions.iter().find_map(|v| {
            let to = v.valid_to.filter(|to| *to < day)?;
            Some((v.attributes.get("successor")?.clone(), to.succ_opt()?))
        });
        if let Some((successor, since)) = merged {
            return Err(DomainError::ProvinceMerged {
                province: code.to_string(),
                successor,
                since: since.to_string(),
            });
        }
        let from = versions
            .iter()
            .filter_map(|v| v.valid_from.filter(|from| *from > day))
            .min();
        if let Some(since) = from {
            return Err(DomainError::ProvinceNotYetValid {
                province: code.to_string(),
                since: since.to_string(),
            });
        }
        Err(not_in_force("province", code, day))
    }

    /// The class a referral to `agency` on `day` reports as; refused when
    /// the agency is unknown or not in force that day.
    pub fn agency_on(&self, agency: Agency, day: NaiveDate) -> Result<AgencyClass, DomainError> {
        let code = agency.as_str();
        let Some(entry) = self.entry_on(ReferenceKind::Agency, code, day) else {
            if self.knows(ReferenceKind::Agency, code) {
                return Err(not_in_force("agency", code, day));
            }
            return Err(DomainError::UnknownCode {
                kind: "Agency",
                code: code.to_string(),
            });
        };
        // An entry with no class (the hotline's own switchboard) takes no referral.
        agency
            .contract_class()
            .or_else(|| entry.attributes.get(REPORTS_AS)?.parse().ok())
            .ok_or_else(|| DomainError::UnknownCode {
                kind: "Agency",
                code: code.to_string(),
            })
    }

    /// What a referral's event records of `agency` at `at`: refused when
    /// the agency is not in force on that Vietnamese day; the class for a
    /// code ADMIN added, nothing for a contract value (its own class).
    pub fn recorded_class(
        &self,
        agency: Agency,
        at: DateTime<Utc>,
    ) -> Result<Option<AgencyClass>, DomainError> {
        let class = self.agency_on(agency, vietnam_day(at))?;
        Ok(agency.contract_class().is_none().then_some(class))
    }
    /// The codes ADMIN added of `kind` that reported as `class` on some day
    /// (sorted, once each): what a filter by a class also matches.
    pub fn added_reporting_as(&self, kind: ReferenceKind, class: &str) -> Vec<String> {
        let mut codes: Vec<String> = self
            .changes
            .iter()
            .filter_map(|c| c.entry.as_ref())
            .filter(|e| e.kind == kind && e.code != class)
            .filter(|e| e.attributes.get(REPORTS_AS).is_some_and(|r| r == class))
            .map(|e| e.code.clone())
            .collect();
        codes.sort();
        codes.dedup();
        codes
    }

    /// The class a call category code reports as on `day`: the code itself
    /// for a contract value, its `reportsAs` for a code ADMIN added; refused
    /// when the code is unknown or not in force that day.
    pub fn category_on(&self, code: &str, day: NaiveDate) -> Result<CallCategory, DomainError> {
        self.class_on(ReferenceKind::CallCategory, "call category", code, day)
    }

    /// The class a counselling topic code reports as on `day` (as `category_on`).
    pub fn topic_on(&self, code: &str, day: NaiveDate) -> Result<CounsellingTopic, DomainError> {
        self.class_on(
            ReferenceKind::CounsellingTopic,
            "counselling topic",
            code,
            day,
        )
    }

    fn class_on<C: std::str::FromStr>(
        &self,
        kind: ReferenceKind,
        name: &'static str,
        code: &str,
        day: NaiveDate,
    ) -> Result<C, DomainError> {
        let Some(entry) = self.entry_on(kind, code, day) else {
            if self.knows(kind, code) {
                return Err(not_in_force(name, code, day));
            }
            return Err(DomainError::UnknownCode {
                kind: name,
                code: code.chars().take(40).collect(),
            });
        };
        code.parse()
            .ok()
            .or_else(|| entry.attributes.get(REPORTS_AS)?.parse().ok())
            .ok_or_else(|| DomainError::UnknownCode {
                kind: name,
                code: code.chars().take(40).collect(),
            })
    }
}

fn not_in_force(kind: &'static str, code: &str, day: NaiveDate) -> DomainError {
    DomainError::NotInForce {
        kind,
        code: code.chars().take(40).collect(),
        day: day.to_string(),
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_repository_book_answers_as_the_compiled_map() {
        let book = ReferenceBook::default();
        let hanoi = book.province_on("HA_NOI", day("2019-03-01"));
        assert_eq!(hanoi.map(|p| p.region), Ok(Region::RedRiverDelta));
        let merged = book.province_on("HA_GIANG", day("2025-07-01"));
        assert!(
            matches!(merged, Err(DomainError::ProvinceMerged { ref successor, .. }) if successor == "TUYEN_QUANG")
        );
        assert!(matches!(
            book.province_on("ATLANTIS", day("2025-07-01")),
            Err(DomainError::UnknownProvince { .. })
        ));
        assert_eq!(
            book.agency_on(Agency::CriminalPolice, day("2019-03-01")),
            Ok(AgencyClass::CriminalPolice)
        );
    }

    #[test]
    fn a_new_province_and_agency_are_in_force_from_their_first_day_only() {
        let shelter: Agency = "HA_NOI_SHELTER".parse().expect("a code");
        let book = ReferenceBook::new(vec![
            Change::added(
                ReferenceKind::Province,
                "DAO_MOI",
                "2026-01-01",
                &[("region", "SOUTHEAST")],
            ),
            Change::added(
                ReferenceKind::Agency,
                shelter.as_str(),
                "2026-01-01",
                &[("ministry", "MINISTRY_OF_HEALTH"), (REPORTS_AS, "NGO")],
            ),
        ]);
        let before = book.province_on("DAO_MOI", day("2025-12-31"));
        assert!(
            matches!(before, Err(DomainError::ProvinceNotYetValid { ref since, .. }) if since == "2026-01-01")
        );
        assert_eq!(
            book.province_on("DAO_MOI", day("2026-01-01"))
                .map(|p| p.region),
            Ok(Region::Southeast)
        );
        let refused = book.agency_on(shelter, day("2025-12-31"));
        assert!(refused.is_err_and(|e| e.to_string().contains("HA_NOI_SHELTER")));
        assert_eq!(
            book.agency_on(shelter, day("2026-01-01")),
            Ok(AgencyClass::Ngo)
        );
        let unknown: Agency = "NOBODY".parse().expect("a code");
        assert!(matches!(
            book.agency_on(unknown, day("2026-01-01")),
            Err(DomainError::UnknownCode { .. })
        ));
    }
}
