//! The report's figures beyond the contract's first `Statistics` (issue
//! 14), added to it: topics, caller types, calls, cases and referrals by
//! province on a map, persons by gender and age band, referral cases and the
//! rescue cohort, each with its monthly series.

use async_graphql::SimpleObject;

/// A count as the contract's Int (saturating: counts never reach it).
pub(super) fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// One code of a breakdown: null and suppressed when it may not be shown.
#[derive(SimpleObject)]
pub struct CodeCount {
    pub code: String,
    pub count: Option<i32>,
    pub suppressed: bool,
    /// The same code by local month.
    pub monthly: Vec<MonthCount>,
}

#[derive(SimpleObject)]
pub struct MonthCount {
    pub month: String,
    pub count: Option<i32>,
    pub suppressed: bool,
}

/// One local month of the report's other totals.
#[derive(SimpleObject)]
pub struct MonthReport {
    pub month: String,
    pub counselling_sessions: i32,
    pub cases_opened: i32,
    pub referral_cases: i32,
    pub persons_rescued_by_cohort: i32,
}

pub fn code_counts(counts: Vec<projections::queries::CodeCount>) -> Vec<CodeCount> {
    counts
        .into_iter()
        .map(|c| CodeCount {
            code: c.code,
            count: c.count.map(int),
            suppressed: c.suppressed,
            monthly: c
                .monthly
                .into_iter()
                .map(|m| MonthCount {
                    month: m.month,
                    count: m.count.map(int),
                    suppressed: m.suppressed,
                })
                .collect(),
        })
        .collect()
}

pub fn month_reports(months: Vec<projections::queries::MonthReport>) -> Vec<MonthReport> {
    months
        .into_iter()
        .map(|m| MonthReport {
            month: m.month,
            counselling_sessions: int(m.counselling_sessions),
            cases_opened: int(m.cases_opened),
            referral_cases: int(m.referral_cases),
            persons_rescued_by_cohort: int(m.persons_rescued_by_cohort),
        })
        .collect()
}
