//! The `casetrail` binary as an operator runs it: `serve --bind :0`, logs in
//! a file, a configuration file, missing databases and unreachable servers,
//! and the checkpoint's public key. Each test runs the real binary.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use casetrail_tests::harness::{server_url, TestDatabase};

const BINARY: &str = env!("CARGO_BIN_EXE_casetrail");

/// Runs the binary to completion; 60 s guards against a hang, not a speed.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CASETRAIL_MASTER_KEY")
        .env_remove("CASETRAIL_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().expect("casetrail runs");
    let pid = child.id().to_string();
    let (done, output) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match output.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.expect("output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid]).status();
            panic!("casetrail {args:?} hung");
        }
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A database name that does not exist (dropped at the end if a bug created it).
fn missing_database() -> TestDatabase {
    let name = format!("ct_missing_{}", uuid::Uuid::new_v4().simple());
    TestDatabase {
        url: format!("{}/{name}", server_url()),
        name,
    }
}

async fn exists(name: &str) -> bool {
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{}/postgres", server_url()))
        .await
        .expect("admin connection");
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&admin)
        .await
        .expect("pg_database")
}

#[tokio::test]
async fn serve_bind_colon_zero_picks_a_port_and_a_log_file_holds_no_colour_codes() {
    let db = TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("ct-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log_path = dir.join("server.log");
    let log_file = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(BINARY)
        .args(["serve", "--bind", ":0", "--database-url", &db.url])
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("serve starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let address = loop {
        let mut log = String::new();
        std::fs::File::open(&log_path)
            .and_then(|mut f| f.read_to_string(&mut log))
            .expect("log readable");
        if let Some(line) = log.lines().find(|l| l.contains("casetrail is serving")) {
            let at = line.find("addr=").expect("the address is logged") + 5;
            let addr: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            break addr;
        }
        if Instant::now() > deadline || child.try_wait().expect("waits").is_some() {
            let _ = child.kill();
            panic!("serve --bind :0 did not start:\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    assert!(!address.ends_with(":0"), "a port was picked: {address}");
    let health = reqwest::get(format!("http://{address}/healthz")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(health.expect("healthz answers").status(), 200);
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(!log.contains('\u{1b}'), "ANSI codes in a log file:\n{log}");
    assert!(log.contains("INFO"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Commands that read or maintain an existing casetrail database.
fn readers(url: &str) -> Vec<Vec<&str>> {
    vec![
        vec!["verify", "--database-url", url],
        vec!["checkpoint", "--database-url", url],
        vec!["projections", "status", "--database-url", url],
        vec!["projections", "rebuild", "--database-url", url],
        vec![
            "export",
            "statistics",
            "--from",
            "2020-01-01",
            "--to",
            "2020-12-31",
            "--format",
            "csv",
            "--database-url",
            url,
        ],
        vec![
            "rotate-master-key",
            "--master-key",
            NEW_KEY,
            "--previous-master-key",
            DEV_KEY,
            "--database-url",
            url,
        ],
    ]
}

const DEV_KEY: &str = api::settings::DEV_MASTER_KEY;
const NEW_KEY: &str = "2222222222222222222222222222222222222222222222222222222222222222";

#[tokio::test]
async fn readers_name_a_missing_database_and_never_create_it_while_migrate_does() {
    let missing = missing_database();
    let url = missing.url.as_str();
    for args in readers(url) {
        let out = run(&args, &[]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(
            err.contains(&format!("has no database \"{}\"", missing.name))
                && err.contains("casetrail migrate"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("Is it running"), "{args:?}: {err}");
        assert!(!exists(&missing.name).await, "{args:?} created it");
    }
    let out = run(&["migrate", "--database-url", url], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        exists(&missing.name).await,
        "migrate creates it, as its help says"
    );
}

#[tokio::test]
async fn readers_name_a_database_that_was_never_migrated() {
    let empty = missing_database();
    store::db::ensure_database(&empty.url)
        .await
        .expect("an empty database");
    for args in readers(&empty.url) {
        let out = run(&args, &[]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(
            err.contains("has no casetrail event log") && err.contains("casetrail migrate"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_unreachable_server_is_told_apart_from_a_missing_database() {
    let out = run(
        &[
            "migrate",
            "--database-url",
            "postgres://postgres@127.0.0.1:1/casetrail",
        ],
        &[],
    );
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("cannot reach PostgreSQL at 127.0.0.1:1") && err.contains("Is it running"),
        "{err}"
    );
}

#[tokio::test]
async fn a_config_file_may_hold_every_setting_the_commands_read() {
    let db = TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("ct-cfg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = dir.join("casetrail.env");
    std::fs::write(
        &config,
        format!(
            "# site settings\nDATABASE_URL={}\nCASETRAIL_MASTER_KEY={}\nCASETRAIL_PREVIOUS_MASTER_KEY={}\n",
            db.url,
            "11".repeat(32),
            "22".repeat(32)
        ),
    )
    .expect("config written");
    let config = config.display().to_string();
    let out = run(&["--config", &config, "rotate-master-key"], &[]);
    let err = stderr(&out);
    assert!(!err.contains("unknown setting"), "{err}");
    assert!(out.status.success(), "{err}");

    std::fs::write(dir.join("bad.env"), "CASETRAIL_PREVIOUS_MASTER_KY=x\n").expect("written");
    let bad = dir.join("bad.env").display().to_string();
    let out = run(&["--config", &bad, "migrate"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("line 1: unknown setting CASETRAIL_PREVIOUS_MASTER_KY"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn checkpoint_says_the_public_key_that_verify_pins() {
    let db = TestDatabase::create().await;
    let dir = std::env::temp_dir().join(format!("ct-ckpt-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("checkpoint.json").display().to_string();
    let key = [("CASETRAIL_CHECKPOINT_KEY", "5a".repeat(32))];
    let key: Vec<(&str, &str)> = key.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let printed = run(&["checkpoint", "--print-public-key"], &key);
    assert!(printed.status.success(), "{}", stderr(&printed));
    let public_key = String::from_utf8_lossy(&printed.stdout).trim().to_string();
    assert_eq!(public_key.len(), 64, "{public_key}");

    let taken = run(
        &["checkpoint", "--out", &file, "--database-url", &db.url],
        &key,
    );
    assert!(taken.status.success(), "{}", stderr(&taken));
    assert!(
        stderr(&taken).contains(&format!("--public-key {public_key}")),
        "{}",
        stderr(&taken)
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("file")).expect("JSON");
    assert_eq!(written["public_key"], public_key.as_str());

    let verified = run(
        &[
            "verify",
            "--checkpoint",
            &file,
            "--public-key",
            &public_key,
            "--database-url",
            &db.url,
        ],
        &[],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    let _ = std::fs::remove_dir_all(&dir);
}
