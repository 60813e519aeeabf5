//! `casetrail reference provinces|regions`: the reference data a person
//! can read — codes, Vietnamese names, regions, validity, successors — the
//! same the rules check against and `referenceData` serves. Also renders
//! the tables of docs/REFERENCE.md (`document.rs`), which a test keeps equal to the data.

#[cfg(test)]
mod document;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use domain::reference::{region_names, Province, PROVINCES};
use domain::values::Region;

#[derive(Subcommand, Debug)]
pub enum ReferenceCommand {
    /// Province codes with their Vietnamese names, regions, validity and successors.
    Provinces(ProvincesArgs),
    /// Region codes with their Vietnamese and English names.
    Regions(RegionsArgs),
}

#[derive(Args, Debug)]
pub struct ProvincesArgs {
    /// Only the provinces in force on this day (YYYY-MM-DD): 63 before 2025-07-01, 34 from it.
    #[arg(long, value_name = "DATE")]
    pub on: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReferenceFormat,
}

#[derive(Args, Debug)]
pub struct RegionsArgs {
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReferenceFormat,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReferenceFormat {
    /// Aligned columns for a terminal.
    Table,
    /// CSV with a header row, for a spreadsheet.
    Csv,
    /// A Markdown table (as in docs/REFERENCE.md).
    Markdown,
}

pub fn run(command: ReferenceCommand) {
    let text = match command {
        ReferenceCommand::Provinces(args) => render(&province_rows(args.on), args.format),
        ReferenceCommand::Regions(args) => render(&region_rows(), args.format),
    };
    print!("{text}");
}

type Rows = Vec<Vec<String>>;

fn day(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// Header and one row per province in force on `on` (all of them without a day).
pub fn province_rows(on: Option<NaiveDate>) -> Rows {
    let header = [
        "code",
        "name",
        "region",
        "valid_from",
        "valid_to",
        "successor",
    ];
    let mut rows = vec![header.map(String::from).to_vec()];
    let row = |p: &Province| {
        vec![
            p.code.to_string(),
            p.name.to_string(),
            p.region.as_str().to_string(),
            day(p.valid_from()),
            day(p.valid_to()),
            p.merged_into.unwrap_or_default().to_string(),
        ]
    };
    rows.extend(
        PROVINCES
            .iter()
            .filter(|p| on.is_none_or(|d| p.in_force_on(d)))
            .map(row),
    );
    rows
}

/// Header and one row per region.
pub fn region_rows() -> Rows {
    let mut rows = vec![vec!["code".into(), "name".into(), "english_name".into()]];
    rows.extend(Region::ALL.iter().map(|&r| {
        let names = region_names(r);
        vec![
            r.as_str().to_string(),
            names.vietnamese.to_string(),
            names.english.to_string(),
        ]
    }));
    rows
}

pub fn render(rows: &Rows, format: ReferenceFormat) -> String {
    match format {
        ReferenceFormat::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            for row in rows {
                let _ = out.write_record(row);
            }
            let bytes = out.into_inner().unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        ReferenceFormat::Table => columns(rows, "  ", |line| line.trim_end().to_string()),
        ReferenceFormat::Markdown => {
            let mut with_rule = rows.clone();
            let widths = widths(rows);
            with_rule.insert(1, widths.iter().map(|w| "-".repeat(*w)).collect());
            columns(&with_rule, " | ", |line| format!("| {line} |"))
        }
    }
}

fn widths(rows: &Rows) -> Vec<usize> {
    let n = rows.first().map_or(0, Vec::len);
    (0..n)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect()
}

/// Cells padded to their column's width (in characters), joined by `gap`.
fn columns(rows: &Rows, gap: &str, line: impl Fn(&str) -> String) -> String {
    let widths = widths(rows);
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(&line(&cells.join(gap)));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn a_day_gives_the_provinces_in_force_that_day() {
        assert_eq!(province_rows(on(2025, 6, 30)).len(), 1 + 63);
        assert_eq!(province_rows(on(2025, 7, 1)).len(), 1 + 34);
        assert_eq!(province_rows(None).len(), 1 + 63);
        let all = province_rows(None);
        let ha_giang = all.iter().find(|r| r[0] == "HA_GIANG").expect("listed");
        assert_eq!(
            ha_giang[1..],
            ["Hà Giang", "NORTHEAST", "", "2025-06-30", "TUYEN_QUANG"]
        );
    }

    #[test]
    fn the_formats_keep_every_cell() {
        let rows = province_rows(on(2025, 7, 1));
        let table = render(&rows, ReferenceFormat::Table);
        assert!(table
            .lines()
            .any(|l| l.starts_with("HA_NOI") && l.contains("Hà Nội")));
        let csv = render(&rows, ReferenceFormat::Csv);
        assert!(
            csv.lines()
                .any(|l| l == "HO_CHI_MINH,Hồ Chí Minh,SOUTHEAST,,,"),
            "{csv}"
        );
        let markdown = render(&region_rows(), ReferenceFormat::Markdown);
        assert!(markdown
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("| ---")));
        assert_eq!(markdown.lines().count(), 2 + Region::ALL.len());
    }
}
