//! Export formatting, suppression marks and argument checks, without a database.

use super::*;
use domain::values::{Agency, CallCategory, Channel};
use projections::queries::{
    AgencyCount, CategoryCount, ChannelCount, MonthStatistics, RegionCount,
};

/// A period with one big and one small cell per breakdown, suppressed at 5 the way the query does.
fn sample() -> Statistics {
    let day = |s: &str| NaiveDate::from_str(s).unwrap_or_default();
    Statistics {
        from: day("2021-01-01"),
        to: day("2021-02-14"),
        as_of_position: 4321,
        min_cell_size: 5,
        total_calls: 103,
        counselling_calls: 40,
        counselling_sessions: 41,
        cases_opened: 6,
        referrals: 7,
        persons_rescued: 9,
        calls_by_region: vec![
            RegionCount {
                region: Region::RedRiverDelta,
                count: Some(100),
                share: Some(100.0 / 103.0),
                suppressed: false,
            },
            RegionCount {
                region: Region::Overseas,
                count: None,
                share: None,
                suppressed: true,
            },
        ],
        calls_by_category: vec![CategoryCount {
            category: CallCategory::Counselling,
            count: Some(40),
            suppressed: false,
        }],
        calls_by_channel: vec![ChannelCount {
            channel: Channel::Zalo,
            count: None,
            suppressed: true,
        }],
        referrals_by_agency: vec![
            AgencyCount {
                agency: Agency::CriminalPolice,
                referrals: Some(6),
                persons_rescued: Some(8),
                suppressed: false,
            },
            AgencyCount {
                agency: Agency::WomensUnion,
                referrals: None,
                persons_rescued: None,
                suppressed: true,
            },
        ],
        monthly: vec![
            MonthStatistics {
                month: "2021-01".into(),
                calls: 60,
                counselling_calls: 20,
                referrals: 4,
                persons_rescued: 5,
            },
            MonthStatistics {
                month: "2021-02".into(),
                calls: 43,
                counselling_calls: 20,
                referrals: 3,
                persons_rescued: 4,
            },
        ],
        whole: Default::default(),
    }
}

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    args: ExportStatisticsArgs,
}

fn parse(extra: &[&str]) -> Result<ExportStatisticsArgs, clap::Error> {
    let base = [
        "export",
        "--from",
        "2018-11-01",
        "--to",
        "2022-02-14",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/none",
    ];
    <Cli as clap::Parser>::try_parse_from(base.iter().chain(extra)).map(|c| c.args)
}

#[test]
fn the_command_line_parses_dates_formats_and_defaults_to_the_analyst_floor() {
    let args = parse(&["--format", "json"]).expect("parses");
    assert_eq!(
        (args.format, args.min_cell_size, args.out),
        (ExportFormat::Json, DEFAULT_MIN_CELL_SIZE, None)
    );
    assert_eq!(
        args.from,
        NaiveDate::from_ymd_opt(2018, 11, 1).unwrap_or_default()
    );
    let args = parse(&[
        "--format",
        "csv",
        "--min-cell-size",
        "1",
        "--region",
        "NORTHEAST",
        "--out",
        "x.csv",
    ])
    .expect("parses");
    assert_eq!(
        (args.format, args.min_cell_size, args.region.as_deref()),
        (ExportFormat::Csv, 1, Some("NORTHEAST"))
    );
    assert!(parse(&["--format", "xml"]).is_err());
    assert!(parse(&[]).is_err(), "--format is required");
}

#[tokio::test]
async fn bad_arguments_are_refused_before_touching_the_database() {
    let usage = |outcome: Result<(), OperatorError>| match outcome {
        Err(OperatorError::Usage(message)) => message,
        other => panic!("not refused as a usage error: {other:?}"),
    };
    let refused = |extra: &'static [&'static str]| async move {
        usage(run(parse(extra).expect("parses")).await)
    };
    assert_eq!(
        refused(&["--format", "csv", "--min-cell-size", "0"]).await,
        "--min-cell-size must be at least 1"
    );
    assert!(refused(&["--format", "csv", "--region", "ATLANTIS"])
        .await
        .contains("ATLANTIS"));
    let backwards = ExportStatisticsArgs {
        to: NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or_default(),
        ..parse(&["--format", "csv"]).expect("parses")
    };
    assert_eq!(usage(run(backwards).await), "--to is before --from");
}

#[test]
fn json_has_the_contracts_shape_with_suppressed_counts_null() {
    let v = to_json(&sample(), None);
    assert_eq!(v["from"], "2021-01-01");
    assert_eq!(v["region"], Value::Null, "all regions");
    assert_eq!(
        to_json(&sample(), Some(Region::Northeast))["region"],
        "NORTHEAST"
    );
    assert_eq!(v["asOfPosition"], "4321");
    assert_eq!(
        (v["minCellSize"].as_i64(), v["totalCalls"].as_i64()),
        (Some(5), Some(103))
    );
    assert_eq!(v["callsByRegion"][0]["region"], "RED_RIVER_DELTA");
    assert_eq!(v["callsByRegion"][0]["count"], 100);
    assert_eq!(
        v["callsByRegion"][1],
        json!({"region": "OVERSEAS", "count": null, "share": null, "suppressed": true})
    );
    assert_eq!(
        v["callsByChannel"][0],
        json!({"channel": "ZALO", "count": null, "suppressed": true})
    );
    assert_eq!(
        v["referralsByAgency"][1],
        json!({"agency": "WOMENS_UNION", "referrals": null, "personsRescued": null, "suppressed": true})
    );
    assert_eq!(v["monthly"][1]["counsellingCalls"], 20);
}

#[test]
fn csv_has_a_row_per_figure_and_leaves_suppressed_counts_empty() {
    let text = to_csv(&sample(), None).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "section,key,count,share,suppressed,value");
    for expected in [
        "meta,from,,,,2021-01-01",
        "meta,region,,,,ALL",
        "meta,asOfPosition,,,,4321",
        "meta,minCellSize,,,,5",
        "totals,totalCalls,103,,false,",
        "callsByRegion,RED_RIVER_DELTA,100,0.970874,false,",
        "callsByRegion,OVERSEAS,,,true,",
        "callsByChannel,ZALO,,,true,",
        "referralsByAgency,CRIMINAL_POLICE,6,,false,",
        "personsRescuedByAgency,CRIMINAL_POLICE,8,,false,",
        "referralsByAgency,WOMENS_UNION,,,true,",
        "personsRescuedByAgency,WOMENS_UNION,,,true,",
        "monthly.calls,2021-02,43,,false,",
    ] {
        assert!(lines.contains(&expected), "missing {expected} in\n{text}");
    }
    // meta 6 (disclosureControlled included), totals 8 (referral cases and the rescue cohort).
    assert_eq!(lines.len(), 1 + 6 + 8 + 2 + 1 + 1 + 4 + 8);
    // The count column holds counts only: every non-empty one is a number.
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for record in reader.records() {
        let record = record.expect("a CSV row");
        let count = &record[2];
        assert!(
            count.is_empty() || count.parse::<i64>().is_ok(),
            "{record:?}"
        );
    }
    let northeast = to_csv(&sample(), Some(Region::Northeast)).unwrap_or_default();
    assert!(northeast.lines().any(|l| l == "meta,region,,,,NORTHEAST"));
}
