//! `casetrail export statistics`: the figures of the statistics read model,
//! written as CSV and JSON with small cells suppressed exactly as the API does.
//!
//! PENDING: move this file to tests/tests/ once api's `projections`
//! dependency and `pub mod export;` (api/src/lib.rs) are enabled, and add
//! `projections.workspace = true` to tests/Cargo.toml (the test runs the
//! projectors itself, so it does not depend on the server starting them).

use std::io::Cursor;
use std::time::Duration;

use api::commands::CommandService;
use api::export::{run, to_json, ExportFormat, ExportStatisticsArgs};
use api::import::import_calls;
use api::settings::DatabaseArgs;
use casetrail_tests::harness::TestDatabase;
use chrono::NaiveDate;
use domain::clock::Clock;
use domain::values::Role;
use serde_json::{json, Value};
use store::vault::Vault;
use store::{Actor, CommandContext, EventStore};

/// Six calls in the Red River Delta, two in the Northeast, one overseas; three counselling.
const LOG: &str = "\
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

fn args(
    url: &str,
    format: ExportFormat,
    min_cell_size: i64,
    out: &std::path::Path,
) -> ExportStatisticsArgs {
    ExportStatisticsArgs {
        from: NaiveDate::from_ymd_opt(2018, 11, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2022, 2, 14).expect("date"),
        format,
        min_cell_size,
        region: None,
        out: Some(out.to_path_buf()),
        database: DatabaseArgs {
            database_url: url.to_string(),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_writes_the_figures_with_small_cells_suppressed_in_csv_and_json() {
    let db = TestDatabase::create().await;
    let pool = store::db::app_pool(&db.url, 6).await.expect("pool");
    let store = EventStore::new(pool.clone(), vec![]);
    let runtime = projections::spawn(
        pool.clone(),
        store.clone(),
        projections::ProjectionSettings::default(),
    );
    let commands = CommandService::new(store, Vault::new([7; 32]), Clock::system());
    let ctx = CommandContext::new(
        Actor {
            subject: "records-clerk".into(),
            role: Role::Supervisor,
        },
        "t".into(),
    );
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    let report = import_calls(
        &commands,
        &ctx,
        tz,
        Cursor::new(LOG.as_bytes().to_vec()),
        |_, _| {},
    )
    .await
    .expect("imports");
    assert_eq!(
        (report.imported, report.rejected.len()),
        (9, 0),
        "{report:?}"
    );
    projections::wait_until_caught_up(&pool, Duration::from_secs(30))
        .await
        .expect("projections catch up");

    let dir = std::env::temp_dir().join(format!(
        "casetrail-export-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (json_file, csv_file) = (dir.join("stats.json"), dir.join("stats.csv"));
    run(args(&db.url, ExportFormat::Json, 3, &json_file))
        .await
        .expect("exports JSON");
    run(args(&db.url, ExportFormat::Csv, 3, &csv_file))
        .await
        .expect("exports CSV");

    let exported: Value = serde_json::from_slice(&std::fs::read(&json_file).expect("json written"))
        .expect("valid JSON");
    assert_eq!(exported["totalCalls"], 9);
    assert_eq!(exported["counsellingCalls"], 3);
    assert_eq!(exported["minCellSize"], 3);
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
    assert_eq!(
        region("OVERSEAS").map(|r| r["suppressed"].clone()),
        Some(json!(true))
    );
    let months = exported["monthly"].as_array().map_or(0, Vec::len);
    assert_eq!(months, 40, "every month of the period");
    let position = exported["asOfPosition"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(position.parse::<i64>().is_ok_and(|p| p > 0), "{position}");

    // The same figures as the query the API runs, with the same suppression.
    let from_query = projections::queries::statistics(
        &pool,
        NaiveDate::from_ymd_opt(2018, 11, 1).expect("date"),
        NaiveDate::from_ymd_opt(2022, 2, 14).expect("date"),
        None,
        3,
    )
    .await
    .expect("statistics");
    assert_eq!(exported, to_json(&from_query));

    let csv = std::fs::read_to_string(&csv_file).expect("csv written");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "section,key,count,share,suppressed");
    for expected in [
        format!("meta,asOfPosition,{position},,false").as_str(),
        "meta,minCellSize,3,,false",
        "totals,totalCalls,9,,false",
        "callsByRegion,RED_RIVER_DELTA,6,0.666667,false",
        "callsByRegion,NORTHEAST,,,true",
        "callsByCategory,INFORMATION,4,,false",
        "callsByCategory,COUNSELLING,3,,false",
        "callsByChannel,ZALO,,,true",
        "monthly.calls,2020-04,6,,false",
    ] {
        assert!(lines.contains(&expected), "missing {expected} in\n{csv}");
    }

    // Exact figures only when asked for.
    run(args(&db.url, ExportFormat::Json, 1, &json_file))
        .await
        .expect("exports JSON");
    let exact: Value = serde_json::from_slice(&std::fs::read(&json_file).expect("json written"))
        .expect("valid JSON");
    let northeast = exact["callsByRegion"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["region"] == "NORTHEAST"))
        .cloned();
    assert_eq!(northeast.map(|r| r["count"].clone()), Some(json!(2)));

    runtime.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
