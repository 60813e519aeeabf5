//! What the amending commands take (corrections, trafficking facts, the
//! agencies' work on a referral), like `inputs.rs`: plain values, fingerprinted
//! for idempotency with every personal field (`reason`, `notes`, `full_name`,
//! `phone`, `ethnicity`) reduced to whether it was given.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use domain::values::{
    Agency, CallCategory, CallerType, Channel, CounsellingTopic, Gender, PersonRole, Region,
    VictimStatus,
};

#[derive(Serialize, Clone, Debug)]
pub struct CorrectCallInput {
    pub call_id: Uuid,
    pub received_at: Option<DateTime<Utc>>,
    pub channel: Option<Channel>,
    pub caller_type: Option<CallerType>,
    pub category: Option<CallCategory>,
    pub topics: Option<Vec<CounsellingTopic>>,
    /// Left out of the idempotency key when absent, as before they existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_codes: Option<Vec<String>>,
    /// A new place: region, province (its region derived) and/or country, as for receiveCall.
    pub region: Option<Region>,
    pub province: Option<String>,
    pub country: Option<String>,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct CorrectPersonInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub role: Option<PersonRole>,
    pub gender: Option<Gender>,
    pub birth_year: Option<i32>,
    pub full_name: Option<String>,
    pub phone: Option<String>,
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct RecordPersonDetailsInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// ISO 3166-1 alpha-2.
    pub nationality: Option<String>,
    pub ethnicity: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct RecordDestinationInput {
    pub case_id: Uuid,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct DecideVictimStatusInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub status: VictimStatus,
    pub authority: Agency,
    pub decided_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
}

#[derive(Serialize, Clone, Debug)]
pub struct AddReferralFeedbackInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub added_at: DateTime<Utc>,
    pub notes: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct HandOnReferralInput {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub to_agency: Agency,
    /// As `SendReferralInput::agency_code`, for `to_agency`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_agency_code: Option<String>,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
    pub idempotency_key: Option<String>,
}
