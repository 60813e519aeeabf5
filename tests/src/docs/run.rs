//! Running a document's examples: a fresh server that accepts the tokens
//! `casetrail token` mints by default, and bash with that binary on PATH.

use std::path::Path;
use std::time::Duration;

use api::settings::{DEV_JWT_SECRET, DEV_MASTER_KEY};
use api::Application;

use super::{check, extract, script};
use crate::harness::{settings, TestDatabase};

/// A hang guard, not a performance bound: the walk-through takes seconds on
/// an idle machine and minutes on a busy one (four minutes seen at load 14).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(900);

/// Runs every example of `markdown` against a fresh server with `binary` as
/// `casetrail`; the failures, each naming its block's line (empty: as documented).
pub async fn run_document(binary: &str, markdown: &str) -> Vec<String> {
    // The server runs in this process: its warnings and errors (an INTERNAL
    // answer's cause is logged once, server side) go to the test's captured
    // output, which the test harness prints when the walk-through fails.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .try_init();
    let examples = match extract(markdown) {
        Ok(examples) => examples,
        Err(why) => return vec![why],
    };
    let db = TestDatabase::create().await;
    // The development keys, as a reader's `casetrail serve` in dev mode uses,
    // so that the docs' `casetrail` commands agree with the server.
    let mut config = settings(&db.url);
    config.jwt.secret = DEV_JWT_SECRET.into();
    hex::decode_to_slice(DEV_MASTER_KEY, &mut config.master_key)
        .expect("the development master key is 64 hex digits");
    let app = Application::build(config)
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    let (stdout, stderr) = run_bash(binary, &db.url, &script(&examples, &address)).await;
    if let Some(dir) = std::env::var_os("CASETRAIL_DOCS_DUMP") {
        // For whoever fixes a failing doc: what ran and what it printed.
        let dir = Path::new(&dir);
        let _ = std::fs::write(dir.join("docs-script.sh"), script(&examples, &address));
        let _ = std::fs::write(dir.join("docs-stdout.txt"), &stdout);
    }
    server.abort();
    let mut failures = check(&examples, &stdout);
    if !failures.is_empty() {
        failures.push(format!("bash said on stderr:\n{}", tail(&stderr, 40)));
    }
    drop(db);
    failures
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// bash, with nothing of this process's configuration but PATH (the docs'
/// `casetrail token` must sign with its defaults, like a reader's), and the
/// test database as `DATABASE_URL`: a command of the docs never touches the
/// machine's own `casetrail` database.
async fn run_bash(binary: &str, database_url: &str, script: &str) -> (String, String) {
    let bin_dir = Path::new(binary)
        .parent()
        .expect("the binary is in a directory");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into())
    );
    let file = std::env::temp_dir().join(format!("casetrail-docs-{}.sh", uuid::Uuid::new_v4()));
    std::fs::write(&file, script).expect("the script can be written");
    let mut command = tokio::process::Command::new("bash");
    command
        .arg(&file)
        .env_clear()
        .env("PATH", path)
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .env("LANG", "C.UTF-8")
        .env("DATABASE_URL", database_url)
        // The repository's root, where a reader pastes the blocks (`scripts/…`).
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .kill_on_drop(true);
    let output = tokio::time::timeout(SCRIPT_TIMEOUT, command.output()).await;
    let _ = std::fs::remove_file(&file);
    match output {
        Ok(Ok(out)) => (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Ok(Err(e)) => (String::new(), format!("bash could not run: {e}")),
        Err(_) => (String::new(), format!("no end after {SCRIPT_TIMEOUT:?}")),
    }
}
