//! Dated reference data of every kind, as one list of entries with their
//! validity: the compiled province and region tables, and the data files of
//! `reference/*.json` in the repository (agencies with their ministry,
//! ministries, call categories, counselling topics), embedded at build time.
//! ADMIN changes them through `ReferenceDataChanged` events (module
//! `crate::reference_data`); [`on_day`] applies those changes over the files.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{region_names, PROVINCES};
use crate::values::Region;

/// What a reference entry describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReferenceKind {
    Province,
    Region,
    Agency,
    Ministry,
    CallCategory,
    CounsellingTopic,
}

impl ReferenceKind {
    pub const ALL: [ReferenceKind; 6] = [
        ReferenceKind::Province,
        ReferenceKind::Region,
        ReferenceKind::Agency,
        ReferenceKind::Ministry,
        ReferenceKind::CallCategory,
        ReferenceKind::CounsellingTopic,
    ];

    /// Whether `code` is a value of the contract's enum for this kind (its
    /// own class); `None` for a kind without one (ministries, provinces:
    /// provinces are open codes, classed by their region).
    pub fn contract_value(self, code: &str) -> Option<bool> {
        use crate::values::{AgencyClass, CallCategory, CounsellingTopic};
        match self {
            ReferenceKind::Agency => Some(code.parse::<AgencyClass>().is_ok()),
            ReferenceKind::CallCategory => Some(code.parse::<CallCategory>().is_ok()),
            ReferenceKind::CounsellingTopic => Some(code.parse::<CounsellingTopic>().is_ok()),
            ReferenceKind::Region => Some(code.parse::<Region>().is_ok()),
            ReferenceKind::Province | ReferenceKind::Ministry => None,
        }
    }

    /// The attributes an entry of this kind carries, and which are required.
    pub fn attributes(self) -> &'static [(&'static str, bool)] {
        match self {
            ReferenceKind::Province => &[("region", true), ("successor", false)],
            ReferenceKind::Agency => &[("ministry", true), ("reportsAs", false)],
            ReferenceKind::CallCategory | ReferenceKind::CounsellingTopic => {
                &[("reportsAs", false)]
            }
            ReferenceKind::Region | ReferenceKind::Ministry => &[],
        }
    }
}

/// One entry as it stood over its validity (inclusive days; `None`: open-ended).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(default = "no_kind")]
    pub kind: ReferenceKind,
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub english_name: Option<String>,
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    #[serde(default)]
    pub valid_to: Option<NaiveDate>,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

fn no_kind() -> ReferenceKind {
    ReferenceKind::Agency
}

impl Entry {
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// A data file of `reference/`.
#[derive(Deserialize)]
struct DataFile {
    kind: ReferenceKind,
    entries: Vec<Entry>,
}

/// The data files, embedded: versioned with the repository.
const FILES: [&str; 4] = [
    include_str!("../../../reference/agencies.json"),
    include_str!("../../../reference/ministries.json"),
    include_str!("../../../reference/call_categories.json"),
    include_str!("../../../reference/counselling_topics.json"),
];

/// Every entry the repository ships, provinces and regions included.
pub fn base() -> &'static [Entry] {
    static BASE: OnceLock<Vec<Entry>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut entries: Vec<Entry> = PROVINCES
            .iter()
            .map(|p| Entry {
                kind: ReferenceKind::Province,
                code: p.code.to_string(),
                name: p.name.to_string(),
                english_name: None,
                valid_from: p.valid_from(),
                valid_to: p.valid_to(),
                attributes: [
                    ("region", Some(p.region.as_str())),
                    ("successor", p.merged_into),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
                .collect(),
            })
            .collect();
        entries.extend(Region::ALL.iter().map(|&r| {
            let names = region_names(r);
            Entry {
                kind: ReferenceKind::Region,
                code: r.as_str().to_string(),
                name: names.vietnamese.to_string(),
                english_name: Some(names.english.to_string()),
                valid_from: None,
                valid_to: None,
                attributes: BTreeMap::new(),
            }
        }));
        for text in FILES {
            // The files are part of the build and checked by the tests below:
            // an unreadable one is a build defect, shown as no entries.
            if let Ok(file) = serde_json::from_str::<DataFile>(text) {
                entries.extend(file.entries.into_iter().map(|e| Entry {
                    kind: file.kind,
                    ..e
                }));
            }
        }
        entries
    })
}

/// Whether the repository's data knows `(kind, code)` at all.
pub fn is_known(kind: ReferenceKind, code: &str) -> bool {
    base().iter().any(|e| e.kind == kind && e.code == code)
}

/// A change over `[valid_from, valid_to]`: the entry then reads as `entry`,
/// or is not in force at all (`None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: ReferenceKind,
    pub code: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub entry: Option<Entry>,
}

impl Change {
    pub(crate) fn covers(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day <= to)
    }

    /// The tests' shorthand for ADMIN adding `code` from `from` (YYYY-MM-DD)
    /// on, open-ended, with `attributes`.
    #[cfg(test)]
    pub(crate) fn added(
        kind: ReferenceKind,
        code: &str,
        from: &str,
        attributes: &[(&str, &str)],
    ) -> Change {
        let valid_from = from.parse().expect("a date");
        Change {
            kind,
            code: code.into(),
            valid_from,
            valid_to: None,
            entry: Some(Entry {
                kind,
                code: code.into(),
                name: "mới".into(),
                english_name: None,
                valid_from: Some(valid_from),
                valid_to: None,
                attributes: attributes
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
        }
    }
}

/// The entries of `kind` in force on `day`: the repository's, then every
/// change covering the day, in the order they were recorded (a later
/// change wins). Sorted as the files and tables list them.
pub fn on_day(kind: ReferenceKind, day: NaiveDate, changes: &[Change]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = base()
        .iter()
        .filter(|e| e.kind == kind && e.in_force_on(day))
        .cloned()
        .collect();
    for change in changes.iter().filter(|c| c.kind == kind && c.covers(day)) {
        let at = entries.iter().position(|e| e.code == change.code);
        match (&change.entry, at) {
            (Some(entry), Some(i)) => entries[i] = entry.clone(),
            (Some(entry), None) => entries.push(entry.clone()),
            (None, Some(i)) => {
                entries.remove(i);
            }
            (None, None) => {}
        }
    }
    entries
}

/// Every entry of `kind` with its validity: the repository's, and each change as its own version.
pub fn history(kind: ReferenceKind, changes: &[Change]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = base().iter().filter(|e| e.kind == kind).cloned().collect();
    entries.extend(
        changes
            .iter()
            .filter(|c| c.kind == kind)
            .filter_map(|c| c.entry.clone()),
    );
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn every_data_file_reads_and_covers_its_codes() {
        for text in FILES {
            let file: Result<DataFile, _> = serde_json::from_str(text);
            assert!(file.is_ok(), "{:?}", file.err());
        }
        for agency in crate::values::AgencyClass::ALL {
            assert!(is_known(ReferenceKind::Agency, agency.as_str()), "{agency}");
        }
        for category in crate::values::CallCategory::ALL {
            assert!(is_known(ReferenceKind::CallCategory, category.as_str()));
        }
        for topic in crate::values::CounsellingTopic::ALL {
            assert!(is_known(ReferenceKind::CounsellingTopic, topic.as_str()));
        }
        // Every ministry an agency names is a ministry of the data.
        for e in base().iter().filter(|e| e.kind == ReferenceKind::Agency) {
            let ministry = e.attributes.get("ministry").cloned().unwrap_or_default();
            assert!(is_known(ReferenceKind::Ministry, &ministry), "{ministry}");
        }
    }

    #[test]
    fn molisa_bodies_move_to_home_affairs_and_the_switchboard_to_health() {
        let ministry = |code: &str, on: &str| {
            on_day(ReferenceKind::Agency, day(on), &[])
                .into_iter()
                .find(|e| e.code == code)
                .and_then(|e| e.attributes.get("ministry").cloned())
        };
        assert_eq!(
            ministry("DEPARTMENT_OF_CHILDREN", "2025-02-28").as_deref(),
            Some("MOLISA")
        );
        assert_eq!(
            ministry("DEPARTMENT_OF_CHILDREN", "2025-03-01").as_deref(),
            Some("MINISTRY_OF_HOME_AFFAIRS")
        );
        assert_eq!(
            ministry("HOTLINE_111", "2025-08-31").as_deref(),
            Some("MINISTRY_OF_HOME_AFFAIRS")
        );
        assert_eq!(
            ministry("HOTLINE_111", "2025-09-01").as_deref(),
            Some("MINISTRY_OF_HEALTH")
        );
        assert_eq!(
            on_day(ReferenceKind::Province, day("2025-06-30"), &[]).len(),
            63
        );
        assert_eq!(
            on_day(ReferenceKind::Province, day("2025-07-01"), &[]).len(),
            34
        );
        let molisa = on_day(ReferenceKind::Ministry, day("2025-03-01"), &[]);
        assert!(molisa.iter().all(|m| m.code != "MOLISA"));
    }

    #[test]
    fn a_change_applies_over_its_validity_only_and_a_later_one_wins() {
        let renamed = |name: &str| Entry {
            kind: ReferenceKind::Agency,
            code: "NGO".into(),
            name: name.into(),
            english_name: None,
            valid_from: Some(day("2026-01-01")),
            valid_to: None,
            attributes: [("ministry".to_string(), "NON_GOVERNMENTAL".to_string())].into(),
        };
        let change = |name: &str| Change {
            kind: ReferenceKind::Agency,
            code: "NGO".into(),
            valid_from: day("2026-01-01"),
            valid_to: None,
            entry: Some(renamed(name)),
        };
        let changes = [change("first"), change("second")];
        let name_on = |on: &str| {
            on_day(ReferenceKind::Agency, day(on), &changes)
                .into_iter()
                .find(|e| e.code == "NGO")
                .map(|e| e.name)
        };
        assert_eq!(
            name_on("2025-12-31").as_deref(),
            Some("Tổ chức phi chính phủ")
        );
        assert_eq!(name_on("2026-01-01").as_deref(), Some("second"));
        let withdrawn = [Change {
            entry: None,
            ..change("gone")
        }];
        assert!(on_day(ReferenceKind::Agency, day("2026-02-01"), &withdrawn)
            .iter()
            .all(|e| e.code != "NGO"));
    }
}
