//! PostgreSQL's own ceiling for the end-to-end figure (issue 11): pgbench
//! with one one-row INSERT per transaction, on the bench's database, at the
//! given number of clients, in the same run as the figure it is the
//! baseline of.

use std::process::Command;
use std::time::Duration;

use super::db::PGBENCH_TABLE;
use super::Fail;

/// pgbench's rate, transactions (one-row INSERTs) per second, excluding
/// connection time.
pub async fn one_row_inserts(url: &str, clients: usize, duration: Duration) -> Result<f64, Fail> {
    let script = std::env::temp_dir().join(format!(
        "casetrail-bench-pgbench-{}.sql",
        std::process::id()
    ));
    std::fs::write(
        &script,
        format!("INSERT INTO {PGBENCH_TABLE} (v) VALUES (1);\n"),
    )?;
    let args: Vec<String> = vec![
        "--no-vacuum".into(),
        format!("--client={}", clients.max(1)),
        format!("--jobs={}", clients.clamp(1, 2)),
        format!("--time={}", duration.as_secs().max(1)),
        format!("--file={}", script.display()),
        url.into(),
    ];
    let outcome = tokio::task::spawn_blocking(move || Command::new("pgbench").args(&args).output())
        .await
        .map_err(|e| format!("the pgbench task failed: {e}"))?;
    let _ = std::fs::remove_file(&script);
    let output = outcome.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Fail::from(
                "pgbench not found: apt-get install -y postgresql-contrib (or postgresql-client)",
            )
        } else {
            Fail::from(format!("pgbench did not start: {e}"))
        }
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "pgbench failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    // "tps = 10781.123456 (without initial connection time)"
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("tps = "))
        .find_map(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .ok_or_else(|| format!("no tps from pgbench in: {}", stdout.trim()).into())
}
