//! `casetrail import calls`: a historical call log with good and broken rows
//! is imported through the command path; every broken row is reported with
//! its line and the API's reason, good rows are recorded, and importing the
//! same file again records nothing.
//!
//! `casetrail export statistics`: the file holds exactly what the API's
//! `statistics` query answers for the same period and minimum cell size.

use std::io::Cursor;
use std::time::{Duration, Instant};

use api::commands::CommandService;
use api::export::ExportStatisticsArgs;
use api::import::{import_calls, ImportError, ImportReport};
use casetrail_tests::harness::{spawn_app, token, TestApp, TestDatabase};
use domain::clock::Clock;
use domain::values::Role;
use serde_json::{json, Value};
use store::vault::Vault;
use store::{Actor, CommandContext, EventStore};

/// Line numbers count the header as line 1.
const LOG: &str = "\
channel,received_at,province,region,country,caller_type,category,topics,duration_seconds
VOICE,2021-03-04 10:15,ha_noi,,,VICTIM,INFORMATION,,120
ZALO,2020-06-01T08:00:00+07:00,,NORTHEAST,,RELATIVE_OR_FRIEND,COUNSELLING,POLICY;PSYCHOLOGICAL,300
TELEPHONE,2021-03-04 11:00,HA_NOI,,,VICTIM,INFORMATION,,60
VOICE,2021-13-40 10:00,HA_NOI,,,VICTIM,INFORMATION,,60
VOICE,2025-08-01 09:00,HA_GIANG,,,CITIZEN,REFERRAL_REQUEST,,60
VOICE,2021-03-05 09:00,HA_NOI,,,,INFORMATION,,60
VOICE,2021-03-05 09:30,HA_NOI,,,CITIZEN,INFORMATION,,-5
voice,2021-03-04T03:15:00Z,HA_NOI,,,victim,INFORMATION,,120
WEB,2019-05-05 23:59:59,HA_GIANG,,,ANONYMOUS,NON_DATA,,
APP,\"2021-01-02 03:04\",,OVERSEAS,kh,VICTIM,COUNSELLING,\"VICTIM_SUPPORT; SERVICES\",900
";

fn commands(pool: sqlx::PgPool) -> CommandService {
    CommandService::new(
        EventStore::new(pool, vec![]),
        Vault::new([7; 32]),
        Clock::system(),
    )
}

fn importer() -> CommandContext {
    let actor = Actor {
        subject: "records-clerk".into(),
        role: Role::Supervisor,
    };
    CommandContext::new(actor, "import-test".into())
}

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

async fn import(commands: &CommandService, text: &str) -> Result<ImportReport, ImportError> {
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    import_calls(
        commands,
        &importer(),
        tz,
        Cursor::new(text.as_bytes().to_vec()),
        |_, _| {},
    )
    .await
}

fn reason(report: &ImportReport, line: usize) -> &str {
    report
        .rejected
        .iter()
        .find(|r| r.line == line)
        .map(|r| r.reason.as_str())
        .unwrap_or_else(|| panic!("line {line} is not reported: {report:?}"))
}

#[tokio::test]
async fn a_call_log_imports_its_good_rows_reports_its_bad_ones_and_a_second_run_records_nothing() {
    let started = Instant::now();
    let db = TestDatabase::create().await;
    let commands = commands(db.as_app_role().await);
    let owner = db.owner().await;

    let progress = std::sync::Mutex::new(Vec::new());
    let first = import_calls(
        &commands,
        &importer(),
        chrono_tz::Asia::Ho_Chi_Minh,
        Cursor::new(LOG.as_bytes().to_vec()),
        |done, total| progress.lock().expect("progress").push((done, total)),
    )
    .await
    .expect("the import runs");
    assert_eq!((first.imported, first.already_present), (4, 0), "{first:?}");
    let lines: Vec<usize> = first.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![4, 5, 6, 7, 8, 9], "{first:?}");
    assert!(reason(&first, 4).contains("channel") && reason(&first, 4).contains("TELEPHONE"));
    assert!(reason(&first, 5).contains("received_at"));
    assert!(
        reason(&first, 6).contains("HA_GIANG") && reason(&first, 6).contains("TUYEN_QUANG"),
        "{}",
        reason(&first, 6)
    );
    assert_eq!(reason(&first, 7), "caller_type is required");
    assert!(
        reason(&first, 8).contains("between"),
        "{}",
        reason(&first, 8)
    );
    assert!(
        reason(&first, 9).starts_with("identical to line 2")
            && reason(&first, 9).contains("add an id column"),
        "{}",
        reason(&first, 9)
    );
    assert_eq!(first.without_id, 4, "no row has an id");
    let progress = progress.into_inner().expect("progress");
    assert_eq!(
        progress.last(),
        Some(&(10, 10)),
        "progress ends with every row done"
    );

    let received = "SELECT count(*) FROM events WHERE event_type = 'CallReceived'";
    assert_eq!(count(&owner, received).await, 4);
    assert_eq!(
        count(&owner, "SELECT count(*) FROM events WHERE event_type = 'CallReceived' AND metadata->>'actor' = 'records-clerk'").await,
        4,
        "the importer is the recorded actor"
    );
    assert_eq!(
        count(&owner, "SELECT count(*) FROM events WHERE payload->'CallReceived'->>'received_at' LIKE '2021-03-04T03:15:00%'").await,
        1,
        "a local time is read in the hotline's zone"
    );
    let before = count(&owner, "SELECT count(*) FROM events").await;

    let second = import(&commands, LOG).await.expect("the import runs again");
    assert_eq!(
        (second.imported, second.already_present),
        (0, 4),
        "{second:?}"
    );
    assert_eq!(
        second.rejected, first.rejected,
        "the same rows, with the same reasons"
    );
    assert_eq!(
        count(&owner, "SELECT count(*) FROM events").await,
        before,
        "a second run recorded something"
    );
    let verify = store::integrity::verify(&db.as_app_role().await, &Default::default())
        .await
        .expect("verify");
    assert!(verify.ok());
    eprintln!("import test took {:?}", started.elapsed());
}

#[tokio::test]
async fn unknown_columns_are_ignored_with_a_warning_and_missing_ones_refuse_the_file() {
    let db = TestDatabase::create().await;
    let commands = commands(db.as_app_role().await);
    let owner = db.owner().await;

    let extra = "received_at,channel,region,caller_type,category,caller_name,notes\n\
                 2021-03-04 10:15,VOICE,NORTHEAST,VICTIM,INFORMATION,x,y\n";
    let report = import(&commands, extra)
        .await
        .expect("unknown columns do not refuse the file");
    assert_eq!(
        (report.imported, report.rejected.len()),
        (1, 0),
        "{report:?}"
    );
    assert_eq!(report.ignored_columns, vec!["'caller_name'", "'notes'"]);
    let payload: String = sqlx::query_scalar("SELECT payload::text FROM events")
        .fetch_one(&owner)
        .await
        .expect("the call");
    assert!(
        !payload.contains("caller_name") && !payload.contains("\"y\""),
        "{payload}"
    );

    let missing = "received_at,region,caller_type\n2021-03-04 10:15,NORTHEAST,VICTIM\n";
    let err = import(&commands, missing)
        .await
        .expect_err("missing columns are refused")
        .to_string();
    assert!(err.contains("channel") && err.contains("category"), "{err}");
    assert_eq!(count(&owner, "SELECT count(*) FROM events").await, 1);
}

/// What a spreadsheet in Vietnam saves: semicolons, CRLF, a BOM, names with diacritics.
const SPREADSHEET: &str = "\u{feff}Received At;Channel;Province;Caller Type;Category;Ghi chú\r\n\
    2021-03-04 10:15;Voice;Hà Nội;Victim;Information;gọi lại\r\n\
    2021-03-04 11:15;Zalo;Thừa Thiên Huế;Citizen;Counselling;\r\n\
    2021-03-04 12:15;Voice;Ha Nol;Victim;Information;\r\n";

#[tokio::test]
async fn the_binary_checks_a_spreadsheet_without_recording_then_imports_it() {
    let db = TestDatabase::create().await;
    let owner = db.owner().await;
    let dir = std::env::temp_dir().join(format!("ct-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("calls.csv");
    std::fs::write(&file, SPREADSHEET).expect("written");
    let run = |check: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_casetrail"));
        command
            .args(["import", "calls"])
            .arg(&file)
            .args(["--database-url", &db.url])
            .env("CASETRAIL_MASTER_KEY", "07".repeat(32));
        if check {
            command.arg("--check");
        }
        let out = command.output().expect("casetrail runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    let (ok, report) = run(true);
    assert!(!ok, "a rejected row fails the check:\n{report}");
    assert!(
        report.contains("check only, nothing recorded: 2 row(s) would be recorded"),
        "{report}"
    );
    assert!(report.contains("separated by semicolons"), "{report}");
    assert!(
        report.contains("ignored, not imported: 'Ghi chú'"),
        "{report}"
    );
    assert!(
        report.contains("line 4: province 'Ha Nol'") && report.contains("HA_NOI"),
        "{report}"
    );
    assert!(report.contains("2 row(s) have no id"), "{report}");
    assert_eq!(
        count(&owner, "SELECT count(*) FROM events").await,
        0,
        "--check records nothing"
    );

    let (ok, report) = run(false);
    assert!(!ok, "{report}");
    assert!(report.contains("imported 2 call(s)"), "{report}");
    let provinces: Vec<String> =
        sqlx::query_scalar("SELECT payload->'CallReceived'->>'province' FROM events ORDER BY 1")
            .fetch_all(&owner)
            .await
            .expect("calls");
    assert_eq!(provinces, vec!["HA_NOI", "HUE"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_explicit_id_is_the_idempotency_key_and_other_values_under_it_conflict() {
    let db = TestDatabase::create().await;
    let commands = commands(db.as_app_role().await);
    let id = uuid::Uuid::new_v4();
    let log = format!(
        "id,received_at,channel,region,caller_type,category\n\
         {id},2022-01-10 08:00,VOICE,SOUTHEAST,CITIZEN,INFORMATION\n"
    );
    let first = import(&commands, &log).await.expect("imports");
    assert_eq!((first.imported, first.rejected.len()), (1, 0), "{first:?}");

    let changed = log.replace("SOUTHEAST", "MEKONG_DELTA");
    let second = import(&commands, &changed).await.expect("imports");
    assert_eq!(
        (second.imported, second.already_present),
        (0, 0),
        "{second:?}"
    );
    assert_eq!(second.rejected.len(), 1);
    assert_eq!(second.rejected[0].line, 2);
    assert!(
        second.rejected[0].reason.contains("different input"),
        "{:?}",
        second.rejected
    );

    let twice = format!("{log}{id},2022-01-10 08:00,VOICE,MEKONG_DELTA,CITIZEN,INFORMATION\n");
    let third = import(&commands, &twice).await.expect("imports");
    assert_eq!((third.imported, third.already_present), (0, 1), "{third:?}");
    assert!(
        third.rejected[0].reason.contains("also used on line 2"),
        "{:?}",
        third.rejected
    );
}

#[tokio::test]
async fn spreadsheet_quirks_a_bom_blank_lines_and_short_rows_keep_their_line_numbers() {
    let db = TestDatabase::create().await;
    let commands = commands(db.as_app_role().await);
    let log = "\u{feff}Received_At , Channel,region,caller_type,category\n\
               2022-01-10 08:00,VOICE,SOUTHEAST,CITIZEN,INFORMATION\n\
               \n\
               2022-01-10 09:00,VOICE\n\
               2022-01-10 10:00,WEB,SOUTHEAST,CITIZEN,INFORMATION\n";
    let report = import(&commands, log).await.expect("imports");
    assert_eq!(report.imported, 2, "{report:?}");
    assert_eq!(report.rejected.len(), 1, "{report:?}");
    assert_eq!(report.rejected[0].line, 4);
    assert_eq!(
        report.rejected[0].reason,
        "the row has 2 fields, the header 5"
    );
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
    api::export::run(args).await.expect("the export runs");
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
    let commands = commands(store::db::app_pool(&app.db.url, 10).await.expect("pool"));
    let report = import(&commands, EXPORT_LOG).await.expect("imports");
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
