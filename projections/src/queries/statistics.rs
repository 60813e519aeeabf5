//! The contract's `statistics` query: sums over the rollups of migration
//! 0003, never over events. Whole months inside the period are read from
//! month rows and only the partial months at its edges from day rows, so a
//! query touches at most (months + 62 days) x the code lists' cells, whether
//! the log holds ten thousand events or ten million.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use domain::values::{Agency, CallCategory, Channel, Region};
use sqlx::{PgPool, Row};

use super::period::{cover, months};
use crate::error::ProjectionError;

/// The contract's `Statistics`.
#[derive(Clone, Debug, PartialEq)]
pub struct Statistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The statistics projection's applied position: quote it with any figure.
    pub as_of_position: i64,
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

impl MonthStatistics {
    fn empty(month: String) -> Self {
        let (calls, counselling_calls, referrals, persons_rescued) = (0, 0, 0, 0);
        Self {
            month,
            calls,
            counselling_calls,
            referrals,
            persons_rescued,
        }
    }
}

/// The rows of a rollup table inside the period (and region, if any). A
/// rebuild writes rollups in key order and live updates arrive in time
/// order, so these rows lie on few pages.
macro_rules! in_period {
    () => {
        " WHERE ((grain = 'month' AND period_start >= $1 AND period_start < $2) \
           OR (grain = 'day' AND (period_start BETWEEN $3 AND $4 OR period_start BETWEEN $5 AND $6))) \
           AND ($7::text IS NULL OR region = $7)"
    };
}

/// Local month of a rollup row, whatever its grain.
macro_rules! month {
    () => {
        "date_trunc('month', period_start::timestamp)::date"
    };
}

/// Only the breakdowns the report shows, so that a few hundred rows travel
/// whatever the period: by region, by channel, and by month and category
/// (which gives the monthly series, counselling calls and the category totals).
/// Codes are never NULL in the tables, so the NULLs of a row tell its set.
const CALLS: &str = concat!(
    "SELECT month, region, NULL::text AS channel, category, sum(calls)::bigint FROM (SELECT ",
    month!(),
    " AS month, region, category, calls FROM statistics_calls_by_category",
    in_period!(),
    ") AS cells GROUP BY GROUPING SETS ((region), (month, category)) \
     UNION ALL SELECT NULL::date, NULL::text, channel, NULL::text, sum(calls)::bigint \
     FROM statistics_calls_by_channel",
    in_period!(),
    " GROUP BY channel"
);
/// The position the figures reflect, and the totals kept by region alone.
const TOTALS: &str = concat!(
    "SELECT coalesce((SELECT applied_position FROM projection_checkpoints WHERE name = 'statistics'), 0), ",
    "(SELECT coalesce(sum(sessions), 0)::bigint FROM statistics_counselling_sessions",
    in_period!(),
    "), (SELECT coalesce(sum(cases), 0)::bigint FROM statistics_cases_opened",
    in_period!(),
    ")"
);
const REFERRALS: &str = concat!(
    "SELECT ",
    month!(),
    ", agency, sum(referrals)::bigint, sum(persons_rescued)::bigint FROM statistics_referrals",
    in_period!(),
    " GROUP BY 1, 2"
);

/// The longest period a query may span, in years.
const MAX_YEARS: i32 = 100;

/// Counts of one breakdown, by code.
type Counts<K> = BTreeMap<K, i64>;

/// Statistics for the local days `from..=to` (see the contract). All figures
/// and `as_of_position` come from one snapshot, so they always agree.
#[tracing::instrument(skip(pool))]
pub async fn statistics(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    region: Option<Region>,
    min_cell_size: i64,
) -> Result<Statistics, ProjectionError> {
    // A century is more than the hotline will ever ask; more is a client bug.
    if from > to || to.year() - from.year() > MAX_YEARS {
        return Err(ProjectionError::InvalidPeriod);
    }
    let c = cover(from, to);
    let query = |sql: &'static str| {
        sqlx::query(sql)
            .bind(c.months_from)
            .bind(c.months_before)
            .bind(c.head.0)
            .bind(c.head.1)
            .bind(c.tail.0)
            .bind(c.tail.1)
            .bind(region.map(Region::as_str))
    };
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let totals = query(TOTALS).fetch_one(&mut *tx).await?;
    let (as_of_position, counselling_sessions, cases_opened): (i64, i64, i64) =
        (totals.try_get(0)?, totals.try_get(1)?, totals.try_get(2)?);
    let call_rows = query(CALLS).fetch_all(&mut *tx).await?;
    let referral_rows = query(REFERRALS).fetch_all(&mut *tx).await?;
    tx.commit().await?;

    let mut months: BTreeMap<NaiveDate, MonthStatistics> = months(from, to)
        .map(|month| {
            let label = format!("{:04}-{:02}", month.year(), month.month());
            (month, MonthStatistics::empty(label))
        })
        .collect();
    let (mut by_region, mut by_category, mut by_channel) =
        (Counts::new(), Counts::new(), Counts::new());
    for row in &call_rows {
        let calls: i64 = row.try_get(4)?;
        // A code this version does not know (written by a newer one) still counts in totals.
        if let Some(region) = row.try_get::<Option<&str>, _>(1)? {
            if let Ok(region) = region.parse::<Region>() {
                *by_region.entry(region).or_default() += calls;
            }
        } else if let Some(channel) = row.try_get::<Option<&str>, _>(2)? {
            if let Ok(channel) = channel.parse::<Channel>() {
                *by_channel.entry(channel).or_default() += calls;
            }
        } else if let Some(month) = row.try_get::<Option<NaiveDate>, _>(0)? {
            let category = row
                .try_get::<Option<&str>, _>(3)?
                .and_then(|c| c.parse::<CallCategory>().ok());
            if let Some(category) = category {
                *by_category.entry(category).or_default() += calls;
            }
            if let Some(m) = months.get_mut(&month) {
                m.calls += calls;
                if category == Some(CallCategory::Counselling) {
                    m.counselling_calls += calls;
                }
            }
        }
    }
    let mut by_agency: BTreeMap<Agency, (i64, i64)> = BTreeMap::new();
    for row in &referral_rows {
        let (month, referrals, rescued): (NaiveDate, i64, i64) =
            (row.try_get(0)?, row.try_get(2)?, row.try_get(3)?);
        if let Ok(agency) = row.try_get::<&str, _>(1)?.parse::<Agency>() {
            let cell = by_agency.entry(agency).or_default();
            cell.0 += referrals;
            cell.1 += rescued;
        }
        if let Some(m) = months.get_mut(&month) {
            m.referrals += referrals;
            m.persons_rescued += rescued;
        }
    }
    let monthly: Vec<MonthStatistics> = months.into_values().collect();
    let total_calls = monthly.iter().map(|m| m.calls).sum();
    let cell = |count: i64| {
        if count < min_cell_size {
            (None, true)
        } else {
            (Some(count), false)
        }
    };
    Ok(Statistics {
        from,
        to,
        as_of_position,
        min_cell_size,
        total_calls,
        counselling_calls: monthly.iter().map(|m| m.counselling_calls).sum(),
        counselling_sessions,
        cases_opened,
        referrals: monthly.iter().map(|m| m.referrals).sum(),
        persons_rescued: monthly.iter().map(|m| m.persons_rescued).sum(),
        calls_by_region: Region::ALL
            .iter()
            .map(|&region| {
                let (count, suppressed) = cell(by_region.get(&region).copied().unwrap_or(0));
                let share = count
                    .filter(|_| total_calls > 0)
                    .map(|n| n as f64 / total_calls as f64);
                RegionCount {
                    region,
                    count,
                    share,
                    suppressed,
                }
            })
            .collect(),
        calls_by_category: CallCategory::ALL
            .iter()
            .map(|&category| {
                let (count, suppressed) = cell(by_category.get(&category).copied().unwrap_or(0));
                CategoryCount {
                    category,
                    count,
                    suppressed,
                }
            })
            .collect(),
        calls_by_channel: Channel::ALL
            .iter()
            .map(|&channel| {
                let (count, suppressed) = cell(by_channel.get(&channel).copied().unwrap_or(0));
                ChannelCount {
                    channel,
                    count,
                    suppressed,
                }
            })
            .collect(),
        referrals_by_agency: Agency::ALL
            .iter()
            .map(|&agency| {
                let (referrals, rescued) = by_agency.get(&agency).copied().unwrap_or((0, 0));
                let (referrals, suppressed) = cell(referrals);
                AgencyCount {
                    agency,
                    referrals,
                    persons_rescued: (!suppressed).then_some(rescued),
                    suppressed,
                }
            })
            .collect(),
        monthly,
    })
}
