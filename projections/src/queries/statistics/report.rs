//! The report's figures beyond the contract's first `Statistics` (issue 14).

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
    /// Persons attached to cases opened in the period.
    pub persons_by_gender: Vec<CodeCount>,
    pub persons_by_age_band: Vec<CodeCount>,
    pub referrals_by_agency: Vec<CodeCount>,
    pub persons_rescued_by_cohort_by_agency: Vec<CodeCount>,
    pub monthly: Vec<MonthReport>,
}
