//! Given/when/then: reference data changes ADMIN records.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};

use super::*;
use crate::reference::dated::on_day;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
}

fn given(events: Vec<ReferenceDataEvent>) -> AggregateTestExecutor<ReferenceData> {
    let now = Utc
        .with_ymd_and_hms(2026, 1, 5, 3, 0, 0)
        .single()
        .unwrap_or_default();
    TestFramework::<ReferenceData>::with(Clock::fixed(now)).given(events)
}

fn ministry(code: &str) -> BTreeMap<String, String> {
    [("ministry".to_string(), code.to_string())].into()
}

/// The Department of Children moves to the Ministry of Health from 2026.
fn moved() -> ChangeReferenceData {
    ChangeReferenceData {
        kind: ReferenceKind::Agency,
        code: "DEPARTMENT_OF_CHILDREN".into(),
        valid_from: day("2026-01-01"),
        valid_to: None,
        name: Some(" Cục Trẻ em ".into()),
        english_name: Some("Department of Children".into()),
        attributes: ministry("MINISTRY_OF_HEALTH"),
        source: "a government decision".into(),
    }
}

fn recorded(cmd: ChangeReferenceData) -> ReferenceDataEvent {
    ReferenceDataEvent::ReferenceDataChanged {
        kind: cmd.kind,
        code: cmd.code,
        valid_from: cmd.valid_from,
        valid_to: cmd.valid_to,
        name: cmd.name.map(|n| n.trim().to_string()),
        english_name: cmd.english_name,
        attributes: cmd.attributes,
        source: cmd.source,
    }
}

#[test]
fn an_agency_changes_ministry_from_a_day_on() {
    given(vec![])
        .when(moved())
        .then_expect_events(vec![recorded(moved())]);
    let mut state = ReferenceData::default();
    state.apply(recorded(moved()));
    let ministry_on = |on: &str| {
        on_day(ReferenceKind::Agency, day(on), &state.changes())
            .into_iter()
            .find(|e| e.code == "DEPARTMENT_OF_CHILDREN")
            .and_then(|e| e.attributes.get("ministry").cloned())
    };
    assert_eq!(
        ministry_on("2025-12-31").as_deref(),
        Some("MINISTRY_OF_HOME_AFFAIRS")
    );
    assert_eq!(
        ministry_on("2026-01-01").as_deref(),
        Some("MINISTRY_OF_HEALTH")
    );
}

/// A shelter ADMIN adds: a new agency, counted as an NGO.
fn new_shelter() -> ChangeReferenceData {
    ChangeReferenceData {
        code: "HA_NOI_SHELTER".into(),
        name: Some("Nhà tạm lánh Hà Nội".into()),
        attributes: [
            ("ministry".to_string(), "NON_GOVERNMENTAL".to_string()),
            ("reportsAs".to_string(), "NGO".to_string()),
        ]
        .into(),
        ..moved()
    }
}

#[test]
fn a_new_agency_with_its_ministry_and_class_needs_no_release() {
    given(vec![])
        .when(new_shelter())
        .then_expect_events(vec![recorded(new_shelter())]);
}

#[test]
fn a_new_agency_without_a_contract_class_is_refused() {
    let mut without = new_shelter();
    without.attributes.remove("reportsAs");
    let mut unknown_class = new_shelter();
    unknown_class
        .attributes
        .insert("reportsAs".into(), "CHARITY".into());
    let mut contract_value_reclassed = moved();
    contract_value_reclassed
        .attributes
        .insert("reportsAs".into(), "NGO".into());
    for (cmd, rule) in [
        (without, "reportsAs is required"),
        (unknown_class, "reportsAs is not a known code"),
        (contract_value_reclassed, "reportsAs is not a known code"),
    ] {
        let refused = given(vec![]).when(cmd).inspect_result();
        assert!(
            matches!(refused, Err(DomainError::InvalidReferenceChange(ref why)) if why.contains(rule)),
            "{refused:?}"
        );
    }
}

#[test]
fn a_new_agency_may_answer_to_a_ministry_added_before_it() {
    let ministry_added = ChangeReferenceData {
        kind: ReferenceKind::Ministry,
        code: "MINISTRY_OF_ETHNIC_AFFAIRS".into(),
        attributes: BTreeMap::new(),
        ..new_shelter()
    };
    let mut shelter = new_shelter();
    shelter
        .attributes
        .insert("ministry".into(), "MINISTRY_OF_ETHNIC_AFFAIRS".into());
    let refused = given(vec![]).when(shelter.clone()).inspect_result();
    assert!(refused.is_err_and(|e| e.to_string().contains("ministry")));
    given(vec![recorded(ministry_added)])
        .when(shelter.clone())
        .then_expect_events(vec![recorded(shelter)]);
}

#[test]
fn a_new_province_needs_its_region_and_a_new_region_needs_a_release() {
    let province = ChangeReferenceData {
        kind: ReferenceKind::Province,
        code: "DAO_MOI".into(),
        name: Some("Đảo Mới".into()),
        attributes: [("region".to_string(), "SOUTHEAST".to_string())].into(),
        ..moved()
    };
    given(vec![])
        .when(province.clone())
        .then_expect_events(vec![recorded(province.clone())]);
    let cases = [
        (
            ChangeReferenceData {
                attributes: BTreeMap::new(),
                ..province.clone()
            },
            "region is required",
        ),
        (
            ChangeReferenceData {
                kind: ReferenceKind::Region,
                code: "ISLANDS".into(),
                attributes: BTreeMap::new(),
                ..province.clone()
            },
            "release",
        ),
        (
            ChangeReferenceData {
                code: "dao moi".into(),
                ..province.clone()
            },
            "A-Z",
        ),
        (
            ChangeReferenceData {
                name: None,
                english_name: None,
                attributes: BTreeMap::new(),
                ..province
            },
            "nothing to withdraw",
        ),
    ];
    for (cmd, rule) in cases {
        let refused = given(vec![]).when(cmd).inspect_result();
        assert!(
            matches!(refused, Err(DomainError::InvalidReferenceChange(ref why)) if why.contains(rule)),
            "{rule}: {refused:?}"
        );
    }
}

#[test]
fn malformed_changes_are_refused_with_the_rule_named() {
    let cases = [
        (
            ChangeReferenceData {
                valid_to: Some(day("2025-12-31")),
                ..moved()
            },
            "validTo",
        ),
        (
            ChangeReferenceData {
                attributes: ministry("MINISTRY_OF_MAGIC"),
                ..moved()
            },
            "ministry",
        ),
        (
            ChangeReferenceData {
                attributes: BTreeMap::new(),
                ..moved()
            },
            "required",
        ),
        (
            ChangeReferenceData {
                name: Some("  ".into()),
                ..moved()
            },
            "name",
        ),
        (
            ChangeReferenceData {
                source: String::new(),
                ..moved()
            },
            "source",
        ),
        (
            ChangeReferenceData {
                kind: ReferenceKind::Province,
                code: "HA_GIANG".into(),
                attributes: [("region".to_string(), "ATLANTIS".to_string())].into(),
                ..moved()
            },
            "region",
        ),
        (
            ChangeReferenceData {
                name: None,
                english_name: None,
                ..moved()
            },
            "withdrawal",
        ),
    ];
    for (cmd, rule) in cases {
        let result = given(vec![]).when(cmd.clone()).inspect_result();
        match result {
            Err(DomainError::InvalidReferenceChange(why)) => {
                assert!(why.contains(rule), "{why} for {cmd:?}")
            }
            other => panic!("{cmd:?} gave {other:?}"),
        }
    }
}

#[test]
fn a_withdrawal_takes_an_entry_out_of_force_over_its_days() {
    let withdrawn = ChangeReferenceData {
        kind: ReferenceKind::CounsellingTopic,
        code: "SHELTER".into(),
        valid_from: day("2026-01-01"),
        valid_to: Some(day("2026-06-30")),
        name: None,
        english_name: None,
        attributes: BTreeMap::new(),
        source: "topic merged into SERVICES for the first half of 2026".into(),
    };
    given(vec![])
        .when(withdrawn.clone())
        .then_expect_events(vec![recorded(withdrawn.clone())]);
    let mut state = ReferenceData::default();
    state.apply(recorded(withdrawn));
    let has_shelter = |on: &str| {
        on_day(ReferenceKind::CounsellingTopic, day(on), &state.changes())
            .iter()
            .any(|e| e.code == "SHELTER")
    };
    assert!(has_shelter("2025-12-31"));
    assert!(!has_shelter("2026-03-01"));
    assert!(has_shelter("2026-07-01"));
}
