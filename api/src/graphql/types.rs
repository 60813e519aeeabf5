//! The contract's output types, built from aggregate state.
//!
//! Personal fields arrive here already opened or redacted by `privacy`;
//! these types only carry what the caller may see.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::enums::*;

fn int(n: impl TryInto<i32>) -> i32 {
    n.try_into().unwrap_or(i32::MAX)
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Call", complex)]
pub struct CallNode {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub channel: Channel,
    pub region: Region,
    pub province: Option<String>,
    pub caller_type: CallerType,
    /// The class the call counts under (for an added category, the class it reported as that day).
    pub category: CallCategory,
    pub topics: Vec<CounsellingTopic>,
    pub duration_seconds: Option<i32>,
    pub counselling_sessions: Vec<CounsellingSessionNode>,
    pub case_ids: Vec<Uuid>,
    pub version: i32,
    /// The category's reference-data code: the class itself, or the code ADMIN added.
    pub category_code: String,
    /// The topics' reference-data codes: the classes themselves, or with codes ADMIN added.
    pub topic_codes: Vec<String>,
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "CounsellingSession")]
pub struct CounsellingSessionNode {
    pub id: Uuid,
    pub call_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// The classes of the session's topics.
    pub topics: Vec<CounsellingTopic>,
    /// The topics' reference-data codes: the classes themselves, or with codes ADMIN added.
    pub topic_codes: Vec<String>,
}

impl CallNode {
    /// `None` while the stream holds no CallReceived (a call that does not exist).
    pub fn from_state(call: &domain::call::Call, version: i64) -> Option<Self> {
        let r = call.received.as_ref()?;
        Some(CallNode {
            id: r.call_id,
            received_at: r.received_at,
            channel: r.channel.into(),
            region: r.region.into(),
            province: r.province.clone(),
            caller_type: r.caller_type.into(),
            category: r.category.into(),
            topics: r.topics.iter().map(|&t| t.into()).collect(),
            duration_seconds: r.duration_seconds.map(int),
            counselling_sessions: call
                .sessions
                .iter()
                .map(|s| CounsellingSessionNode {
                    id: s.session_id,
                    call_id: r.call_id,
                    started_at: s.started_at,
                    duration_minutes: int(s.duration_minutes()),
                    topics: s.topics.iter().map(|&t| t.into()).collect(),
                    topic_codes: domain::call::topic_codes(&s.topics, &s.topic_codes),
                })
                .collect(),
            case_ids: call.case_ids.clone(),
            version: int(version),
            category_code: r.category_code(),
            topic_codes: r.topic_codes(),
        })
    }
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Person")]
pub struct PersonNode {
    pub id: Uuid,
    pub role: PersonRole,
    pub gender: Gender,
    pub birth_year: Option<i32>,
    /// Personal data: null when the caller may not see it; the string [erased] after erasure.
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub erased: bool,
    /// ISO 3166-1 alpha-2.
    pub nationality: Option<String>,
    /// Personal data, like fullName: null when the caller may not see it.
    pub ethnicity: Option<String>,
    /// Whether an authority identified the person as a victim, and when.
    pub victim_status: Option<VictimDecisionNode>,
}

/// An authority's decision on whether a person is a victim.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "VictimDecision")]
pub struct VictimDecisionNode {
    pub status: VictimStatus,
    pub authority: Agency,
    pub decided_at: DateTime<Utc>,
}

impl From<&domain::case::VictimDecision> for VictimDecisionNode {
    fn from(d: &domain::case::VictimDecision) -> Self {
        VictimDecisionNode {
            status: d.status.into(),
            authority: d.authority.class(None).into(),
            decided_at: d.decided_at,
        }
    }
}

/// One step of a referral's chain: an agency handed it to another.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "ReferralHandOn")]
pub struct HandOnNode {
    /// The class each agency reports as; the codes are `fromCode`, `toCode`.
    pub from: Agency,
    pub to: Agency,
    pub at: DateTime<Utc>,
    pub from_code: String,
    pub to_code: String,
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Referral")]
pub struct ReferralNode {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The class the holding agency reports as (its own code for the
    /// contract's agencies; for an agency ADMIN added, its `reportsAs`).
    pub agency: Agency,
    /// The holding agency's reference-data code (`referenceData.agencies`).
    pub agency_code: String,
    pub status: ReferralStatus,
    pub outcome: Option<ReferralOutcome>,
    pub referred_at: DateTime<Utc>,
    pub persons_at_risk: i32,
    pub persons_rescued: i32,
    pub consent_overridden: bool,
    /// The agencies that held it before the current one, oldest first.
    pub handed_on: Vec<HandOnNode>,
}

impl ReferralNode {
    pub fn new(case_id: Uuid, r: &domain::case::Referral) -> Self {
        ReferralNode {
            id: r.referral_id,
            case_id,
            agency: r.class().into(),
            agency_code: r.agency.to_string(),
            status: r.status.into(),
            outcome: r.outcome.map(Into::into),
            referred_at: r.referred_at,
            persons_at_risk: int(r.persons_at_risk),
            persons_rescued: int(r.persons_rescued),
            consent_overridden: r.consent_overridden,
            handed_on: r
                .chain
                .iter()
                .map(|h| HandOnNode {
                    from: h.from.class(h.from_reports_as).into(),
                    to: h.to.class(h.to_reports_as).into(),
                    at: h.at,
                    from_code: h.from.to_string(),
                    to_code: h.to.to_string(),
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Rescue")]
pub struct RescueNode {
    pub id: Uuid,
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub rescued_at: DateTime<Utc>,
    pub persons_rescued: i32,
    pub region: Region,
    pub country: Option<String>,
}

impl RescueNode {
    pub fn new(case_id: Uuid, r: &domain::case::Rescue) -> Self {
        RescueNode {
            id: r.rescue_id,
            case_id,
            referral_id: r.referral_id,
            rescued_at: r.rescued_at,
            persons_rescued: int(r.persons_rescued),
            region: r.region.into(),
            country: r.country.clone(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "SupportProvision")]
pub struct SupportProvisionNode {
    pub id: Uuid,
    pub service: SupportService,
    pub provided_at: DateTime<Utc>,
    pub person_id: Option<Uuid>,
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Case")]
pub struct CaseNode {
    pub id: Uuid,
    pub status: CaseStatus,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub region: Region,
    pub exploitation_types: Vec<ExploitationType>,
    pub call_ids: Vec<Uuid>,
    pub persons: Vec<PersonNode>,
    pub referrals: Vec<ReferralNode>,
    pub rescues: Vec<RescueNode>,
    pub support_provided: Vec<SupportProvisionNode>,
    pub version: i32,
    /// The country of exploitation (ISO 3166-1 alpha-2), as last recorded.
    pub destination_country: Option<String>,
    /// The token subject of the counsellor who owns the case; null while unassigned.
    pub owner: Option<String>,
}

impl CaseNode {
    /// `None` while the case was never opened. `persons` are given already redacted.
    pub fn from_state(
        case: &domain::case::Case,
        version: i64,
        persons: Vec<PersonNode>,
    ) -> Option<Self> {
        let id = case.id?;
        Some(CaseNode {
            id,
            status: case.status.into(),
            opened_at: case.opened_at,
            closed_at: case.closed_at,
            region: case.region.into(),
            exploitation_types: case.exploitation_types.iter().map(|&e| e.into()).collect(),
            call_ids: case.call_ids.clone(),
            persons,
            referrals: case
                .referrals
                .iter()
                .map(|r| ReferralNode::new(id, r))
                .collect(),
            rescues: case
                .rescues
                .iter()
                .map(|r| RescueNode::new(id, r))
                .collect(),
            support_provided: case
                .support
                .iter()
                .map(|s| SupportProvisionNode {
                    id: s.provision_id,
                    service: s.service.into(),
                    provided_at: s.provided_at,
                    person_id: s.person_id,
                })
                .collect(),
            version: int(version),
            destination_country: case.destination_country.clone(),
            owner: case.owner.clone(),
        })
    }
}
