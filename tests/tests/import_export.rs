//! `casetrail import calls`: a historical call log with good and broken rows
//! is imported through the command path; every broken row is reported with
//! its line and the API's reason, good rows are recorded, and importing the
//! same file again records nothing. (`casetrail export statistics`:
//! statistics_export.rs.)

use std::io::Cursor;
use std::time::Instant;

use api::commands::CommandService;
use api::operations::import::{import_calls, ImportError, ImportReport};
use casetrail_tests::harness::TestDatabase;
use domain::clock::Clock;
use domain::values::Role;
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
