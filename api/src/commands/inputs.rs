//! What each command takes, as plain Rust values in the domain's
//! vocabulary: the GraphQL layer, the importer and the seed all build these.
//! Each is serialisable so that its canonical JSON can be fingerprinted for
//! idempotency (the field names and the domain's wire names are the JSON the
//! GraphQL inputs always had, so receipts written before keep matching);
//! parsing into domain values happens in `commands`, once, at the edge.
//! A command takes its input or anything that converts into it: the
//! GraphQL inputs (`graphql/inputs.rs`) do, field for field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use domain::values::{
    Agency, CallCategory, CallerType, Channel, CounsellingTopic, ExploitationType, Gender,
    PersonRole, ReferralOutcome, ReferralStatus, Region, SupportService,
};

/// The earliest day (and the start of the earliest time) accepted, by the
/// API (`graphql::scalars`) and the operator's tools alike.
pub const EARLIEST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// The latest day (and the end of the latest time) accepted.
pub const LATEST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

#[derive(Serialize, Clone, Debug)]
pub struct PersonInput {
    pub id: Option<Uuid>,
    pub role: PersonRole,
    pub gender: Gender,
    pub birth_year: Option<i32>,
    pub full_name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
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
    /// A category code of the reference data; `category` must be its class.
    /// Left out of the idempotency key when absent, as before it existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    /// Topic codes of the reference data; `topics`, if given, their classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_codes: Option<Vec<String>>,
}

#[derive(Serialize, Clone, Debug)]
pub struct RecordCounsellingSessionInput {
    pub id: Option<Uuid>,
    pub call_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub topics: Vec<CounsellingTopic>,
    /// Topic codes of the reference data; `topics`, if not empty, their classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_codes: Option<Vec<String>>,
    /// Personal data: stored encrypted, shown only to counsellors and supervisors.
    pub notes: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct OpenCaseInput {
    pub id: Option<Uuid>,
    pub from_call_id: Option<Uuid>,
    pub opened_at: DateTime<Utc>,
    pub region: Option<Region>,
    pub province: Option<String>,
    pub exploitation_types: Option<Vec<ExploitationType>>,
    pub persons: Option<Vec<PersonInput>>,
}

#[derive(Serialize, Clone, Debug)]
pub struct AttachCallInput {
    pub case_id: Uuid,
    pub call_id: Uuid,
}

#[derive(Serialize, Clone, Debug)]
pub struct AttachPersonInput {
    pub case_id: Uuid,
    pub person: PersonInput,
}

#[derive(Serialize, Clone, Debug)]
pub struct ConsentInput {
    /// The person(s) concerned agreed to this referral.
    pub given: bool,
    /// Required when consent is not given; only a SUPERVISOR may override.
    pub override_reason: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct SendReferralInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    /// The contract value; with `agency_code`, the class that code reports as.
    pub agency: Agency,
    /// An agency of the reference data by its code (one ADMIN added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency_code: Option<String>,
    pub referred_at: DateTime<Utc>,
    pub persons_at_risk: i32,
    pub consent: ConsentInput,
    pub reason: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct UpdateReferralInput {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub status: ReferralStatus,
    pub at: DateTime<Utc>,
    /// Required when status is COMPLETED.
    pub outcome: Option<ReferralOutcome>,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
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

#[derive(Serialize, Clone, Debug)]
pub struct ProvideSupportInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    pub person_id: Option<Uuid>,
    pub service: SupportService,
    pub provided_at: DateTime<Utc>,
}

#[derive(Serialize, Clone, Debug)]
pub struct CloseCaseInput {
    pub case_id: Uuid,
    pub closed_at: DateTime<Utc>,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ReopenCaseInput {
    pub case_id: Uuid,
    pub reopened_at: DateTime<Utc>,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct ErasePersonInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub reason: String,
}
