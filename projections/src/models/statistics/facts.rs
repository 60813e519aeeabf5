//! Signed contributions (migration 0015): what each event adds to which
//! figure, written as facts with their log position and summed into the
//! day and month cells, both with their record keys (`crate::disclosure`).
//!
//! A correction is meant to withdraw a contribution and add the new one:
//! push the old contribution with `n` and its record key negated
//! ([`Contribution::withdrawn`]) and the new one as usual. Record keys are
//! derived when a batch is written ([`Keyed`]), under the database's secret
//! (`crate::disclosure::RecordKeys`), read once per batch.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use domain::values::{CallCategory, Gender, Region};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::disclosure::RecordKeys;
use crate::error::ProjectionError;
use crate::target::{month_of, Target};

/// The two grains each counter is kept at.
pub(super) fn periods(day: NaiveDate) -> [(&'static str, NaiveDate); 2] {
    [("day", day), ("month", month_of(day))]
}

/// The figures a contribution counts in (the `figure` column).
pub mod figure {
    /// Calls, by category (and region, province).
    pub const CALLS: &str = "calls";
    pub const CALLS_BY_CHANNEL: &str = "calls_by_channel";
    pub const CALLS_BY_CALLER_TYPE: &str = "calls_by_caller_type";
    /// Counselling calls (category COUNSELLING), once per topic of the call.
    pub const COUNSELLING_TOPICS: &str = "counselling_topics";
    pub const COUNSELLING_SESSIONS: &str = "counselling_sessions";
    pub const CASES_OPENED: &str = "cases_opened";
    /// Referrals sent, by agency, with their case (referral cases = distinct cases).
    pub const REFERRALS: &str = "referrals";
    /// Persons rescued on the day of the rescue, by the referral's agency.
    pub const PERSONS_RESCUED: &str = "persons_rescued";
    /// Persons rescued on the day their referral was sent (the referral cohort).
    pub const RESCUED_BY_COHORT: &str = "persons_rescued_by_cohort";
    /// Persons attached to cases, on the day the case was opened.
    pub const PERSONS_BY_GENDER: &str = "persons_by_gender";
    pub const PERSONS_BY_AGE_BAND: &str = "persons_by_age_band";
}

/// One record's signed contribution to one figure.
#[derive(Clone, Debug)]
pub(crate) struct Contribution {
    pub position: i64,
    pub figure: &'static str,
    pub day: NaiveDate,
    pub region: Region,
    pub province: String,
    pub code: &'static str,
    pub case: Option<Uuid>,
    pub n: i64,
    /// The record (kind, id) whose key the cell key method sums.
    pub record: (&'static str, Uuid),
    /// 1, or -1 for a withdrawal: it subtracts the key its contribution added.
    pub sign: i64,
}

impl Contribution {
    /// A contribution of `n` by the record `(kind, id)`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        position: i64,
        figure: &'static str,
        day: NaiveDate,
        region: Region,
        province: Option<&str>,
        code: &'static str,
        record: (&'static str, Uuid),
        n: i64,
    ) -> Self {
        Contribution {
            position,
            figure,
            day,
            region,
            province: province.unwrap_or_default().to_string(),
            code,
            case: None,
            n,
            record,
            sign: 1,
        }
    }

    pub fn of_case(mut self, case: Uuid) -> Self {
        self.case = Some(case);
        self
    }

    /// The same contribution taken back (by a correction at `position`).
    pub fn withdrawn(mut self, position: i64) -> Self {
        self.position = position;
        self.n = -self.n;
        self.sign = -self.sign;
        self
    }
}

/// A contribution with its signed record key and its case's key.
pub(crate) struct Keyed {
    pub c: Contribution,
    pub record_key: i64,
    pub case_key: Option<i64>,
}

/// Keys each contribution under `keys`.
pub(crate) fn keyed(contributions: Vec<Contribution>, keys: &RecordKeys) -> Vec<Keyed> {
    contributions
        .into_iter()
        .map(|c| Keyed {
            record_key: c.sign * keys.of(c.record.0, c.record.1),
            case_key: c.case.map(|case| keys.of("case", case)),
            c,
        })
        .collect()
}

/// The age bands persons are counted in: age at the case's opening year.
pub(crate) fn age_band(birth_year: Option<u16>, on: NaiveDate) -> &'static str {
    let Some(born) = birth_year else {
        return "UNKNOWN";
    };
    match on.year() - i32::from(born) {
        ..0 => "UNKNOWN",
        0..=15 => "UNDER_16",
        16..=17 => "AGE_16_17",
        18..=29 => "AGE_18_29",
        30..=44 => "AGE_30_44",
        _ => "AGE_45_PLUS",
    }
}

/// Every age band, in order.
pub const AGE_BANDS: [&str; 6] = [
    "UNDER_16",
    "AGE_16_17",
    "AGE_18_29",
    "AGE_30_44",
    "AGE_45_PLUS",
    "UNKNOWN",
];

/// Gender codes in the contract's order.
pub fn gender_code(gender: Gender) -> &'static str {
    gender.as_str()
}

/// Whether a call counts as a counselling call.
pub fn is_counselling(category: CallCategory) -> bool {
    category == CallCategory::Counselling
}

type CellKey = (
    &'static str,
    NaiveDate,
    &'static str,
    Region,
    String,
    &'static str,
);

/// Day and month cells: (n, key sum).
#[derive(Default)]
pub(crate) struct Cells(HashMap<CellKey, (i64, i64)>);

impl Cells {
    pub fn add(&mut self, keyed: &Keyed) {
        let c = &keyed.c;
        for (grain, start) in periods(c.day) {
            let cell = self
                .0
                .entry((grain, start, c.figure, c.region, c.province.clone(), c.code))
                .or_default();
            cell.0 += c.n;
            cell.1 += keyed.record_key;
        }
    }

    /// Adds the cells to `statistics_cells` in one upsert (plain insert into a fresh shadow).
    pub async fn flush(
        self,
        conn: &mut PgConnection,
        target: &Target,
        empty: bool,
    ) -> Result<(), ProjectionError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let mut cells: Vec<_> = self.0.into_iter().collect();
        cells.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let conflict = if empty {
            ""
        } else {
            " ON CONFLICT (grain, period_start, figure, region, province, code) \
             DO UPDATE SET n = s.n + EXCLUDED.n, key_sum = s.key_sum + EXCLUDED.key_sum"
        };
        let sql = format!(
            "INSERT INTO {} AS s (grain, period_start, figure, region, province, code, n, key_sum) \
             SELECT * FROM UNNEST($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], \
             $6::text[], $7::bigint[], $8::bigint[]){conflict}",
            target.table("statistics_cells")
        );
        let column =
            |f: fn(&(CellKey, (i64, i64))) -> String| cells.iter().map(f).collect::<Vec<_>>();
        sqlx::query(&sql)
            .bind(column(|c| c.0 .0.to_string()))
            .bind(cells.iter().map(|c| c.0 .1).collect::<Vec<_>>())
            .bind(column(|c| c.0 .2.to_string()))
            .bind(column(|c| c.0 .3.as_str().to_string()))
            .bind(column(|c| c.0 .4.clone()))
            .bind(column(|c| c.0 .5.to_string()))
            .bind(cells.iter().map(|c| c.1 .0).collect::<Vec<_>>())
            .bind(cells.iter().map(|c| c.1 .1).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// Appends the batch's contributions to `statistics_facts`.
pub(crate) async fn write_facts(
    conn: &mut PgConnection,
    target: &Target,
    facts: &[Keyed],
) -> Result<(), ProjectionError> {
    if facts.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO {} (position, figure, day, region, province, code, case_id, case_key, n, record_key) \
         SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::date[], $4::text[], $5::text[], $6::text[], \
         $7::uuid[], $8::bigint[], $9::bigint[], $10::bigint[])",
        target.table("statistics_facts")
    );
    let strings = |f: fn(&Keyed) -> &str| facts.iter().map(f).collect::<Vec<_>>();
    sqlx::query(&sql)
        .bind(facts.iter().map(|f| f.c.position).collect::<Vec<_>>())
        .bind(strings(|f| f.c.figure))
        .bind(facts.iter().map(|f| f.c.day).collect::<Vec<_>>())
        .bind(strings(|f| f.c.region.as_str()))
        .bind(strings(|f| f.c.province.as_str()))
        .bind(strings(|f| f.c.code))
        .bind(facts.iter().map(|f| f.c.case).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.case_key).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.c.n).collect::<Vec<_>>())
        .bind(facts.iter().map(|f| f.record_key).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
