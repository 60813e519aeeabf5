//! The contract's `statistics` query: sums over the day and month cells of
//! migration 0015, never over events. Whole months inside the period are
//! read from month rows and only the partial months at its edges from day
//! rows, so a query touches at most (months + 62 days) x the code lists'
//! cells, whether the log holds ten thousand events or ten million. As of a
//! log position, the same sums come from the facts up to that position
//! (`read.rs`). Every figure goes through one [`Disclosure`]: exact, or
//! perturbed by the cell key method with a floor (`crate::disclosure`).

use chrono::NaiveDate;
use domain::values::{Agency, CallCategory, Channel, Region};
use sqlx::PgPool;

use crate::disclosure::Disclosure;
use crate::error::ProjectionError;

mod assemble;
mod read;
mod report;

pub use report::{CodeCount, MonthCount, MonthReport, Report};

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

/// The longest period a query may span, in years.
const MAX_YEARS: i32 = 100;

/// Statistics for the local days `from..=to`, exact, with breakdown cells
/// below `min_cell_size` suppressed (the contract's original behaviour).
pub async fn statistics(
    pool: &PgPool,
    from: NaiveDate,
    to: NaiveDate,
    region: Option<Region>,
    min_cell_size: i64,
) -> Result<Statistics, ProjectionError> {
    report(
        pool,
        &Ask {
            from,
            to,
            region,
            as_of_position: None,
            map_on: None,
            disclosure: Disclosure::Exact { min_cell_size },
        },
    )
    .await
}

/// Statistics as asked (see the contract). All figures and
/// `as_of_position` come from one snapshot, so they always agree.
#[tracing::instrument(skip(pool))]
pub async fn report(pool: &PgPool, ask: &Ask) -> Result<Statistics, ProjectionError> {
    use chrono::Datelike;
    // A century is more than the hotline will ever ask; more is a client bug.
    if ask.from > ask.to || ask.to.year() - ask.from.year() > MAX_YEARS {
        return Err(ProjectionError::InvalidPeriod);
    }
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let applied: i64 = sqlx::query_scalar(
        "SELECT coalesce((SELECT applied_position FROM projection_checkpoints WHERE name = 'statistics'), 0)",
    )
    .fetch_one(&mut *tx)
    .await?;
    let as_of_position = match ask.as_of_position {
        Some(asked) if asked > applied => {
            return Err(ProjectionError::PositionNotReached { asked, applied })
        }
        Some(asked) => asked,
        None => applied,
    };
    let sums = read::sums(&mut tx, ask, assemble::FIGURES).await?;
    tx.commit().await?;
    Ok(assemble::statistics(ask, as_of_position, &sums))
}
