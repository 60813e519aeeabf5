//! `changeReferenceData` (ADMIN): a dated change of a province, region,
//! agency, ministry, call category or counselling topic, recorded as an
//! event; `referenceData(on:)` reflects it from then on. Calls and cases
//! already recorded keep the values they were recorded with.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, InputObject, Result, SimpleObject};
use domain::reference::book::REPORTS_AS;
use domain::reference::dated::Entry;
use domain::reference_data::RecordedChange;

use super::context::request;
use super::enums::Region;
use super::scalars::Date;
use crate::commands::reference::ChangeReferenceDataInput as CommandInput;
use crate::error::ApiError;
use crate::policy::{require, Capability};

#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "domain::reference::dated::ReferenceKind")]
pub enum ReferenceKind {
    Province,
    Region,
    Agency,
    Ministry,
    CallCategory,
    CounsellingTopic,
}

/// One reference entry over its validity.
#[derive(SimpleObject)]
pub struct ReferenceEntry {
    pub kind: ReferenceKind,
    pub code: String,
    /// The Vietnamese name.
    pub name: String,
    pub english_name: Option<String>,
    /// First day in force; null: since before the hotline's records.
    pub valid_from: Option<Date>,
    /// Last day in force (inclusive); null: still in force.
    pub valid_to: Option<Date>,
    /// For an agency: the ministry (or body) it answers to, a MINISTRY code.
    pub ministry: Option<String>,
    /// For an agency, call category or counselling topic ADMIN added: the
    /// contract value it reports as (the enum fields and statistics count it
    /// there); null for the contract's own values.
    pub reports_as: Option<String>,
}

impl From<Entry> for ReferenceEntry {
    fn from(e: Entry) -> Self {
        Self {
            kind: e.kind.into(),
            ministry: e.attributes.get("ministry").cloned(),
            reports_as: e.attributes.get(REPORTS_AS).cloned(),
            code: e.code,
            name: e.name,
            english_name: e.english_name,
            valid_from: e.valid_from.map(Date),
            valid_to: e.valid_to.map(Date),
        }
    }
}

/// A dated change. Without `name` it withdraws the entry over those days.
#[derive(InputObject)]
pub struct ChangeReferenceDataInput {
    pub kind: ReferenceKind,
    /// A code the reference data knows, or a new one (A-Z, 0-9 and _, at
    /// most 40): a new agency, province, ministry, call category or topic.
    pub code: String,
    pub valid_from: Date,
    /// Last day of the change (inclusive); null: from validFrom on.
    pub valid_to: Option<Date>,
    pub name: Option<String>,
    pub english_name: Option<String>,
    /// AGENCY: required, a MINISTRY code.
    pub ministry: Option<String>,
    /// PROVINCE: required, the province's region.
    pub region: Option<Region>,
    /// PROVINCE: the province that absorbed it, if merged.
    pub successor: Option<String>,
    /// AGENCY, CALL_CATEGORY, COUNSELLING_TOPIC: required for a code that is
    /// not a value of the contract's enum: the value it reports as (e.g. NGO).
    pub reports_as: Option<String>,
    /// The act or decision the change follows (no personal data).
    pub source: String,
    pub idempotency_key: Option<String>,
}

/// The change as recorded.
#[derive(SimpleObject)]
pub struct ReferenceChange {
    pub kind: ReferenceKind,
    pub code: String,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    /// Null when the change withdraws the entry over its days.
    pub name: Option<String>,
    pub english_name: Option<String>,
    pub ministry: Option<String>,
    pub region: Option<Region>,
    pub successor: Option<String>,
    pub reports_as: Option<String>,
    pub source: String,
    /// How many changes the reference data has recorded, this one included.
    pub version: i32,
}

impl ReferenceChange {
    fn new(c: &RecordedChange, version: i64) -> Self {
        let attribute = |key: &str| c.attributes.get(key).cloned();
        Self {
            kind: c.kind.into(),
            code: c.code.clone(),
            valid_from: Date(c.valid_from),
            valid_to: c.valid_to.map(Date),
            name: c.name.clone(),
            english_name: c.english_name.clone(),
            ministry: attribute("ministry"),
            region: attribute("region")
                .and_then(|r| r.parse::<domain::values::Region>().ok())
                .map(Into::into),
            successor: attribute("successor"),
            reports_as: attribute(REPORTS_AS),
            source: c.source.clone(),
            version: i32::try_from(version).unwrap_or(i32::MAX),
        }
    }
}

/// The mutation's body (`Mutation::change_reference_data`).
pub async fn change(ctx: &Context<'_>, input: ChangeReferenceDataInput) -> Result<ReferenceChange> {
    let (app, req) = request(ctx)?;
    require(&req.principal, Capability::ChangeReferenceData)?;
    let attributes: BTreeMap<String, String> = [
        ("ministry", input.ministry),
        (
            "region",
            input
                .region
                .map(|r| domain::values::Region::from(r).as_str().to_string()),
        ),
        ("successor", input.successor),
        (REPORTS_AS, input.reports_as),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.trim().to_string())))
    .collect();
    let command = CommandInput {
        kind: input.kind.into(),
        code: input.code,
        valid_from: input.valid_from.0,
        valid_to: input.valid_to.map(|d| d.0),
        name: input.name,
        english_name: input.english_name,
        attributes,
        source: input.source,
        idempotency_key: input.idempotency_key,
    };
    let done = app
        .commands
        .change_reference_data(&req.command_context(), command)
        .await?;
    let last = done.loaded.state.changes.last().ok_or(ApiError::Internal)?;
    tracing::info!(reference.code = %last.code, "reference data changed");
    Ok(ReferenceChange::new(last, done.loaded.version))
}
