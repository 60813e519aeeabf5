//! The contract's mutation inputs, as GraphQL reads them. Each converts into
//! the command's own input (`commands::inputs`), field for field; the
//! commands parse and check it, once.

use async_graphql::InputObject;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::enums::*;
use crate::commands::inputs as command;

#[derive(InputObject, Clone, Debug)]
pub struct PersonInput {
    pub id: Option<Uuid>,
    pub role: PersonRole,
    pub gender: Gender,
    pub birth_year: Option<i32>,
    #[graphql(secret)]
    pub full_name: Option<String>,
    #[graphql(secret)]
    pub phone: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct ReceiveCallInput {
    pub id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    pub channel: Channel,
    /// Either region or province (a province code from the reference data); the region is derived from the province.
    pub region: Option<Region>,
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2, for OVERSEAS calls.
    pub country: Option<String>,
    pub caller_type: CallerType,
    pub category: CallCategory,
    pub topics: Option<Vec<CounsellingTopic>>,
    pub duration_seconds: Option<i32>,
    /// A call category code of the reference data (one ADMIN added); `category` must be the class it reports as.
    pub category_code: Option<String>,
    /// Counselling topic codes of the reference data; `topics`, if given, must be their classes.
    pub topic_codes: Option<Vec<String>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct RecordCounsellingSessionInput {
    pub id: Option<Uuid>,
    pub call_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration_minutes: i32,
    /// May be empty when topicCodes are given; otherwise the classes of topicCodes.
    pub topics: Vec<CounsellingTopic>,
    /// Counselling topic codes of the reference data (one ADMIN added reports as its class).
    pub topic_codes: Option<Vec<String>>,
    /// Personal data: stored encrypted, shown only to counsellors and supervisors.
    #[graphql(secret)]
    pub notes: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct OpenCaseInput {
    pub id: Option<Uuid>,
    pub from_call_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub region: Option<Region>,
    pub province: Option<String>,
    pub exploitation_types: Option<Vec<ExploitationType>>,
    pub persons: Option<Vec<PersonInput>>,
}

#[derive(InputObject, Clone, Debug)]
pub struct AttachCallInput {
    pub case_id: Uuid,
    pub call_id: Uuid,
}

#[derive(InputObject, Clone, Debug)]
pub struct AttachPersonInput {
    pub case_id: Uuid,
    pub person: PersonInput,
}

#[derive(InputObject, Clone, Debug)]
pub struct ConsentInput {
    /// The person(s) concerned agreed to this referral.
    pub given: bool,
    /// Required when consent is not given; only a SUPERVISOR may override.
    #[graphql(secret)]
    pub override_reason: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct SendReferralInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    /// The agency; with `agencyCode`, the contract value that code reports as.
    pub agency: Agency,
    /// An agency of the reference data by its code (`referenceData.agencies`),
    /// e.g. one ADMIN added; `agency` must then be the value it reports as.
    pub agency_code: Option<String>,
    pub referred_at: DateTime<Utc>,
    pub persons_at_risk: i32,
    pub consent: ConsentInput,
    #[graphql(secret)]
    pub reason: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct UpdateReferralInput {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub status: ReferralStatus,
    pub at: DateTime<Utc>,
    /// Required when status is COMPLETED.
    pub outcome: Option<ReferralOutcome>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct RecordRescueInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub rescued_at: DateTime<Utc>,
    pub persons_rescued: i32,
    pub region: Option<Region>,
    pub province: Option<String>,
    pub country: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct ProvideSupportInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    pub person_id: Option<Uuid>,
    pub service: SupportService,
    pub provided_at: DateTime<Utc>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CloseCaseInput {
    pub case_id: Uuid,
    pub closed_at: DateTime<Utc>,
    #[graphql(secret)]
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct ReopenCaseInput {
    pub case_id: Uuid,
    pub reopened_at: DateTime<Utc>,
    #[graphql(secret)]
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct ErasePersonInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    #[graphql(secret)]
    pub reason: String,
}

/// Every element converted: the lists of enums and nested inputs.
fn all<A: Into<B>, B>(values: Vec<A>) -> Vec<B> {
    values.into_iter().map(Into::into).collect()
}

impl From<PersonInput> for command::PersonInput {
    fn from(input: PersonInput) -> Self {
        Self {
            id: input.id,
            role: input.role.into(),
            gender: input.gender.into(),
            birth_year: input.birth_year,
            full_name: input.full_name,
            phone: input.phone,
        }
    }
}

impl From<ReceiveCallInput> for command::ReceiveCallInput {
    fn from(input: ReceiveCallInput) -> Self {
        Self {
            id: input.id,
            received_at: input.received_at,
            channel: input.channel.into(),
            region: input.region.map(Into::into),
            province: input.province,
            country: input.country,
            caller_type: input.caller_type.into(),
            category: input.category.into(),
            topics: input.topics.map(all),
            duration_seconds: input.duration_seconds,
            category_code: input.category_code,
            topic_codes: input.topic_codes,
        }
    }
}

impl From<RecordCounsellingSessionInput> for command::RecordCounsellingSessionInput {
    fn from(input: RecordCounsellingSessionInput) -> Self {
        Self {
            id: input.id,
            call_id: input.call_id,
            started_at: input.started_at,
            duration_minutes: input.duration_minutes,
            topics: all(input.topics),
            topic_codes: input.topic_codes,
            notes: input.notes,
        }
    }
}

impl From<OpenCaseInput> for command::OpenCaseInput {
    fn from(input: OpenCaseInput) -> Self {
        Self {
            id: input.id,
            from_call_id: input.from_call_id,
            opened_at: input.opened_at,
            region: input.region.map(Into::into),
            province: input.province,
            exploitation_types: input.exploitation_types.map(all),
            persons: input.persons.map(all),
        }
    }
}

impl From<AttachCallInput> for command::AttachCallInput {
    fn from(input: AttachCallInput) -> Self {
        Self {
            case_id: input.case_id,
            call_id: input.call_id,
        }
    }
}

impl From<AttachPersonInput> for command::AttachPersonInput {
    fn from(input: AttachPersonInput) -> Self {
        Self {
            case_id: input.case_id,
            person: input.person.into(),
        }
    }
}

impl From<ConsentInput> for command::ConsentInput {
    fn from(input: ConsentInput) -> Self {
        Self {
            given: input.given,
            override_reason: input.override_reason,
        }
    }
}

impl From<SendReferralInput> for command::SendReferralInput {
    fn from(input: SendReferralInput) -> Self {
        Self {
            id: input.id,
            case_id: input.case_id,
            agency: domain::values::AgencyClass::from(input.agency).into(),
            agency_code: input.agency_code,
            referred_at: input.referred_at,
            persons_at_risk: input.persons_at_risk,
            consent: input.consent.into(),
            reason: input.reason,
        }
    }
}

impl From<UpdateReferralInput> for command::UpdateReferralInput {
    fn from(input: UpdateReferralInput) -> Self {
        Self {
            case_id: input.case_id,
            referral_id: input.referral_id,
            status: input.status.into(),
            at: input.at,
            outcome: input.outcome.map(Into::into),
            idempotency_key: input.idempotency_key,
        }
    }
}

impl From<RecordRescueInput> for command::RecordRescueInput {
    fn from(input: RecordRescueInput) -> Self {
        Self {
            id: input.id,
            case_id: input.case_id,
            referral_id: input.referral_id,
            rescued_at: input.rescued_at,
            persons_rescued: input.persons_rescued,
            region: input.region.map(Into::into),
            province: input.province,
            country: input.country,
        }
    }
}

impl From<ProvideSupportInput> for command::ProvideSupportInput {
    fn from(input: ProvideSupportInput) -> Self {
        Self {
            id: input.id,
            case_id: input.case_id,
            person_id: input.person_id,
            service: input.service.into(),
            provided_at: input.provided_at,
        }
    }
}

impl From<CloseCaseInput> for command::CloseCaseInput {
    fn from(input: CloseCaseInput) -> Self {
        Self {
            case_id: input.case_id,
            closed_at: input.closed_at,
            reason: input.reason,
            idempotency_key: input.idempotency_key,
        }
    }
}

impl From<ReopenCaseInput> for command::ReopenCaseInput {
    fn from(input: ReopenCaseInput) -> Self {
        Self {
            case_id: input.case_id,
            reopened_at: input.reopened_at,
            reason: input.reason,
            idempotency_key: input.idempotency_key,
        }
    }
}

impl From<ErasePersonInput> for command::ErasePersonInput {
    fn from(input: ErasePersonInput) -> Self {
        Self {
            case_id: input.case_id,
            person_id: input.person_id,
            reason: input.reason,
        }
    }
}
