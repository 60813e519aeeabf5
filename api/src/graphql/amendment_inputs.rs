//! The amending mutations' inputs, as GraphQL reads them; each converts into
//! the command's own input (`commands::amendment_inputs`), field for field.

use async_graphql::InputObject;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::enums::*;
use crate::commands::amendment_inputs as command;

/// Correct a call: give only what is wrong; every value given replaces the recorded one.
#[derive(InputObject, Clone, Debug)]
pub struct CorrectCallInput {
    pub call_id: Uuid,
    pub received_at: Option<DateTime<Utc>>,
    pub channel: Option<Channel>,
    pub caller_type: Option<CallerType>,
    pub category: Option<CallCategory>,
    pub topics: Option<Vec<CounsellingTopic>>,
    /// A call category code of the reference data (one ADMIN added); `category`, if given, must be its class.
    pub category_code: Option<String>,
    /// Counselling topic codes of the reference data; `topics`, if given, must be their classes.
    pub topic_codes: Option<Vec<String>>,
    /// A new place, as for receiveCall: a province code (its region derived), a region, a country for OVERSEAS.
    pub region: Option<Region>,
    pub province: Option<String>,
    pub country: Option<String>,
    /// Why; stored encrypted.
    #[graphql(secret)]
    pub reason: String,
    pub idempotency_key: Option<String>,
}

/// Correct a person's details; a closed case takes corrections from a SUPERVISOR only.
#[derive(InputObject, Clone, Debug)]
pub struct CorrectPersonInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub role: Option<PersonRole>,
    pub gender: Option<Gender>,
    pub birth_year: Option<i32>,
    #[graphql(secret)]
    pub full_name: Option<String>,
    #[graphql(secret)]
    pub phone: Option<String>,
    /// Why; stored encrypted.
    #[graphql(secret)]
    pub reason: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct RecordPersonDetailsInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// ISO 3166-1 alpha-2.
    pub nationality: Option<String>,
    /// Personal data: stored encrypted under the person's key.
    #[graphql(secret)]
    pub ethnicity: Option<String>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct RecordDestinationInput {
    pub case_id: Uuid,
    /// The country of exploitation, ISO 3166-1 alpha-2.
    pub country: String,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct DecideVictimStatusInput {
    pub case_id: Uuid,
    pub person_id: Uuid,
    pub status: VictimStatus,
    /// The authority that decided.
    pub authority: Agency,
    pub decided_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct AddReferralFeedbackInput {
    pub id: Option<Uuid>,
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub added_at: DateTime<Utc>,
    /// Stored encrypted; read back in the referral's packet.
    #[graphql(secret)]
    pub notes: String,
}

#[derive(InputObject, Clone, Debug)]
pub struct HandOnReferralInput {
    pub case_id: Uuid,
    pub referral_id: Uuid,
    pub to_agency: Agency,
    /// An agency of the reference data by its code; `toAgency` must then be
    /// the contract value it reports as.
    pub to_agency_code: Option<String>,
    pub at: DateTime<Utc>,
    #[graphql(secret)]
    pub reason: Option<String>,
    pub idempotency_key: Option<String>,
}

impl From<CorrectCallInput> for command::CorrectCallInput {
    fn from(i: CorrectCallInput) -> Self {
        Self {
            call_id: i.call_id,
            received_at: i.received_at,
            channel: i.channel.map(Into::into),
            caller_type: i.caller_type.map(Into::into),
            category: i.category.map(Into::into),
            topics: i.topics.map(|t| t.into_iter().map(Into::into).collect()),
            category_code: i.category_code,
            topic_codes: i.topic_codes,
            region: i.region.map(Into::into),
            province: i.province,
            country: i.country,
            reason: i.reason,
            idempotency_key: i.idempotency_key,
        }
    }
}

impl From<CorrectPersonInput> for command::CorrectPersonInput {
    fn from(i: CorrectPersonInput) -> Self {
        Self {
            case_id: i.case_id,
            person_id: i.person_id,
            role: i.role.map(Into::into),
            gender: i.gender.map(Into::into),
            birth_year: i.birth_year,
            full_name: i.full_name,
            phone: i.phone,
            reason: i.reason,
            idempotency_key: i.idempotency_key,
        }
    }
}

impl From<RecordPersonDetailsInput> for command::RecordPersonDetailsInput {
    fn from(i: RecordPersonDetailsInput) -> Self {
        Self {
            case_id: i.case_id,
            person_id: i.person_id,
            nationality: i.nationality,
            ethnicity: i.ethnicity,
            idempotency_key: i.idempotency_key,
        }
    }
}

impl From<RecordDestinationInput> for command::RecordDestinationInput {
    fn from(i: RecordDestinationInput) -> Self {
        Self {
            case_id: i.case_id,
            country: i.country,
            idempotency_key: i.idempotency_key,
        }
    }
}

impl From<DecideVictimStatusInput> for command::DecideVictimStatusInput {
    fn from(i: DecideVictimStatusInput) -> Self {
        Self {
            case_id: i.case_id,
            person_id: i.person_id,
            status: i.status.into(),
            authority: domain::values::AgencyClass::from(i.authority).into(),
            decided_at: i.decided_at,
            idempotency_key: i.idempotency_key,
        }
    }
}

impl From<AddReferralFeedbackInput> for command::AddReferralFeedbackInput {
    fn from(i: AddReferralFeedbackInput) -> Self {
        Self {
            id: i.id,
            case_id: i.case_id,
            referral_id: i.referral_id,
            added_at: i.added_at,
            notes: i.notes,
        }
    }
}

impl From<HandOnReferralInput> for command::HandOnReferralInput {
    fn from(i: HandOnReferralInput) -> Self {
        Self {
            case_id: i.case_id,
            referral_id: i.referral_id,
            to_agency: domain::values::AgencyClass::from(i.to_agency).into(),
            to_agency_code: i.to_agency_code,
            at: i.at,
            reason: i.reason,
            idempotency_key: i.idempotency_key,
        }
    }
}
