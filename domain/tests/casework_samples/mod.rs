//! Golden samples of the events issue 12 added: corrections, trafficking
//! facts, the holding agency's feedback and hand-ons. `golden.rs` chains
//! them after its own and passes its helpers in, so this file imports
//! nothing of it.

use chrono::{DateTime, Utc};
use domain::call::{CallEvent, CallFacts};
use domain::case::CaseEvent;
use domain::sealed::Sealed;
use domain::values::*;
use uuid::Uuid;

/// The helpers of `golden.rs`: ids, sealed values, instants.
pub struct Helpers {
    pub id: fn(u128) -> Uuid,
    pub sealed: fn(u128) -> Sealed,
    pub at: fn(&str) -> DateTime<Utc>,
}

/// What a call was before and after a correction, for `CallCorrected`.
fn call_facts(h: &Helpers, category: CallCategory, region: Region, province: &str) -> CallFacts {
    CallFacts {
        received_at: (h.at)("2025-09-15T02:10:00Z"),
        channel: Channel::Zalo,
        region,
        province: Some(province.to_string()),
        country: None,
        caller_type: CallerType::RelativeOrFriend,
        category,
        topics: vec![CounsellingTopic::Psychological],
        category_code: None,
        topic_codes: vec![],
    }
}

pub fn call_events(h: &Helpers) -> Vec<CallEvent> {
    let sealed = h.sealed;
    vec![CallEvent::CallCorrected {
        corrects: vec![CorrectedField::Category, CorrectedField::Location],
        before: call_facts(
            h,
            CallCategory::Information,
            Region::Northeast,
            "TUYEN_QUANG",
        ),
        after: call_facts(h, CallCategory::Counselling, Region::Northwest, "LAO_CAI"),
        reason: sealed(1),
    }]
}

pub fn case_events(h: &Helpers) -> Vec<CaseEvent> {
    let (id, sealed, at) = (h.id, h.sealed, h.at);
    vec![
        CaseEvent::PersonCorrected {
            person_id: id(4),
            corrects: vec![
                CorrectedField::Role,
                CorrectedField::Gender,
                CorrectedField::BirthYear,
                CorrectedField::FullName,
                CorrectedField::Phone,
            ],
            role: Some(PersonRole::Victim),
            gender: Some(Gender::Male),
            birth_year: Some(2005),
            full_name: Some(sealed(4)),
            phone: Some(sealed(4)),
            reason: sealed(3),
        },
        CaseEvent::PersonDetailsRecorded {
            person_id: id(4),
            nationality: Some("VN".into()),
            ethnicity: Some(sealed(4)),
        },
        CaseEvent::DestinationRecorded {
            country: "CN".into(),
        },
        CaseEvent::VictimStatusDecided {
            person_id: id(4),
            status: VictimStatus::Identified,
            authority: Agency::BorderGuard,
            decided_at: at("2025-09-20T03:00:00Z"),
        },
        CaseEvent::ReferralFeedbackAdded {
            feedback_id: id(9),
            referral_id: id(6),
            agency: Agency::CriminalPolice,
            added_at: at("2025-09-16T03:00:00Z"),
            note: sealed(3),
        },
        CaseEvent::ReferralHandedOn {
            referral_id: id(6),
            from: Agency::CriminalPolice,
            to: Agency::BorderGuard,
            reports_as: None,
            at: at("2025-09-17T03:00:00Z"),
            reason: Some(sealed(3)),
        },
    ]
}
