//! `casetrail export statistics`: the file holds exactly what the API's
//! `statistics` query answers an ANALYST for the same period and floor
//! (disclosure-controlled: docs/STATISTICS.md), and says which period,
//! region and log position it covers.

use std::io::Cursor;
use std::time::Instant;

use api::commands::CommandService;
use api::operations::export::ExportStatisticsArgs;
use api::operations::import::{import_calls, ImportReport};
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::clock::Clock;
use domain::values::Role;
use serde_json::{json, Value};
use store::vault::Vault;
use store::{Actor, CommandContext, EventStore};

/// Records `text` (a call log) through the import, as a records clerk.
async fn import(pool: sqlx::PgPool, text: &str) -> ImportReport {
    let commands = CommandService::new(
        EventStore::new(pool, vec![]),
        Vault::new([7; 32]),
        Clock::system(),
    );
    let actor = Actor {
        subject: "records-clerk".into(),
        role: Role::Supervisor,
    };
    let ctx = CommandContext::new(actor, "export-test".into());
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    import_calls(
        &commands,
        &ctx,
        tz,
        Cursor::new(text.as_bytes().to_vec()),
        |_, _| {},
    )
    .await
    .expect("the import runs")
}

/// Six calls in the Red River Delta, two in the Northeast, one overseas; three counselling.
const EXPORT_LOG: &str = "\
received_at,channel,region,province,country,caller_type,category,topics
2020-03-01 09:00,VOICE,,HA_NOI,,VICTIM,COUNSELLING,PSYCHOLOGICAL
2020-03-02 09:00,VOICE,,HA_NOI,,VICTIM,COUNSELLING,POLICY
2020-03-03 09:00,ZALO,RED_RIVER_DELTA,,,CITIZEN,INFORMATION,
2020-04-04 09:00,ZALO,RED_RIVER_DELTA,,,CITIZEN,INFORMATION,
2020-04-05 09:00,VOICE,RED_RIVER_DELTA,,,CITIZEN,INFORMATION,
2020-04-06 09:00,VOICE,RED_RIVER_DELTA,,,CITIZEN,NON_DATA,
2020-04-07 09:00,VOICE,NORTHEAST,,,RELATIVE_OR_FRIEND,COUNSELLING,SERVICES
2020-04-08 09:00,VOICE,NORTHEAST,,,RELATIVE_OR_FRIEND,INFORMATION,
2020-04-09 09:00,APP,OVERSEAS,,KH,VICTIM,REFERRAL_REQUEST,
";

const STATISTICS: &str = "query($minCellSize: Int) { statistics(from: \"2018-11-01\", to: \"2022-02-14\", minCellSize: $minCellSize) { \
    from to asOfPosition minCellSize disclosureControlled referralCases personsRescuedByCohort totalCalls counsellingCalls counsellingSessions casesOpened referrals personsRescued \
    callsByRegion { region count share suppressed } callsByCategory { category count suppressed } \
    callsByChannel { channel count suppressed } referralsByAgency { agency referrals personsRescued suppressed } \
    monthly { month calls counsellingCalls referrals personsRescued } } }";

#[derive(clap::Parser)]
struct ExportCli {
    #[command(flatten)]
    args: ExportStatisticsArgs,
}

/// Runs `export statistics` for the report's period with `extra` flags into `out`; returns the file.
async fn export(app: &TestApp, out: &std::path::Path, extra: &[&str]) -> String {
    let mut argv = vec![
        "export",
        "--from",
        "2018-11-01",
        "--to",
        "2022-02-14",
        "--database-url",
        &app.db.url,
    ];
    let out_flag = out.display().to_string();
    argv.extend(["--out", &out_flag]);
    argv.extend(extra);
    let args = <ExportCli as clap::Parser>::try_parse_from(argv)
        .expect("the flags parse")
        .args;
    api::operations::export::run(args)
        .await
        .expect("the export runs");
    std::fs::read_to_string(out).expect("the export is written")
}

/// The API's statistics once the projection has applied every imported call.
async fn api_statistics(app: &TestApp, reader: &str, min_cell_size: Option<i64>) -> Value {
    let owner = app.db.owner().await;
    casetrail_tests::fixtures::caught_up(&owner).await;
    let answer = app
        .gql(reader, STATISTICS, json!({ "minCellSize": min_cell_size }))
        .await;
    answer.data("statistics").clone()
}

#[tokio::test]
async fn the_export_writes_the_apis_figures_with_the_same_suppression_in_json_and_csv() {
    let started = Instant::now();
    let app = spawn_app().await;
    let pool = store::db::app_pool(&app.db.url, 10).await.expect("pool");
    let report = import(pool, EXPORT_LOG).await;
    assert_eq!(
        (report.imported, report.rejected.len()),
        (9, 0),
        "{report:?}"
    );
    let dir = std::env::temp_dir().join(format!(
        "casetrail-export-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (json_file, csv_file) = (dir.join("stats.json"), dir.join("stats.csv"));

    // The exact figures stay with exact roles.
    let exact = api_statistics(&app, &token(Role::Supervisor), Some(1)).await;
    assert_eq!(exact["totalCalls"], 9);
    assert_eq!(exact["disclosureControlled"], false);

    // An export is disclosure-controlled as the ANALYST's answer is, with the same floor.
    let api = api_statistics(&app, &token(Role::Analyst), None).await;
    assert_eq!(api["disclosureControlled"], true);
    let exported: Value =
        serde_json::from_str(&export(&app, &json_file, &["--format", "json"]).await).expect("JSON");
    let mut exported = exported;
    assert_eq!(
        exported.as_object_mut().and_then(|o| o.remove("region")),
        Some(Value::Null),
        "the export says it covers every region"
    );
    assert_eq!(exported, api, "the export differs from the API");
    assert_eq!(exported["minCellSize"], 5);
    // No count from 1 to 4 anywhere in the file; the two Northeast calls and the one overseas are not shown.
    let region = |code: &str| {
        exported["callsByRegion"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["region"] == code))
            .cloned()
            .unwrap_or_default()
    };
    for code in ["NORTHEAST", "OVERSEAS"] {
        let row = region(code);
        assert!(
            row["count"] == json!(0) || row["suppressed"] == true,
            "{row}"
        );
    }
    let shown = exported["totalCalls"].as_i64().unwrap_or_default();
    assert!(
        (7..=11).contains(&shown),
        "9 calls within the table's reach: {shown}"
    );

    let csv = export(&app, &csv_file, &["--format", "csv"]).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "section,key,count,share,suppressed,value");
    let position = format!(
        "meta,asOfPosition,,,,{}",
        api["asOfPosition"].as_str().unwrap_or_default()
    );
    let total = format!("totals,totalCalls,{shown},,false,");
    let monthly: Vec<String> = api["monthly"]
        .as_array()
        .map(|months| {
            months
                .iter()
                .map(|m| {
                    format!(
                        "monthly.calls,{},{},,false,",
                        m["month"].as_str().unwrap_or_default(),
                        m["calls"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for expected in [
        "meta,from,,,,2018-11-01",
        "meta,region,,,,ALL",
        position.as_str(),
        "meta,minCellSize,,,,5",
        "meta,disclosureControlled,,,,true",
        total.as_str(),
    ]
    .into_iter()
    .chain(monthly.iter().map(String::as_str))
    {
        assert!(lines.contains(&expected), "missing {expected} in\n{csv}");
    }
    for line in &lines[1..] {
        let count = line.split(',').nth(2).unwrap_or_default();
        if let Ok(n) = count.parse::<i64>() {
            assert!(n == 0 || n >= 5, "a count below the floor: {line}");
        }
    }

    // A regional export says which region it covers; its two calls read 0.
    let regional = export(
        &app,
        &csv_file,
        &["--format", "csv", "--region", "northeast"],
    )
    .await;
    assert!(
        regional.lines().any(|l| l == "meta,region,,,,NORTHEAST")
            && regional.lines().any(|l| l == "totals,totalCalls,0,,false,"),
        "a regional export says which region it covers:\n{regional}"
    );

    // As of the position an export stated, a later export gives the same figures.
    let again: Value = serde_json::from_str(
        &export(
            &app,
            &json_file,
            &[
                "--format",
                "json",
                "--as-of-position",
                api["asOfPosition"].as_str().unwrap_or("0"),
            ],
        )
        .await,
    )
    .expect("JSON");
    assert_eq!(again["totalCalls"], api["totalCalls"]);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("export test took {:?}", started.elapsed());
}
