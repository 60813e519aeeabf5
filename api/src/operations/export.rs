//! `casetrail export statistics`: the `statistics` query's figures written
//! as JSON (the contract's `Statistics` shape) or CSV (one row per figure),
//! for ministry reports and spreadsheets.
//!
//! The figures come from the same function the API calls, and a file leaves
//! the system and is shared, so every export is disclosure-controlled as an
//! ANALYST's answer is (docs/STATISTICS.md): perturbed by the cell key
//! method, and no count from 1 to the floor minus one anywhere (breakdown
//! cells below it have no count and are marked suppressed; totals and
//! monthly figures below it read 0). The floor defaults to the ANALYST's
//! ([`DEFAULT_MIN_CELL_SIZE`]). Every output carries its period, its region (all
//! regions, or the one `--region` asked for) and `asOfPosition`, so a
//! published figure can be reproduced later and is never mistaken for the
//! national one.

use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;
use domain::values::Region;
use projections::disclosure::Disclosure;
use projections::queries::Statistics;
use serde_json::{json, Value};

use super::OperatorError;
use crate::settings::ExistingDatabaseArgs;

/// Default minimum cell size: the API's floor for ANALYST tokens.
pub const DEFAULT_MIN_CELL_SIZE: i64 = 5;
/// Longest period accepted, as in the API.
const MAX_PERIOD_DAYS: i64 = 366 * 20;

/// The output formats.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per figure: section,key,count,share,suppressed,value (`value`: meta rows only).
    Csv,
    /// The GraphQL contract's `Statistics` object.
    Json,
}

/// `casetrail export statistics`.
#[derive(clap::Args, Debug, Clone)]
pub struct ExportStatisticsArgs {
    /// First day of the period (YYYY-MM-DD, a calendar day in the hotline's time zone).
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day of the period, inclusive.
    #[arg(long)]
    pub to: NaiveDate,
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The floor: no count from 1 to N - 1 is written (cells suppressed, totals 0).
    #[arg(long, default_value_t = DEFAULT_MIN_CELL_SIZE)]
    pub min_cell_size: i64,
    /// The figures as of this log position (an earlier export's asOfPosition).
    #[arg(long)]
    pub as_of_position: Option<i64>,
    /// Only calls and cases of this region (e.g. RED_RIVER_DELTA); the output says so.
    #[arg(long)]
    pub region: Option<String>,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
}

/// Reads the statistics and writes them; warns on stderr when the
/// statistics projection lags behind the log (the figures then stop at
/// `asOfPosition`, which the output states).
pub async fn run(args: ExportStatisticsArgs) -> Result<(), OperatorError> {
    use crate::commands::inputs::{EARLIEST_DAY, LATEST_DAY};
    // The API's accepted range of a Date, for the same figures.
    for (flag, day) in [("--from", args.from), ("--to", args.to)] {
        if !(EARLIEST_DAY..=LATEST_DAY).contains(&day) {
            return Err(OperatorError::Usage(format!(
                "{flag} lies between {EARLIEST_DAY} and {LATEST_DAY}"
            )));
        }
    }
    if args.to < args.from {
        return Err(OperatorError::Usage("--to is before --from".into()));
    }
    if (args.to - args.from).num_days() > MAX_PERIOD_DAYS {
        return Err(OperatorError::Usage(
            "a statistics period spans at most 20 years".into(),
        ));
    }
    if args.min_cell_size < 1 {
        return Err(OperatorError::Usage(
            "--min-cell-size must be at least 1".into(),
        ));
    }
    let region = args
        .region
        .as_deref()
        .map(|r| Region::from_str(&r.trim().to_ascii_uppercase()))
        .transpose()
        .map_err(|e| OperatorError::Usage(format!("--region: {e}")))?;
    let pool = super::existing_app_pool(&args.database.database_url, 2).await?;
    let ask = projections::queries::Ask {
        from: args.from,
        to: args.to,
        region,
        as_of_position: args.as_of_position,
        map_on: None,
        disclosure: Disclosure::Controlled {
            floor: args.min_cell_size,
        },
    };
    let stats = projections::queries::report(&pool, &ask)
        .await
        .map_err(|e| match e {
            e @ projections::ProjectionError::PositionNotReached { .. } => {
                OperatorError::Usage(format!("--as-of-position: {e}"))
            }
            e => OperatorError::Database(format!("cannot read the statistics: {e}")),
        })?;
    if let Ok(status) = projections::status(&pool).await {
        if let Some(s) = status.iter().find(|s| s.name == "statistics" && s.lag > 0) {
            eprintln!(
                "warning: the statistics projection is {} event(s) behind the log; these figures are as of position {}",
                s.lag, stats.as_of_position
            );
        }
    }
    if let Some(region) = region {
        eprintln!("these figures cover region {region} only, not the whole country");
    }
    let text = match args.format {
        ExportFormat::Csv => to_csv(&stats, region).map_err(OperatorError::File)?,
        ExportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&to_json(&stats, region))
                .map_err(|e| OperatorError::File(e.to_string()))?;
            text.push('\n');
            text
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| OperatorError::File(format!("cannot write {}: {e}", path.display()))),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(|e| OperatorError::File(e.to_string()))
        }
    }
}

/// The contract's `Statistics` object (camelCase, `asOfPosition` as a string,
/// suppressed counts null), plus `region`: the region the figures cover, or
/// null for all of them (the API's answer names it in its own arguments).
pub fn to_json(s: &Statistics, region: Option<Region>) -> Value {
    json!({
        "from": s.from.to_string(),
        "to": s.to.to_string(),
        "region": region.map(Region::as_str),
        "asOfPosition": s.as_of_position.to_string(),
        "minCellSize": s.min_cell_size,
        "disclosureControlled": s.whole.disclosure_controlled,
        "referralCases": s.whole.referral_cases,
        "personsRescuedByCohort": s.whole.persons_rescued_by_cohort,
        "totalCalls": s.total_calls,
        "counsellingCalls": s.counselling_calls,
        "counsellingSessions": s.counselling_sessions,
        "casesOpened": s.cases_opened,
        "referrals": s.referrals,
        "personsRescued": s.persons_rescued,
        "callsByRegion": s.calls_by_region.iter().map(|c| json!({
            "region": c.region.as_str(), "count": c.count, "share": c.share, "suppressed": c.suppressed,
        })).collect::<Vec<_>>(),
        "callsByCategory": s.calls_by_category.iter().map(|c| json!({
            "category": c.category.as_str(), "count": c.count, "suppressed": c.suppressed,
        })).collect::<Vec<_>>(),
        "callsByChannel": s.calls_by_channel.iter().map(|c| json!({
            "channel": c.channel.as_str(), "count": c.count, "suppressed": c.suppressed,
        })).collect::<Vec<_>>(),
        "referralsByAgency": s.referrals_by_agency.iter().map(|c| json!({
            "agency": c.agency.as_str(), "referrals": c.referrals,
            "personsRescued": c.persons_rescued, "suppressed": c.suppressed,
        })).collect::<Vec<_>>(),
        "monthly": s.monthly.iter().map(|m| json!({
            "month": m.month, "calls": m.calls, "counsellingCalls": m.counselling_calls,
            "referrals": m.referrals, "personsRescued": m.persons_rescued,
        })).collect::<Vec<_>>(),
    })
}

/// One CSV row: section, key, count (empty when suppressed), share,
/// suppressed (empty on meta rows), value (meta rows only).
type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<bool>,
    Option<String>,
);

fn row(section: &str, key: &str, count: Option<i64>, share: Option<f64>, suppressed: bool) -> Row {
    let share = share.map(|s| format!("{s:.6}"));
    (
        section.into(),
        key.into(),
        count.map(|c| c.to_string()),
        share,
        Some(suppressed),
        None,
    )
}

/// One row per figure or cell, `section,key,count,share,suppressed,value`.
/// `meta` rows come first and carry the period and provenance (`from`,
/// `to`, `region` — a region code, or ALL —, `asOfPosition`, `minCellSize`)
/// in the `value` column, so the `count` column holds counts only and a
/// spreadsheet can sum it; the contract's field names are the sections and
/// keys (`monthly.calls` keyed by month, `referralsByAgency` and
/// `personsRescuedByAgency` keyed by agency).
pub fn to_csv(s: &Statistics, region: Option<Region>) -> Result<String, String> {
    let meta = |key: &str, value: String| {
        (
            String::from("meta"),
            key.to_string(),
            None,
            None,
            None,
            Some(value),
        )
    };
    let mut rows: Vec<Row> = vec![
        meta("from", s.from.to_string()),
        meta("to", s.to.to_string()),
        meta("region", region.map_or("ALL", Region::as_str).to_string()),
        meta("asOfPosition", s.as_of_position.to_string()),
        meta("minCellSize", s.min_cell_size.to_string()),
        meta(
            "disclosureControlled",
            s.whole.disclosure_controlled.to_string(),
        ),
    ];
    for (key, value) in [
        ("totalCalls", s.total_calls),
        ("counsellingCalls", s.counselling_calls),
        ("counsellingSessions", s.counselling_sessions),
        ("casesOpened", s.cases_opened),
        ("referrals", s.referrals),
        ("personsRescued", s.persons_rescued),
        ("referralCases", s.whole.referral_cases),
        ("personsRescuedByCohort", s.whole.persons_rescued_by_cohort),
    ] {
        rows.push(row("totals", key, Some(value), None, false));
    }
    for c in &s.calls_by_region {
        rows.push(row(
            "callsByRegion",
            c.region.as_str(),
            c.count,
            c.share,
            c.suppressed,
        ));
    }
    for c in &s.calls_by_category {
        rows.push(row(
            "callsByCategory",
            c.category.as_str(),
            c.count,
            None,
            c.suppressed,
        ));
    }
    for c in &s.calls_by_channel {
        rows.push(row(
            "callsByChannel",
            c.channel.as_str(),
            c.count,
            None,
            c.suppressed,
        ));
    }
    for c in &s.referrals_by_agency {
        rows.push(row(
            "referralsByAgency",
            c.agency.as_str(),
            c.referrals,
            None,
            c.suppressed,
        ));
        rows.push(row(
            "personsRescuedByAgency",
            c.agency.as_str(),
            c.persons_rescued,
            None,
            c.suppressed,
        ));
    }
    for m in &s.monthly {
        rows.push(row("monthly.calls", &m.month, Some(m.calls), None, false));
        rows.push(row(
            "monthly.counsellingCalls",
            &m.month,
            Some(m.counselling_calls),
            None,
            false,
        ));
        rows.push(row(
            "monthly.referrals",
            &m.month,
            Some(m.referrals),
            None,
            false,
        ));
        rows.push(row(
            "monthly.personsRescued",
            &m.month,
            Some(m.persons_rescued),
            None,
            false,
        ));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("cannot write CSV: {e}");
    out.write_record(["section", "key", "count", "share", "suppressed", "value"])
        .map_err(fail)?;
    for (section, key, count, share, suppressed, value) in rows {
        let suppressed = match suppressed {
            Some(true) => "true",
            Some(false) => "false",
            None => "",
        };
        out.write_record([
            section.as_str(),
            &key,
            count.as_deref().unwrap_or(""),
            share.as_deref().unwrap_or(""),
            suppressed,
            value.as_deref().unwrap_or(""),
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| format!("cannot write CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write CSV: {e}"))
}

#[cfg(test)]
mod tests;
