//! The command line's progress goes to stderr as plain lines when stderr is
//! not a terminal: a log or a pipe never gets carriage returns or escape
//! sequences, and still shows how far a long import has come.

use casetrail_tests::harness::TestDatabase;

/// Twenty good rows, so the progress passes every tenth.
fn call_log() -> String {
    let mut log = String::from("channel,received_at,province,caller_type,category\n");
    for minute in 0..20 {
        log.push_str(&format!(
            "VOICE,2021-03-04 10:{minute:02},HA_NOI,VICTIM,INFORMATION\n"
        ));
    }
    log
}

#[tokio::test]
async fn an_import_run_into_a_pipe_reports_progress_in_plain_lines() {
    let db = TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("ct-progress-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("calls.csv");
    std::fs::write(&file, call_log()).expect("written");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["import", "calls"])
        .arg(&file)
        .args(["--database-url", &db.url])
        .env("CASETRAIL_MASTER_KEY", "07".repeat(32))
        .output()
        .expect("casetrail runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("imported 20 call(s)"), "{stdout}");
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("importing calls: "))
        .collect();
    assert_eq!(
        progress.last().copied(),
        Some("importing calls: 20/20 rows (100%)"),
        "{stderr}"
    );
    assert!(
        (2..=11).contains(&progress.len()),
        "a line per tenth, not per row: {progress:?}"
    );
    assert!(
        !stderr.chars().any(|c| c.is_control() && c != '\n'),
        "no carriage return or escape sequence on a pipe: {stderr:?}"
    );
}
