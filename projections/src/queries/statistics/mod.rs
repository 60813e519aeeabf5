//! The contract's `statistics` query: sums over the day and month cells of
//! migration 0015, never over events. Whole months inside the period are
//! read from month rows and only the partial months at its edges from day
//! rows, so a query touches at most (months + 62 days) x the code lists'
//! cells, whether the log holds ten thousand events or ten million. As of a
//! log position, the same sums come from the facts up to that position
//! (`read.rs`). Every figure goes through one [`Disclosure`]: exact, or
//! perturbed by the cell key method with a floor (`crate::disclosure`).

use chrono::NaiveDate;
use domain::values::Region;
use sqlx::PgPool;

use crate::disclosure::Disclosure;
use crate::error::ProjectionError;

mod assemble;
mod read;
mod report;

pub use report::{
    AgencyCount, Ask, CategoryCount, ChannelCount, CodeCount, MonthCount, MonthReport,
    MonthStatistics, RegionCount, Report, Statistics,
};

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
    let mut tx = store::transaction::begin_snapshot(pool).await?;
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
