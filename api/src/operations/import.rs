//! `casetrail import calls FILE.csv`: loads the hotline's historical call log
//! (the spreadsheets kept before this system) through the command path, so
//! every imported call is an ordinary `CallReceived` event with metadata,
//! receipts and hash chain, exactly as if it had been taken through the API.
//!
//! Re-importing is always safe. A row with an `id` uses it; a row without one
//! gets a UUID v5 of its normalised content (instants in UTC, codes parsed,
//! topics sorted, a province name as its code), which is also its
//! idempotency key. Consequences an operator must know, and is told:
//! - two identical rows without ids are one call: a spreadsheet cannot tell
//!   a second identical call from a copy-paste, and importing twice must not
//!   double figures; the later row is reported, with the advice to add an
//!   `id` column if they are two calls;
//! - a row corrected after an import and imported again without an id is a
//!   new content, hence a second call beside the first. With ids a changed
//!   row is refused (CONFLICT) instead, and the correction goes through the
//!   API's corrections. So ids are recommended; the report says how many
//!   rows had none.
//!
//! The file is read as a spreadsheet writes it (`read.rs`): delimiter
//! detected, unknown columns ignored with a warning, header names forgiven
//! (`Received At`, `receivedAt`), codes in any case, provinces by code or
//! Vietnamese name. Bad rows never stop good ones: each is reported with its
//! line (the header is line 1), in the file's column names, quoting the value
//! as written. Only failures that are not the row's fault (the database
//! going away) stop the import; re-running it then continues where it
//! stopped, since recorded rows are replays. `--check` reads and checks
//! without recording, and without a database.

mod cells;
pub mod cli;
mod read;
mod report;
mod rows;

use std::io::Read;

use chrono_tz::Tz;
use domain::call::Call;
use futures::stream::{self, StreamExt};
use store::CommandContext;
use uuid::Uuid;

use crate::commands::inputs::ReceiveCallInput;
use crate::commands::CommandService;
use crate::error::ApiError;
pub use read::{read_log, CallLog};
use report::IN_FLIGHT;
pub use report::{ImportReport, RejectedRow};
pub use rows::{content_id, received_at, ImportError, COLUMNS};

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
    let book = commands
        .reference_book()
        .await
        .map_err(|e| ImportError::Unreadable(format!("the reference data cannot be read: {e}")))?;
    let log = read_log(bytes, time_zone, &book)?;
    record_log(commands, ctx, log, progress).await
}

/// Records the rows of a checked log, `IN_FLIGHT` at a time.
pub async fn record_log(
    commands: &CommandService,
    ctx: &CommandContext,
    log: CallLog,
    progress: impl Fn(usize, usize),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        without_id: log.without_id(),
        ignored_columns: log.ignored_columns,
        delimiter: log.delimiter,
        rejected: log.rejected,
        ..ImportReport::default()
    };
    let total = log.planned.len() + report.rejected.len();
    let mut done = report.rejected.len();
    progress(done, total);
    let mut results = stream::iter(log.planned.into_iter().map(|row| async move {
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
                reason: cells::in_file_terms(&e.to_string()),
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

#[cfg(test)]
mod tests;
