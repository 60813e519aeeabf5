//! `casetrail import calls FILE.csv [--check]`: the command line around the
//! import, with a progress bar on stderr and the report on stdout.

use std::path::PathBuf;
use std::str::FromStr;

use chrono_tz::Tz;
use domain::reference::book::ReferenceBook;
use domain::values::Role;
use store::vault::Vault;
use store::{Actor, CommandContext, EventStore};
use uuid::Uuid;

use super::super::OperatorError;
use super::report::IN_FLIGHT;
use super::{read_log, record_log, ImportReport, RejectedRow};
use crate::commands::CommandService;
use crate::settings::{DatabaseArgs, SecurityArgs};

/// `casetrail import calls FILE.csv`.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportCallsArgs {
    /// The call log: CSV (comma, semicolon or tab separated) with a header row naming its
    /// columns, any of id, received_at, channel, region, province, country, caller_type,
    /// category, topics (`;`-separated), duration_seconds (received_at, channel, caller_type
    /// and category are required; other columns are ignored with a warning). An id (UUID) per
    /// row is recommended: without one, a corrected row imports as a second call.
    pub file: PathBuf,
    /// Read and check every row, report, and record nothing (no database needed).
    #[arg(long)]
    pub check: bool,
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

/// Runs the import (or, with `--check`, only reads and checks the file)
/// with a progress bar on stderr and the report on stdout; fails (exit 1)
/// when any row was rejected, after recording the good ones.
pub async fn run(args: ImportCallsArgs) -> Result<(), OperatorError> {
    let time_zone = Tz::from_str(&args.time_zone).map_err(|_| {
        OperatorError::Settings(format!(
            "CASETRAIL_TIME_ZONE '{}' is not an IANA time zone",
            args.time_zone
        ))
    })?;
    let bytes = std::fs::read(&args.file)
        .map_err(|e| OperatorError::File(format!("cannot read {}: {e}", args.file.display())))?;
    if args.check {
        // Reads no database: provinces are checked against the repository's
        // data only (one ADMIN added is known to the import itself).
        let log = read_log(bytes, time_zone, &ReferenceBook::default())
            .map_err(|e| OperatorError::File(e.to_string()))?;
        let report = ImportReport {
            without_id: log.without_id(),
            ignored_columns: log.ignored_columns.clone(),
            delimiter: log.delimiter,
            rejected: log.rejected.clone(),
            ..ImportReport::default()
        };
        println!(
            "check only, nothing recorded: {} row(s) would be recorded (or are already), {} \
             row(s) rejected",
            log.recordable(),
            report.rejected.len()
        );
        return conclude(&report, true);
    }
    let master_key = args
        .security
        .master_key()
        .map_err(OperatorError::Settings)?;
    if args.security.master_key.is_none() {
        eprintln!("warning: CASETRAIL_MASTER_KEY is not set: using the PUBLIC development key");
    }
    let url = &args.database.database_url;
    store::db::ensure_database(url).await?;
    store::db::migrate(url).await?;
    let pool = store::db::app_pool(url, IN_FLIGHT as u32 + 2).await?;
    let store = EventStore::new(pool, domain::upcasters::upcasters());
    let commands = CommandService::new(
        store,
        Vault::new(master_key),
        domain::clock::Clock::system(),
    );
    let book = commands
        .reference_book()
        .await
        .map_err(|e| OperatorError::Failed(e.to_string()))?;
    let log = read_log(bytes, time_zone, &book).map_err(|e| OperatorError::File(e.to_string()))?;
    let batch = format!("import-calls-{}", Uuid::now_v7());
    let actor = Actor {
        subject: args.actor.clone(),
        role: Role::Supervisor,
    };
    let ctx = CommandContext::new(actor, batch.clone());
    let progress = crate::progress::Progress::new("importing", "rows");
    let report = record_log(&commands, &ctx, log, |done, total| {
        progress.update("calls", done, total)
    })
    .await
    .map_err(|e| OperatorError::Failed(e.to_string()))?;
    // This process may exit before its notifier has sent (`store::wake`).
    commands.store().announce().await?;
    progress.finish();
    println!(
        "imported {} call(s), {} already present, {} row(s) rejected (correlation id {batch})",
        report.imported,
        report.already_present,
        report.rejected.len()
    );
    conclude(&report, false)
}

/// The report's warnings and rejected rows; an error when any row was rejected.
fn conclude(report: &ImportReport, check: bool) -> Result<(), OperatorError> {
    for note in notes(report) {
        println!("{note}");
    }
    for RejectedRow { line, reason } in &report.rejected {
        println!("line {line}: {reason}");
    }
    match (report.rejected.len(), check) {
        (0, _) => Ok(()),
        (n, true) => Err(OperatorError::Failed(format!(
            "{n} row(s) would be rejected (listed above)"
        ))),
        (n, false) => Err(OperatorError::Failed(format!(
            "{n} row(s) rejected (listed above); fix them and import the file again"
        ))),
    }
}

/// What the operator should know beyond the counts.
pub(super) fn notes(report: &ImportReport) -> Vec<String> {
    let mut notes = Vec::new();
    if report.delimiter != ',' {
        let name = match report.delimiter {
            ';' => "semicolons".to_string(),
            '\t' => "tabs".to_string(),
            other => format!("'{other}'"),
        };
        notes.push(format!("note: the file is separated by {name}"));
    }
    if !report.ignored_columns.is_empty() {
        notes.push(format!(
            "warning: column(s) ignored, not imported: {}",
            report.ignored_columns.join(", ")
        ));
    }
    if report.without_id > 0 {
        notes.push(format!(
            "note: {} row(s) have no id, so their id is derived from their content: if such a \
             row is corrected in the spreadsheet and imported again, it becomes a second call \
             beside the first. Give each row an id (a UUID) in an id column to make a changed \
             row a refusal instead; correct recorded calls through the API.",
            report.without_id
        ));
    }
    notes
}
