//! Reading the sums a statistics answer is assembled from: (count, key sum)
//! per figure and code and local month, and per figure, region, province
//! and local month. Current figures come from the day and month cells (cost bounded
//! by the calendar); figures as of a position from the facts up to it (cost
//! bounded by the facts of the period). Distinct referral cases always come
//! from the facts (a case referred twice counts once), by month and for the
//! whole period.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{Postgres, Row, Transaction};

use super::super::period::cover;
use super::report::Ask;
use crate::error::ProjectionError;

/// A count and the sum of its records' keys (see `crate::disclosure`).
pub(crate) type Sum = (i64, i64);

/// What the answer is assembled from.
#[derive(Default)]
pub(crate) struct Sums {
    /// (figure, code, month), rolled up: `None` for every code or the whole
    /// period, so that each figure an answer publishes is one lookup (an
    /// answer reads thousands: every code of every breakdown by month).
    by_code_month: HashMap<(String, Option<String>, Option<NaiveDate>), Sum>,
    /// (figure, region, province, month)
    pub by_place: HashMap<(String, String, String, NaiveDate), Sum>,
    /// Distinct referral cases by month; `None`: the whole period.
    pub referral_cases: HashMap<Option<NaiveDate>, Sum>,
}

impl Sums {
    /// Adds one (figure, code, month) sum to its cell and its roll-ups.
    fn add(&mut self, figure: String, code: String, month: NaiveDate, (n, k): Sum) {
        for key in [
            (figure.clone(), Some(code.clone()), Some(month)),
            (figure.clone(), Some(code), None),
            (figure.clone(), None, Some(month)),
            (figure, None, None),
        ] {
            let sum = self.by_code_month.entry(key).or_default();
            sum.0 += n;
            sum.1 += k;
        }
    }

    /// A figure's total over the period.
    pub fn total(&self, figure: &str) -> Sum {
        self.select(figure, None, None)
    }

    /// A figure's total by code, or by month, or for one code by month.
    pub fn select(&self, figure: &str, code: Option<&str>, month: Option<NaiveDate>) -> Sum {
        let key = (figure.to_string(), code.map(str::to_string), month);
        self.by_code_month.get(&key).copied().unwrap_or_default()
    }
}

/// GROUPING(month, region, province) of the two grouping sets.
const BY_CODE_MONTH: i32 = 3;
const BY_PLACE: i32 = 0;

/// The grouping both sources share, over a subquery `c` of
/// (figure, month, region, province, code, n, key_sum).
macro_rules! grouped {
    ($source:expr) => {
        concat!(
            "SELECT GROUPING(month, region, province)::int, figure, month, region, province, code, \
             sum(n)::bigint, sum(key_sum)::bigint FROM (",
            $source,
            ") AS c GROUP BY GROUPING SETS ((figure, code, month), (figure, region, province, month))"
        )
    };
}

const FROM_CELLS: &str = grouped!(
    "SELECT figure, date_trunc('month', period_start::timestamp)::date AS month, region, province, \
     code, n, key_sum FROM statistics_cells \
     WHERE ((grain = 'month' AND period_start >= $1 AND period_start < $2) \
        OR (grain = 'day' AND (period_start BETWEEN $3 AND $4 OR period_start BETWEEN $5 AND $6))) \
       AND ($7::text IS NULL OR region = $7)"
);

const FROM_FACTS: &str = grouped!(
    "SELECT figure, date_trunc('month', day::timestamp)::date AS month, region, province, code, n, \
     record_key AS key_sum FROM statistics_facts \
     WHERE figure = ANY($5) AND day BETWEEN $1 AND $2 AND position <= $3 \
       AND ($4::text IS NULL OR region = $4)"
);

/// Distinct cases with more referrals than withdrawals, by month and for the whole period.
const REFERRAL_CASES: &str =
    "SELECT month, count(*)::bigint, coalesce(sum(case_key), 0)::bigint FROM ( \
     SELECT date_trunc('month', day::timestamp)::date AS month, case_id, min(case_key) AS case_key \
     FROM statistics_facts WHERE figure = 'referrals' AND day BETWEEN $1 AND $2 \
       AND ($3::bigint IS NULL OR position <= $3) AND ($4::text IS NULL OR region = $4) \
     GROUP BY GROUPING SETS ((date_trunc('month', day::timestamp)::date, case_id), (case_id)) \
     HAVING sum(n) > 0) AS cases GROUP BY month";

/// Reads the sums of `ask` inside the caller's snapshot.
pub(crate) async fn sums(
    tx: &mut Transaction<'_, Postgres>,
    ask: &Ask,
    figures: &[&str],
) -> Result<Sums, ProjectionError> {
    let region = ask.region.map(|r| r.as_str());
    let rows = match ask.as_of_position {
        None => {
            let c = cover(ask.from, ask.to);
            sqlx::query(FROM_CELLS)
                .bind(c.months_from)
                .bind(c.months_before)
                .bind(c.head.0)
                .bind(c.head.1)
                .bind(c.tail.0)
                .bind(c.tail.1)
                .bind(region)
                .fetch_all(&mut **tx)
                .await?
        }
        Some(position) => {
            sqlx::query(FROM_FACTS)
                .bind(ask.from)
                .bind(ask.to)
                .bind(position)
                .bind(region)
                .bind(figures.to_vec())
                .fetch_all(&mut **tx)
                .await?
        }
    };
    let mut sums = Sums::default();
    for row in rows {
        let set: i32 = row.try_get(0)?;
        let figure: String = row.try_get(1)?;
        let sum: Sum = (row.try_get(6)?, row.try_get(7)?);
        if set == BY_CODE_MONTH {
            let (month, code): (NaiveDate, String) = (row.try_get(2)?, row.try_get(5)?);
            sums.add(figure, code, month, sum);
        } else if set == BY_PLACE {
            let (month, region, province): (NaiveDate, String, String) =
                (row.try_get(2)?, row.try_get(3)?, row.try_get(4)?);
            sums.by_place.insert((figure, region, province, month), sum);
        }
    }
    let cases = sqlx::query(REFERRAL_CASES)
        .bind(ask.from)
        .bind(ask.to)
        .bind(ask.as_of_position)
        .bind(region)
        .fetch_all(&mut **tx)
        .await?;
    for row in cases {
        let month: Option<NaiveDate> = row.try_get(0)?;
        sums.referral_cases
            .insert(month, (row.try_get(1)?, row.try_get(2)?));
    }
    Ok(sums)
}
