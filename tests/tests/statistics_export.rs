//! `casetrail export statistics`: the file holds exactly what the API's
//! `statistics` query answers for the same period and minimum cell size,
//! and says which period, region and log position it covers.

use std::io::Cursor;
use std::time::{Duration, Instant};

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
    from to asOfPosition minCellSize totalCalls counsellingCalls counsellingSessions casesOpened referrals personsRescued \
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
async fn api_statistics(
    app: &TestApp,
    reader: &str,
    min_cell_size: Option<i64>,
    calls: i64,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = app
            .gql(reader, STATISTICS, json!({ "minCellSize": min_cell_size }))
            .await;
        if answer.body["data"]["statistics"]["totalCalls"] == json!(calls) {
            return answer.body["data"]["statistics"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "statistics did not catch up: {}",
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

    let api = api_statistics(&app, &token(Role::Supervisor), Some(3), 9).await;
    let exported: Value = serde_json::from_str(
        &export(
            &app,
            &json_file,
            &["--format", "json", "--min-cell-size", "3"],
        )
        .await,
    )
    .expect("JSON");
    let mut exported = exported;
    assert_eq!(
        exported.as_object_mut().and_then(|o| o.remove("region")),
        Some(Value::Null),
        "the export says it covers every region"
    );
    assert_eq!(exported, api, "the export differs from the API");
    let region = |code: &str| {
        exported["callsByRegion"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["region"] == code))
            .cloned()
    };
    assert_eq!(
        region("RED_RIVER_DELTA").map(|r| r["count"].clone()),
        Some(json!(6))
    );
    assert_eq!(
        region("NORTHEAST"),
        Some(json!({"region": "NORTHEAST", "count": null, "share": null, "suppressed": true}))
    );

    let csv = export(
        &app,
        &csv_file,
        &["--format", "csv", "--min-cell-size", "3"],
    )
    .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "section,key,count,share,suppressed,value");
    let position = format!(
        "meta,asOfPosition,,,,{}",
        api["asOfPosition"].as_str().unwrap_or_default()
    );
    for expected in [
        "meta,from,,,,2018-11-01",
        "meta,region,,,,ALL",
        position.as_str(),
        "meta,minCellSize,,,,3",
        "totals,totalCalls,9,,false,",
        "totals,counsellingCalls,3,,false,",
        "callsByRegion,RED_RIVER_DELTA,6,0.666667,false,",
        "callsByRegion,NORTHEAST,,,true,",
        "callsByCategory,INFORMATION,4,,false,",
        "callsByChannel,ZALO,,,true,",
        "monthly.calls,2020-04,6,,false,",
    ] {
        assert!(lines.contains(&expected), "missing {expected} in\n{csv}");
    }

    // By default the export suppresses like the API does for an ANALYST.
    let regional = export(
        &app,
        &csv_file,
        &[
            "--format",
            "csv",
            "--min-cell-size",
            "1",
            "--region",
            "northeast",
        ],
    )
    .await;
    assert!(
        regional.lines().any(|l| l == "meta,region,,,,NORTHEAST")
            && regional.lines().any(|l| l == "totals,totalCalls,2,,false,"),
        "a regional export says which region it covers:\n{regional}"
    );

    let analyst = api_statistics(&app, &token(Role::Analyst), None, 9).await;
    let mut exported: Value =
        serde_json::from_str(&export(&app, &json_file, &["--format", "json"]).await).expect("JSON");
    exported.as_object_mut().and_then(|o| o.remove("region"));
    assert_eq!(
        (exported["minCellSize"].as_i64(), &exported),
        (Some(5), &analyst)
    );
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("export test took {:?}", started.elapsed());
}
