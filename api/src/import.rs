//! `casetrail import calls FILE.csv`: loads the hotline's historical call log
//! (the spreadsheets kept before this system) through the command path, so
//! every imported call is an ordinary `CallReceived` event with metadata,
//! receipts and hash chain, exactly as if it had been taken through the API.
//!
//! Re-importing is always safe. A row with an `id` uses it; a row without one
//! gets a UUID v5 of its normalised content (instants in UTC, codes parsed,
//! topics sorted), which is also its idempotency key. Consequently two
//! identical rows in one file are one call: a spreadsheet cannot tell a
//! second identical call from a copy-paste, and importing twice must not
//! double figures, so the later row is reported as a duplicate of the first
//! rather than recorded again.
//!
//! Bad rows never stop good ones: each is reported with its line (the header
//! is line 1) and the API's own error message. Only failures that are not
//! the row's fault (the database going away) stop the import; re-running it
//! then continues where it stopped, since recorded rows are replays.

mod rows;

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::str::FromStr;

use chrono_tz::Tz;
use domain::call::Call;
use domain::values::Role;
use futures::stream::{self, StreamExt};
use store::vault::Vault;
use store::{Actor, CommandContext, EventStore};
use uuid::Uuid;

use crate::commands::CommandService;
use crate::error::ApiError;
use crate::graphql::inputs::ReceiveCallInput;
use crate::settings::{DatabaseArgs, SecurityArgs};
use rows::{columns, line_of, plan};
pub use rows::{content_id, received_at, COLUMNS};

/// Commands in flight at once, like the demo seed: enough to hide latency,
/// few enough to leave the server's pool to the server.
const IN_FLIGHT: usize = 8;

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Calls recorded by this run.
    pub imported: usize,
    /// Rows whose call was already recorded (an earlier import, or the API).
    pub already_present: usize,
    /// Rows not recorded, in line order.
    pub rejected: Vec<RejectedRow>,
}

/// A row that was not recorded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Line in the file where the row starts; the header is line 1.
    pub line: usize,
    /// The API's error message (codes and identifiers only, no personal data).
    pub reason: String,
}

/// Why an import could not run (or stopped): the file as a whole, or the database.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file cannot be read as CSV: {0}")]
    Unreadable(String),
    #[error("unknown column(s) {}; the columns are {}", .0.join(", "), COLUMNS.join(", "))]
    UnknownColumns(Vec<String>),
    #[error("missing required column(s) {}", .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error("column {0} appears more than once")]
    DuplicateColumn(String),
    #[error("stopped at line {line}: {reason}; the rows recorded so far stay recorded, run the import again to continue")]
    Stopped { line: usize, reason: String },
}

/// Imports the call log in `reader`, recording each call as `ctx`'s actor.
/// Local times without an offset are read in `time_zone`. `progress` is
/// called with (rows done, rows total) after each row. The whole log is
/// read first (a call log is megabytes, not gigabytes), so that every row
/// is parsed and checked before the first command runs.
pub async fn import_calls(
    commands: &CommandService,
    ctx: &CommandContext,
    time_zone: Tz,
    reader: impl Read,
    progress: impl Fn(usize, usize),
) -> Result<ImportReport, ImportError> {
    let mut bytes = Vec::new();
    let mut reader = reader;
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::Unreadable(e.to_string()))?;
    if !bytes.contains(&b'\n') {
        // Classic Mac spreadsheets end lines with CR alone; line numbers count LF.
        bytes
            .iter_mut()
            .filter(|b| **b == b'\r')
            .for_each(|b| *b = b'\n');
    }
    let bytes = bytes.as_slice();
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = csv
        .headers()
        .map_err(|e| ImportError::Unreadable(e.to_string()))?
        .clone();
    let columns = columns(&headers)?;
    let mut report = ImportReport::default();
    let mut planned = Vec::new();
    let mut seen: HashMap<Uuid, (usize, String)> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = line_of(bytes, csv.position());
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => match e.kind() {
                csv::ErrorKind::UnequalLengths { len, .. } => {
                    let reason = format!("the row has {len} fields, the header {}", headers.len());
                    report.rejected.push(RejectedRow {
                        line: error_line(bytes, &e, line),
                        reason,
                    });
                    continue;
                }
                csv::ErrorKind::Utf8 { .. } => {
                    let reason = "the row is not valid UTF-8 text".to_string();
                    report.rejected.push(RejectedRow {
                        line: error_line(bytes, &e, line),
                        reason,
                    });
                    continue;
                }
                _ => return Err(ImportError::Unreadable(e.to_string())),
            },
        }
        let line = record.position().map_or(line, |p| line_of(bytes, p));
        match plan(line, &columns, &record, time_zone) {
            Err(reason) => report.rejected.push(RejectedRow { line, reason }),
            Ok(row) => {
                let content = serde_json::to_string(&row.input).unwrap_or_default();
                match seen.get(&row.id) {
                    Some((first, same)) if *same == content => report.rejected.push(RejectedRow {
                        line,
                        reason: format!("duplicate of line {first}: the same call, recorded once"),
                    }),
                    Some((first, _)) => report.rejected.push(RejectedRow {
                        line,
                        reason: format!(
                            "id {} is also used on line {first} with other values",
                            row.id
                        ),
                    }),
                    None => {
                        seen.insert(row.id, (line, content));
                        planned.push(row);
                    }
                }
            }
        }
    }
    let total = planned.len() + report.rejected.len();
    let mut done = report.rejected.len();
    progress(done, total);
    let mut results = stream::iter(planned.into_iter().map(|row| async move {
        let outcome = record_row(commands, ctx, row.id, row.input).await;
        (row.line, outcome)
    }))
    .buffer_unordered(IN_FLIGHT);
    while let Some((line, outcome)) = results.next().await {
        match outcome {
            Ok(true) => report.already_present += 1,
            Ok(false) => report.imported += 1,
            Err(e @ (ApiError::Unavailable | ApiError::Internal | ApiError::RateLimited)) => {
                return Err(ImportError::Stopped {
                    line,
                    reason: e.to_string(),
                });
            }
            Err(e) => report.rejected.push(RejectedRow {
                line,
                reason: e.to_string(),
            }),
        }
        done += 1;
        progress(done, total);
    }
    report.rejected.sort_by_key(|r| r.line);
    Ok(report)
}

/// Records one call; `Ok(true)` when its stream already existed before.
async fn record_row(
    commands: &CommandService,
    ctx: &CommandContext,
    id: Uuid,
    input: ReceiveCallInput,
) -> Result<bool, ApiError> {
    let existed = commands.store().load::<Call>(id).await?.exists();
    commands.receive_call(ctx, input).await?;
    Ok(existed)
}

/// Where a CSV error's row starts.
fn error_line(bytes: &[u8], e: &csv::Error, fallback: usize) -> usize {
    e.position().map_or(fallback, |p| line_of(bytes, p))
}

/// `casetrail import calls FILE.csv`.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportCallsArgs {
    /// The call log: CSV with a header row naming its columns, any of id, received_at,
    /// channel, region, province, country, caller_type, category, topics (`;`-separated),
    /// duration_seconds (received_at, channel, caller_type and category are required).
    pub file: PathBuf,
    /// Who is recorded as having entered these calls (each event's actor, role SUPERVISOR).
    #[arg(long, default_value = "csv-import")]
    pub actor: String,
    /// IANA time zone of received_at values written without an offset.
    #[arg(long, env = "CASETRAIL_TIME_ZONE", default_value = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The master key must be the server's: idempotency fingerprints are keyed with it.
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// Runs the import with a progress bar on stderr and the report on stdout;
/// fails (exit 1) when any row was rejected, after recording the good ones.
pub async fn run(args: ImportCallsArgs) -> Result<(), String> {
    let time_zone = Tz::from_str(&args.time_zone).map_err(|_| {
        format!(
            "CASETRAIL_TIME_ZONE '{}' is not an IANA time zone",
            args.time_zone
        )
    })?;
    let master_key = args.security.master_key()?;
    if args.security.master_key.is_none() {
        eprintln!("warning: CASETRAIL_MASTER_KEY is not set: using the PUBLIC development key");
    }
    let file = std::fs::File::open(&args.file)
        .map_err(|e| format!("cannot open {}: {e}", args.file.display()))?;
    let url = &args.database.database_url;
    store::db::ensure_database(url)
        .await
        .map_err(|e| e.to_string())?;
    store::db::migrate(url).await.map_err(|e| e.to_string())?;
    let pool = store::db::app_pool(url, IN_FLIGHT as u32 + 2)
        .await
        .map_err(|e| e.to_string())?;
    let store = EventStore::new(pool, crate::app::domain_upcasters());
    let commands = CommandService::new(
        store,
        Vault::new(master_key),
        domain::clock::Clock::system(),
    );
    let batch = format!("import-calls-{}", Uuid::now_v7());
    let actor = Actor {
        subject: args.actor.clone(),
        role: Role::Supervisor,
    };
    let ctx = CommandContext::new(actor, batch.clone());
    let bar = ProgressBar::new();
    let report = import_calls(
        &commands,
        &ctx,
        time_zone,
        std::io::BufReader::new(file),
        |done, total| bar.draw(done, total),
    )
    .await
    .map_err(|e| e.to_string())?;
    bar.finish();
    println!(
        "imported {} call(s), {} already present, {} row(s) rejected (correlation id {batch})",
        report.imported,
        report.already_present,
        report.rejected.len()
    );
    for row in &report.rejected {
        println!("line {}: {}", row.line, row.reason);
    }
    match report.rejected.len() {
        0 => Ok(()),
        n => Err(format!(
            "{n} row(s) rejected (listed above); fix them and import the file again"
        )),
    }
}

/// A one-line bar redrawn in place on a terminal; on a pipe, a line per 10%.
struct ProgressBar {
    terminal: bool,
    last: std::cell::Cell<Option<usize>>,
}

impl ProgressBar {
    fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            last: std::cell::Cell::new(None),
        }
    }

    fn draw(&self, done: usize, total: usize) {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        let step = if self.terminal {
            percent
        } else {
            percent / 10 * 10
        };
        if self.last.replace(Some(step)) == Some(step) {
            return;
        }
        let filled = percent * 30 / 100;
        let line = format!(
            "[{}{}] {done}/{total} rows ({percent}%)",
            "#".repeat(filled),
            "-".repeat(30 - filled)
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.terminal && self.last.get().is_some() {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only bad rows: nothing reaches the (never connected) database.
    async fn rejected_lines(log: &str) -> Vec<usize> {
        let pool =
            sqlx::postgres::PgPoolOptions::new().connect_lazy("postgres://nobody@127.0.0.1:1/none");
        let pool = pool.expect("a lazy pool needs no server");
        let commands = CommandService::new(
            EventStore::new(pool, vec![]),
            Vault::new([1; 32]),
            domain::clock::Clock::system(),
        );
        let ctx = CommandContext::new(
            Actor {
                subject: "t".into(),
                role: Role::Supervisor,
            },
            "t".into(),
        );
        let report = import_calls(&commands, &ctx, chrono_tz::UTC, log.as_bytes(), |_, _| {}).await;
        report
            .expect("parses")
            .rejected
            .iter()
            .map(|r| r.line)
            .collect()
    }

    #[test]
    fn the_command_line_takes_a_file_and_the_servers_settings() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: ImportCallsArgs,
        }
        let cli = <Cli as clap::Parser>::try_parse_from(["import", "log.csv", "--actor", "lan"]);
        let args = cli.expect("parses").args;
        assert_eq!(
            (args.file, args.actor),
            (PathBuf::from("log.csv"), "lan".to_string())
        );
        assert!(
            <Cli as clap::Parser>::try_parse_from(["import"]).is_err(),
            "FILE is required"
        );
    }

    #[tokio::test]
    async fn line_numbers_count_blank_lines_crlf_and_lone_cr() {
        let lf = "received_at,channel,region,caller_type,category\nx,VOICE,OVERSEAS,VICTIM,OTHER\n\n\nx,VOICE\n";
        assert_eq!(rejected_lines(lf).await, vec![2, 5]);
        assert_eq!(rejected_lines(&lf.replace('\n', "\r\n")).await, vec![2, 5]);
        assert_eq!(rejected_lines(&lf.replace('\n', "\r")).await, vec![2, 5]);
    }
}
