//! Statistics and projection status, as the contract shapes them.

use async_graphql::SimpleObject;

use super::enums::*;
use super::scalars::Date;
use super::statistics_report::{code_counts, int, month_reports, CodeCount, MonthReport};

/// A count that is null, with suppressed true, when it is below the minimum cell size.
#[derive(SimpleObject)]
pub struct RegionCount {
    pub region: Region,
    pub count: Option<i32>,
    pub share: Option<f64>,
    pub suppressed: bool,
}

#[derive(SimpleObject)]
pub struct CategoryCount {
    pub category: CallCategory,
    pub count: Option<i32>,
    pub suppressed: bool,
}

#[derive(SimpleObject)]
pub struct ChannelCount {
    pub channel: Channel,
    pub count: Option<i32>,
    pub suppressed: bool,
}

#[derive(SimpleObject)]
pub struct AgencyCount {
    pub agency: Agency,
    pub referrals: Option<i32>,
    pub persons_rescued: Option<i32>,
    pub suppressed: bool,
}

#[derive(SimpleObject)]
pub struct MonthStatistics {
    pub month: String,
    pub calls: i32,
    pub counselling_calls: i32,
    pub referrals: i32,
    pub persons_rescued: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "Statistics")]
pub struct StatisticsNode {
    pub from: Date,
    pub to: Date,
    /// The position in the event log that these figures reflect: quote it with any published figure.
    pub as_of_position: String,
    pub min_cell_size: i32,
    pub total_calls: i32,
    /// Calls whose category is COUNSELLING.
    pub counselling_calls: i32,
    pub counselling_sessions: i32,
    pub cases_opened: i32,
    pub referrals: i32,
    pub persons_rescued: i32,
    pub calls_by_region: Vec<RegionCount>,
    pub calls_by_category: Vec<CategoryCount>,
    pub calls_by_channel: Vec<ChannelCount>,
    pub referrals_by_agency: Vec<AgencyCount>,
    pub monthly: Vec<MonthStatistics>,
    /// True when the figures are disclosure-controlled (ANALYST): perturbed by the
    /// cell key method, no count from 1 to minCellSize - 1 anywhere (docs/STATISTICS.md).
    pub disclosure_controlled: bool,
    /// The map province and region breakdowns are given on: "recorded", or the map's day.
    pub map: String,
    /// Distinct cases with at least one referral sent in the period.
    pub referral_cases: i32,
    /// Persons rescued through the referrals sent in the period, whenever the rescue came.
    pub persons_rescued_by_cohort: i32,
    /// Counselling calls by topic; a call counts under each of its topics.
    pub counselling_calls_by_topic: Vec<CodeCount>,
    pub calls_by_caller_type: Vec<CodeCount>,
    /// Calls by province code, as recorded or restated on `map`, with the monthly series.
    pub calls_by_province: Vec<CodeCount>,
    /// Calls by region, as recorded or restated on `map`, with the monthly series.
    pub calls_by_region_on_map: Vec<CodeCount>,
    /// Cases opened by province code, as recorded or restated on `map`, with the
    /// monthly series; cases recorded with a region alone are left out.
    pub cases_opened_by_province: Vec<CodeCount>,
    /// Referrals sent by their case's province code, as recorded or restated on
    /// `map`, with the monthly series; cases recorded with a region alone are left out.
    pub referrals_by_province: Vec<CodeCount>,
    /// Persons attached to the cases opened in the period.
    pub persons_by_gender: Vec<CodeCount>,
    /// Age at the case's opening year: UNDER_16, AGE_16_17, AGE_18_29, AGE_30_44, AGE_45_PLUS, UNKNOWN.
    pub persons_by_age_band: Vec<CodeCount>,
    /// Referrals sent by agency, with their monthly series.
    pub referrals_sent_by_agency: Vec<CodeCount>,
    pub persons_rescued_by_cohort_by_agency: Vec<CodeCount>,
    /// The report's other totals by local month.
    pub monthly_report: Vec<MonthReport>,
}

impl From<projections::queries::Statistics> for StatisticsNode {
    fn from(s: projections::queries::Statistics) -> Self {
        StatisticsNode {
            from: Date(s.from),
            to: Date(s.to),
            as_of_position: s.as_of_position.to_string(),
            min_cell_size: int(s.min_cell_size),
            total_calls: int(s.total_calls),
            counselling_calls: int(s.counselling_calls),
            counselling_sessions: int(s.counselling_sessions),
            cases_opened: int(s.cases_opened),
            referrals: int(s.referrals),
            persons_rescued: int(s.persons_rescued),
            calls_by_region: s
                .calls_by_region
                .into_iter()
                .map(|c| RegionCount {
                    region: c.region.into(),
                    count: c.count.map(int),
                    share: c.share,
                    suppressed: c.suppressed,
                })
                .collect(),
            calls_by_category: s
                .calls_by_category
                .into_iter()
                .map(|c| CategoryCount {
                    category: c.category.into(),
                    count: c.count.map(int),
                    suppressed: c.suppressed,
                })
                .collect(),
            calls_by_channel: s
                .calls_by_channel
                .into_iter()
                .map(|c| ChannelCount {
                    channel: c.channel.into(),
                    count: c.count.map(int),
                    suppressed: c.suppressed,
                })
                .collect(),
            referrals_by_agency: s
                .referrals_by_agency
                .into_iter()
                .map(|c| AgencyCount {
                    agency: c.agency.into(),
                    referrals: c.referrals.map(int),
                    persons_rescued: c.persons_rescued.map(int),
                    suppressed: c.suppressed,
                })
                .collect(),
            monthly: s
                .monthly
                .into_iter()
                .map(|m| MonthStatistics {
                    month: m.month,
                    calls: int(m.calls),
                    counselling_calls: int(m.counselling_calls),
                    referrals: int(m.referrals),
                    persons_rescued: int(m.persons_rescued),
                })
                .collect(),
            disclosure_controlled: s.whole.disclosure_controlled,
            map: s.whole.map,
            referral_cases: int(s.whole.referral_cases),
            persons_rescued_by_cohort: int(s.whole.persons_rescued_by_cohort),
            counselling_calls_by_topic: code_counts(s.whole.counselling_calls_by_topic),
            calls_by_caller_type: code_counts(s.whole.calls_by_caller_type),
            calls_by_province: code_counts(s.whole.calls_by_province),
            calls_by_region_on_map: code_counts(s.whole.calls_by_region_on_map),
            cases_opened_by_province: code_counts(s.whole.cases_opened_by_province),
            referrals_by_province: code_counts(s.whole.referrals_by_province),
            persons_by_gender: code_counts(s.whole.persons_by_gender),
            persons_by_age_band: code_counts(s.whole.persons_by_age_band),
            referrals_sent_by_agency: code_counts(s.whole.referrals_by_agency),
            persons_rescued_by_cohort_by_agency: code_counts(
                s.whole.persons_rescued_by_cohort_by_agency,
            ),
            monthly_report: month_reports(s.whole.monthly),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "ProjectionStatus")]
pub struct ProjectionStatusNode {
    pub name: String,
    pub position: String,
    pub head_position: String,
    pub lag: i32,
    /// The log position of the event the projection failed on, while it is stuck there.
    pub failed_at: Option<String>,
    /// Why it failed (no personal data).
    pub error: Option<String>,
}

impl From<projections::ProjectionStatus> for ProjectionStatusNode {
    fn from(s: projections::ProjectionStatus) -> Self {
        ProjectionStatusNode {
            name: s.name,
            position: s.position.to_string(),
            head_position: s.head_position.to_string(),
            lag: int(s.lag),
            failed_at: s.failed_at.map(|p| p.to_string()),
            error: s.error,
        }
    }
}
