//! What earlier events said that later events of the statistics are
//! attributed by (filled from the batch and, for earlier batches, from the log).

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::values::{Agency, Region};
use uuid::Uuid;

/// What earlier events said that later ones are attributed by.
#[derive(Default)]
pub(super) struct Memory {
    /// Each call's region from each point of its stream on (`call_regions.rs`).
    pub call_regions: super::call_regions::CallRegions,
    pub case_regions: HashMap<Uuid, Region>,
    /// By (case, referral id).
    pub referral_agencies: HashMap<(Uuid, Uuid), Agency>,
    /// A case's province and the local day it was opened.
    pub case_places: HashMap<Uuid, (Option<String>, NaiveDate)>,
    /// The local day a referral was sent, by (case, referral id).
    pub referral_days: HashMap<(Uuid, Uuid), NaiveDate>,
}
