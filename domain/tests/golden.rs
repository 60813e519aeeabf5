//! Golden fixtures: every event type at every version it was ever stored in
//! (`golden/<EventType>-<version>.json`, the payload exactly as the events
//! table holds it) must keep loading, through the upcasters, into today's
//! event enums. A renamed field or variant, a changed enum wire name, or a
//! new event type without a fixture fails here before it reaches a database.
//!
//! A new event type or version: add a sample below, then run once with
//! `CASETRAIL_BLESS_GOLDEN=1` to write the missing fixture (existing files
//! are never overwritten: they are history).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use cqrs_es::persist::SerializedEvent;
use cqrs_es::DomainEvent;
use domain::call::CallEvent;
use domain::case::CaseEvent;
use domain::reference::dated::ReferenceKind;
use domain::reference_data::ReferenceDataEvent;
use domain::sealed::Sealed;
use domain::upcasters::upcasters;
use domain::values::*;
use serde_json::Value;
use uuid::Uuid;

/// The samples of the events of issue 12 (corrections, facts, agencies).
mod casework_samples;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid instant")
        .with_timezone(&Utc)
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn sealed(n: u128) -> Sealed {
    Sealed {
        key_id: id(n),
        nonce: "bm9uY2Utbm9uY2U=".into(),
        ciphertext: "Y2lwaGVydGV4dCtjaXBoZXJ0ZXh0K3RhZw==".into(),
    }
}

/// One event of either aggregate.
#[derive(Clone, Debug, PartialEq)]
enum Sample {
    Call(CallEvent),
    Case(CaseEvent),
    Reference(ReferenceDataEvent),
}

impl Sample {
    fn event_type(&self) -> String {
        match self {
            Sample::Call(e) => e.event_type(),
            Sample::Case(e) => e.event_type(),
            Sample::Reference(e) => e.event_type(),
        }
    }
    fn event_version(&self) -> String {
        match self {
            Sample::Call(e) => e.event_version(),
            Sample::Case(e) => e.event_version(),
            Sample::Reference(e) => e.event_version(),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Sample::Call(e) => serde_json::to_value(e),
            Sample::Case(e) => serde_json::to_value(e),
            Sample::Reference(e) => serde_json::to_value(e),
        }
        .expect("events serialise")
    }
    /// Deserialises `payload` into the same aggregate's event enum.
    fn decode_like(&self, payload: Value) -> Result<Sample, serde_json::Error> {
        Ok(match self {
            Sample::Call(_) => Sample::Call(serde_json::from_value(payload)?),
            Sample::Case(_) => Sample::Case(serde_json::from_value(payload)?),
            Sample::Reference(_) => Sample::Reference(serde_json::from_value(payload)?),
        })
    }
}

/// Which variant a sample is. No wildcard arm: a new variant does not
/// compile until it is listed here, and then `samples` must cover it.
fn variant(sample: &Sample) -> usize {
    match sample {
        Sample::Call(e) => match e {
            CallEvent::CallReceived { .. } => 0,
            CallEvent::CounsellingSessionRecorded { .. } => 1,
            CallEvent::CallLinkedToCase { .. } => 2,
            CallEvent::CallCorrected { .. } => 13,
        },
        Sample::Case(e) => match e {
            CaseEvent::CaseOpened { .. } => 3,
            CaseEvent::PersonAttached { .. } => 4,
            CaseEvent::CallAttached { .. } => 5,
            CaseEvent::ReferralSent { .. } => 6,
            CaseEvent::ReferralStatusChanged { .. } => 7,
            CaseEvent::RescueRecorded { .. } => 8,
            CaseEvent::SupportProvided { .. } => 9,
            CaseEvent::CaseClosed { .. } => 10,
            CaseEvent::CaseReopened { .. } => 11,
            CaseEvent::PersonErased { .. } => 12,
            CaseEvent::PersonCorrected { .. } => 14,
            CaseEvent::PersonDetailsRecorded { .. } => 15,
            CaseEvent::DestinationRecorded { .. } => 16,
            CaseEvent::VictimStatusDecided { .. } => 17,
            CaseEvent::ReferralFeedbackAdded { .. } => 18,
            CaseEvent::ReferralHandedOn { .. } => 19,
            CaseEvent::CaseTaken { .. } => 20,
            CaseEvent::CaseAssigned { .. } => 21,
            CaseEvent::CaseNoteWritten { .. } => 22,
            CaseEvent::FollowUpCreated { .. } => 23,
            CaseEvent::FollowUpCompleted { .. } => 24,
        },
        Sample::Reference(e) => match e {
            ReferenceDataEvent::ReferenceDataChanged { .. } => 25,
        },
    }
}
const VARIANTS: usize = 26;

/// One event of every type, at its current version, with every optional field set.
fn samples() -> Vec<Sample> {
    vec![
        Sample::Call(CallEvent::CallReceived {
            call_id: id(1),
            received_at: at("2025-09-15T02:10:00Z"),
            channel: Channel::Zalo,
            region: Region::Northeast,
            province: Some("TUYEN_QUANG".into()),
            country: None,
            caller_type: CallerType::RelativeOrFriend,
            category: CallCategory::Counselling,
            topics: vec![CounsellingTopic::Psychological, CounsellingTopic::Policy],
            duration_seconds: Some(540),
            // Only written for a code ADMIN added: the fixture stays as stored.
            category_code: None,
            topic_codes: vec![],
        }),
        Sample::Call(CallEvent::CounsellingSessionRecorded {
            session_id: id(2),
            started_at: at("2025-09-15T02:12:00Z"),
            duration_seconds: 1500,
            topics: vec![CounsellingTopic::VictimSupport],
            notes: Some(sealed(1)),
            topic_codes: vec![],
        }),
        Sample::Call(CallEvent::CallLinkedToCase { case_id: id(3) }),
        Sample::Case(CaseEvent::CaseOpened {
            case_id: id(3),
            opened_at: at("2025-09-15T02:30:00Z"),
            from_call_id: Some(id(1)),
            region: Region::Northeast,
            province: Some("TUYEN_QUANG".into()),
            exploitation_types: vec![ExploitationType::Sexual],
        }),
        Sample::Case(CaseEvent::PersonAttached {
            person_id: id(4),
            role: PersonRole::Victim,
            gender: Gender::Female,
            birth_year: Some(2004),
            full_name: Some(sealed(4)),
            phone: Some(sealed(4)),
        }),
        Sample::Case(CaseEvent::CallAttached { call_id: id(5) }),
        Sample::Case(CaseEvent::ReferralSent {
            referral_id: id(6),
            agency: Agency::CriminalPolice,
            reports_as: None,
            referred_at: at("2025-09-15T03:00:00Z"),
            persons_at_risk: 2,
            consent_given: false,
            override_reason: Some(sealed(3)),
            reason: Some(sealed(3)),
        }),
        Sample::Case(CaseEvent::ReferralStatusChanged {
            referral_id: id(6),
            from: ReferralStatus::InProgress,
            to: ReferralStatus::Completed,
            at: at("2025-09-20T08:00:00Z"),
            outcome: Some(ReferralOutcome::Rescued),
        }),
        Sample::Case(CaseEvent::RescueRecorded {
            rescue_id: id(7),
            referral_id: id(6),
            rescued_at: at("2025-09-19T22:00:00Z"),
            persons_rescued: 2,
            region: Region::Overseas,
            province: None,
            country: Some("KH".into()),
        }),
        Sample::Case(CaseEvent::SupportProvided {
            provision_id: id(8),
            person_id: Some(id(4)),
            service: SupportService::Psychological,
            provided_at: at("2025-09-21T01:00:00Z"),
        }),
        Sample::Case(CaseEvent::CaseClosed {
            closed_at: at("2025-10-01T01:00:00Z"),
            reason: sealed(3),
        }),
        Sample::Case(CaseEvent::CaseReopened {
            reopened_at: at("2025-10-05T01:00:00Z"),
            reason: sealed(3),
        }),
        Sample::Reference(ReferenceDataEvent::ReferenceDataChanged {
            kind: ReferenceKind::Agency,
            code: "DEPARTMENT_OF_CHILDREN".into(),
            valid_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a day"),
            valid_to: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
            name: Some("Cục Trẻ em".into()),
            english_name: Some("Department of Children".into()),
            attributes: [("ministry".to_string(), "MINISTRY_OF_HEALTH".to_string())].into(),
            source: "a government decision".into(),
        }),
        Sample::Case(CaseEvent::PersonErased {
            person_id: id(4),
            reason: sealed(3),
        }),
        Sample::Case(CaseEvent::CaseTaken {
            owner: "lan".into(),
            taken_at: at("2025-09-15T02:35:00Z"),
        }),
        Sample::Case(CaseEvent::CaseAssigned {
            owner: "hoa".into(),
            previous_owner: Some("lan".into()),
            assigned_at: at("2025-09-16T01:00:00Z"),
            reason: sealed(3),
        }),
        Sample::Case(CaseEvent::CaseNoteWritten {
            note_id: id(9),
            author: "lan".into(),
            written_at: at("2025-09-15T02:40:00Z"),
            text: sealed(3),
        }),
        Sample::Case(CaseEvent::FollowUpCreated {
            follow_up_id: id(10),
            assignee: "hoa".into(),
            created_at: at("2025-09-15T02:45:00Z"),
            due_at: at("2025-09-17T02:00:00Z"),
            description: sealed(3),
        }),
        Sample::Case(CaseEvent::FollowUpCompleted {
            follow_up_id: id(10),
            completed_by: "hoa".into(),
            completed_at: at("2025-09-16T09:00:00Z"),
        }),
    ]
    .into_iter()
    .chain(casework_samples())
    .collect()
}

fn casework_samples() -> Vec<Sample> {
    let helpers = casework_samples::Helpers { id, sealed, at };
    let calls = casework_samples::call_events(&helpers)
        .into_iter()
        .map(Sample::Call);
    calls
        .chain(
            casework_samples::case_events(&helpers)
                .into_iter()
                .map(Sample::Case),
        )
        .collect()
}

fn fixture_name(event_type: &str, version: &str) -> String {
    format!("{event_type}-{version}.json")
}

/// Every fixture on disk as (event type, version, payload).
fn fixtures() -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(golden_dir()).expect("the golden directory exists") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        let (event_type, version) = stem
            .rsplit_once('-')
            .unwrap_or_else(|| panic!("{name} is not <EventType>-<version>.json"));
        let text = std::fs::read_to_string(&path).expect("a readable fixture");
        let payload = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        found.push((event_type.to_string(), version.to_string(), payload));
    }
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    found
}

/// What the store does: run the payload through every upcaster that applies.
fn upcast(event_type: &str, version: &str, payload: Value) -> SerializedEvent {
    let stored = SerializedEvent::new(
        id(0).to_string(),
        1,
        String::new(),
        event_type.to_string(),
        version.to_string(),
        payload,
        Value::Null,
    );
    upcasters().iter().fold(stored, |event, upcaster| {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            upcaster.upcast(event)
        } else {
            event
        }
    })
}

#[test]
fn the_samples_cover_every_variant_of_both_aggregates_once() {
    let covered: Vec<usize> = samples().iter().map(variant).collect();
    let distinct: BTreeSet<usize> = covered.iter().copied().collect();
    assert_eq!(distinct, (0..VARIANTS).collect(), "one sample per variant");
    assert_eq!(covered.len(), VARIANTS, "no variant twice");
}

#[test]
fn every_event_type_has_a_fixture_of_its_current_version_and_still_writes_it() {
    let bless = std::env::var_os("CASETRAIL_BLESS_GOLDEN").is_some();
    let mut missing = Vec::new();
    for sample in samples() {
        let name = fixture_name(&sample.event_type(), &sample.event_version());
        let path = golden_dir().join(&name);
        if !path.exists() {
            if bless {
                let text = serde_json::to_string_pretty(&sample.to_json()).expect("json");
                std::fs::write(&path, text + "\n").expect("fixture written");
            }
            missing.push(name);
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let golden: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(
            sample.to_json(),
            golden,
            "{name}: today's code writes another shape under the same version; \
             a new shape needs a new version and an upcaster"
        );
    }
    assert!(
        missing.is_empty() || bless,
        "missing fixtures (run with CASETRAIL_BLESS_GOLDEN=1 to write them): {missing:?}"
    );
}

#[test]
fn every_fixture_of_every_version_loads_into_todays_events() {
    let samples = samples();
    let fixtures = fixtures();
    assert!(
        fixtures.len() > samples.len(),
        "older versions are kept too"
    );
    for (event_type, version, payload) in fixtures {
        let name = fixture_name(&event_type, &version);
        let sample = samples
            .iter()
            .find(|s| s.event_type() == event_type)
            .unwrap_or_else(|| panic!("{name}: no event type of that name exists any more"));
        let read = upcast(&event_type, &version, payload);
        let decoded = sample
            .decode_like(read.payload)
            .unwrap_or_else(|e| panic!("{name} does not load after upcasting: {e}"));
        assert_eq!(decoded.event_type(), event_type, "{name}");
        assert_eq!(variant(&decoded), variant(sample), "{name}");
        if version == sample.event_version() {
            assert_eq!(
                &decoded, sample,
                "{name}: the current version loads unchanged"
            );
        }
    }
}

#[test]
fn a_version_1_counselling_session_reads_as_version_2_with_the_same_length() {
    let text = std::fs::read_to_string(golden_dir().join("CounsellingSessionRecorded-1.0.json"))
        .expect("the 1.0 fixture");
    let v1: Value = serde_json::from_str(&text).expect("json");
    let minutes = v1["CounsellingSessionRecorded"]["duration_minutes"]
        .as_u64()
        .expect("1.0 has duration_minutes");
    let read = upcast("CounsellingSessionRecorded", "1.0", v1.clone());
    assert_eq!(read.event_version, "2.0.0");
    let event: CallEvent = serde_json::from_value(read.payload).expect("loads");
    match event {
        CallEvent::CounsellingSessionRecorded {
            duration_seconds,
            session_id,
            notes,
            ..
        } => {
            assert_eq!(u64::from(duration_seconds), minutes * 60);
            assert_eq!(
                session_id.to_string(),
                v1["CounsellingSessionRecorded"]["session_id"]
            );
            assert!(notes.is_some(), "sealed notes pass through untouched");
        }
        other => panic!("decoded as {other:?}"),
    }
    // 2.0 is not upcast again.
    let current = upcast("CounsellingSessionRecorded", "2.0", serde_json::json!({}));
    assert_eq!(current.event_version, "2.0");
}
