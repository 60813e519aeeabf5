//! What a statistics answer is asked for ([`Ask`]) and what it answers:
//! the contract's `Statistics`, and the report's figures beyond its first
//! shape (issue 14).

use chrono::NaiveDate;
use domain::values::{Agency, CallCategory, Channel, Region};

use crate::disclosure::Disclosure;

/// The contract's `Statistics`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The statistics projection's applied position: quote it with any figure.
    pub as_of_position: i64,
    /// The smallest count published (the floor, under disclosure control).
    pub min_cell_size: i64,
    pub total_calls: i64,
    /// Calls whose category is COUNSELLING.
    pub counselling_calls: i64,
    pub counselling_sessions: i64,
    pub cases_opened: i64,
    pub referrals: i64,
    pub persons_rescued: i64,
    /// Every region, in the contract's order.
    pub calls_by_region: Vec<RegionCount>,
    pub calls_by_category: Vec<CategoryCount>,
    pub calls_by_channel: Vec<ChannelCount>,
    pub referrals_by_agency: Vec<AgencyCount>,
    /// Every local month that the period touches, in order (edges clipped to the period).
    pub monthly: Vec<MonthStatistics>,
    /// The rest of the report (issue 14): topics, referral cases, cohorts, persons.
    pub whole: Report,
}

/// A count below the minimum cell size is `None` and `suppressed`.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionCount {
    pub region: Region,
    pub count: Option<i64>,
    /// Fraction of the period's total calls (of the filtered region, if any).
    pub share: Option<f64>,
    pub suppressed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryCount {
    pub category: CallCategory,
    pub count: Option<i64>,
    pub suppressed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelCount {
    pub channel: Channel,
    pub count: Option<i64>,
    pub suppressed: bool,
}

/// Referrals and persons rescued, suppressed together when referrals are below the minimum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyCount {
    pub agency: Agency,
    pub referrals: Option<i64>,
    pub persons_rescued: Option<i64>,
    pub suppressed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthStatistics {
    /// "YYYY-MM", a local month.
    pub month: String,
    pub calls: i64,
    pub counselling_calls: i64,
    pub referrals: i64,
    pub persons_rescued: i64,
}

/// What a statistics answer is asked for.
#[derive(Clone, Copy, Debug)]
pub struct Ask {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub region: Option<Region>,
    /// Answer as of this log position: only events at or before it count.
    pub as_of_position: Option<i64>,
    /// Province breakdowns restated on the map in force on this day
    /// (merged provinces counted under the province that absorbed them).
    pub map_on: Option<NaiveDate>,
    pub disclosure: Disclosure,
}

/// One code of a breakdown, over the period and by month.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CodeCount {
    pub code: String,
    pub count: Option<i64>,
    pub suppressed: bool,
    pub monthly: Vec<MonthCount>,
}

/// One month of a breakdown's code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthCount {
    /// "YYYY-MM", a local month.
    pub month: String,
    pub count: Option<i64>,
    pub suppressed: bool,
}

/// One month of the report's other totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthReport {
    pub month: String,
    pub counselling_sessions: i64,
    pub cases_opened: i64,
    pub referral_cases: i64,
    pub persons_rescued_by_cohort: i64,
}

/// The rest of the report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Whether the figures are perturbed (cell key method) rather than exact.
    pub disclosure_controlled: bool,
    /// The map province breakdowns are given on: "recorded", or the day of the map.
    pub map: String,
    /// Distinct cases with at least one referral sent in the period.
    pub referral_cases: i64,
    /// Persons rescued through the referrals sent in the period, whenever rescued.
    pub persons_rescued_by_cohort: i64,
    /// Counselling calls (category COUNSELLING) by topic: a call counts under each of its topics.
    pub counselling_calls_by_topic: Vec<CodeCount>,
    pub calls_by_caller_type: Vec<CodeCount>,
    /// Calls by province as recorded, or restated on `map`; calls without a province are left out.
    pub calls_by_province: Vec<CodeCount>,
    /// Calls by region restated on `map` (the recorded region when no map is asked).
    pub calls_by_region_on_map: Vec<CodeCount>,
    /// Cases opened in the period by their province, as recorded or restated on `map`.
    pub cases_opened_by_province: Vec<CodeCount>,
    /// Referrals sent in the period by their case's province, as recorded or restated on `map`.
    pub referrals_by_province: Vec<CodeCount>,
    /// Persons attached to cases opened in the period.
    pub persons_by_gender: Vec<CodeCount>,
    pub persons_by_age_band: Vec<CodeCount>,
    pub referrals_by_agency: Vec<CodeCount>,
    pub persons_rescued_by_cohort_by_agency: Vec<CodeCount>,
    pub monthly: Vec<MonthReport>,
}
