//! `referenceData`: the provinces and regions a call may name, readable by
//! a person (Vietnamese names, validity, the province that absorbed a merged
//! one), and the agencies (with their ministry), ministries, call categories
//! and counselling topics. The base is the domain's (`domain::reference`,
//! the repository's `reference/*.json`), so what the API shows is what the
//! rules check against; ADMIN's dated changes (`changeReferenceData`,
//! module `reference_changes`) apply over it.

use async_graphql::{Context, Object, Result, SimpleObject};
use domain::reference::dated::{history, on_day, Entry, ReferenceKind as Kind};
use domain::reference::{region_names, Province, PROVINCES};

use super::context::request;
use super::enums::Region;
use super::scalars::Date;
use crate::policy::{require, Capability};

use super::reference_changes::ReferenceEntry;

#[derive(Default)]
pub struct ReferenceQuery;

/// Reference data as it stood on one day, or all of it with its validity.
#[derive(SimpleObject)]
pub struct ReferenceData {
    /// Provinces in force on the day asked for; without a day, every province the
    /// reference data knows (the 63 of before 1 July 2025, 34 of which continue).
    pub provinces: Vec<ProvinceReference>,
    /// Every region a call or case may record.
    pub regions: Vec<RegionReference>,
    /// Agencies referrals go to, each with the ministry (or body) it answers to.
    pub agencies: Vec<ReferenceEntry>,
    pub ministries: Vec<ReferenceEntry>,
    pub call_categories: Vec<ReferenceEntry>,
    pub counselling_topics: Vec<ReferenceEntry>,
}

/// One province as the reference data knows it.
#[derive(SimpleObject)]
pub struct ProvinceReference {
    /// The code a call's `province` takes (e.g. HA_NOI).
    pub code: String,
    /// The Vietnamese name, with diacritics.
    pub name: String,
    /// The socio-economic region it lies in.
    pub region: Region,
    /// First day in force; null: since before the hotline's records.
    pub valid_from: Option<Date>,
    /// Last day in force (inclusive); null: still in force.
    pub valid_to: Option<Date>,
    /// For a merged province, the code of the province that absorbed it (use it from the day after `validTo`).
    pub successor: Option<String>,
}

/// One region.
#[derive(SimpleObject)]
pub struct RegionReference {
    pub code: Region,
    /// The Vietnamese name.
    pub name: String,
    /// The English name, as in the ministry's report.
    pub english_name: String,
}

impl From<&Province> for ProvinceReference {
    fn from(p: &Province) -> Self {
        Self {
            code: p.code.to_string(),
            name: p.name.to_string(),
            region: p.region.into(),
            valid_from: p.valid_from().map(Date),
            valid_to: p.valid_to().map(Date),
            successor: p.merged_into.map(str::to_string),
        }
    }
}

#[Object]
impl ReferenceQuery {
    /// The provinces and regions calls and cases may name. `on`: only the provinces
    /// in force on that day (34 from 2025-07-01, 63 before).
    async fn reference_data(&self, ctx: &Context<'_>, on: Option<Date>) -> Result<ReferenceData> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadReferenceData)?;
        let changes = app.commands.reference_changes().await?;
        let entries = |kind: Kind| -> Vec<Entry> {
            match &on {
                Some(day) => on_day(kind, day.0, &changes),
                None => history(kind, &changes),
            }
        };
        let provinces = if changes.iter().any(|c| c.kind == Kind::Province) {
            entries(Kind::Province)
                .iter()
                .filter_map(ProvinceReference::from_entry)
                .collect()
        } else {
            PROVINCES
                .iter()
                .filter(|p| on.as_ref().is_none_or(|day| p.in_force_on(day.0)))
                .map(ProvinceReference::from)
                .collect()
        };
        let regions = domain::values::Region::ALL
            .iter()
            .map(|&r| {
                let names = region_names(r);
                let changed = entries(Kind::Region)
                    .into_iter()
                    .find(|e| e.code == r.as_str());
                RegionReference {
                    code: r.into(),
                    name: changed
                        .as_ref()
                        .map_or(names.vietnamese.to_string(), |e| e.name.clone()),
                    english_name: changed
                        .and_then(|e| e.english_name)
                        .unwrap_or_else(|| names.english.to_string()),
                }
            })
            .collect();
        let listed = |kind: Kind| -> Vec<ReferenceEntry> {
            entries(kind)
                .into_iter()
                .map(ReferenceEntry::from)
                .collect()
        };
        Ok(ReferenceData {
            provinces,
            regions,
            agencies: listed(Kind::Agency),
            ministries: listed(Kind::Ministry),
            call_categories: listed(Kind::CallCategory),
            counselling_topics: listed(Kind::CounsellingTopic),
        })
    }
}

impl ProvinceReference {
    /// A province entry as changed by ADMIN (its region must be a region code).
    fn from_entry(e: &Entry) -> Option<Self> {
        let region = e
            .attributes
            .get("region")?
            .parse::<domain::values::Region>()
            .ok()?;
        Some(Self {
            code: e.code.clone(),
            name: e.name.clone(),
            region: region.into(),
            valid_from: e.valid_from.map(Date),
            valid_to: e.valid_to.map(Date),
            successor: e.attributes.get("successor").cloned(),
        })
    }
}
