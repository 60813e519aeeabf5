//! `casetrail export events`: the log as CloudEvents 1.0 JSON lines, for
//! tools outside casetrail (docs/AUDIT.md, "Exporting the log").
//!
//! Events go out in transparency-log order (`merkle_leaves`), which is the
//! projectors' commit-safe order with dense indexes: `--from N` resumes
//! exactly after the N events already exported, never skipping one that
//! committed late. Events not yet in the log's tree come in a later run.
//! Payloads go out as stored: personal data stays sealed.

use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use futures::TryStreamExt;
use serde_json::{json, Value};
use sqlx::Row;
use store::hash::ChainVersion;

use crate::cli::integrity::{owner_pool, store_error};
use crate::settings::ExistingDatabaseArgs;

#[derive(Args, Debug, Clone)]
pub struct ExportEventsArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// The first transparency-log index to export (the `next` a previous run printed).
    #[arg(long, default_value_t = 0)]
    pub from: u64,
    /// Write to FILE (appending) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// One event as a CloudEvent. The chain's fields are extensions (lower-case
/// alphanumeric names, as the specification requires), so that the hash
/// chain can be recomputed from the lines alone; numbers that may outgrow
/// CloudEvents' 32-bit Integer are decimal strings.
#[allow(clippy::too_many_arguments)]
fn cloud_event(
    leaf_index: i64,
    position: i64,
    stream_type: &str,
    stream_id: &str,
    sequence: i64,
    event_type: &str,
    event_version: &str,
    payload: Value,
    metadata: &Value,
    recorded_at: DateTime<Utc>,
    hash: &[u8],
    chain_version: ChainVersion,
) -> Value {
    json!({
        "specversion": "1.0",
        "id": format!("{stream_type}/{stream_id}/{sequence}"),
        "source": format!("casetrail/{stream_type}/{stream_id}"),
        "type": format!("org.casetrail.{event_type}"),
        "subject": stream_id,
        "time": recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "datacontenttype": "application/json",
        "data": payload,
        "casetrailleafindex": leaf_index.to_string(),
        "casetrailposition": position.to_string(),
        "casetrailstreamtype": stream_type,
        "casetrailsequence": sequence,
        "casetraileventversion": event_version,
        "casetrailrecordedatus": recorded_at.timestamp_micros().to_string(),
        "casetrailmetadata": chain_version.canonical(metadata),
        "casetrailchainhash": hex::encode(hash),
        "casetrailchainversion": chain_version.number(),
    })
}

pub async fn run(args: ExportEventsArgs) -> Result<(), String> {
    crate::telemetry::init(false);
    let from = i64::try_from(args.from).map_err(|_| "--from is beyond any log".to_string())?;
    let pool = owner_pool(&args.database.database_url).await?;
    let mut sink: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut rows = sqlx::query(
        "SELECT l.leaf_index, e.position, e.aggregate_type, e.aggregate_id, e.sequence, \
                e.event_type, e.event_version, e.payload, e.metadata, e.recorded_at, e.hash, e.chain_version \
         FROM merkle_leaves l JOIN events e ON e.position = l.position \
         WHERE l.leaf_index >= $1 ORDER BY l.leaf_index",
    )
    .bind(from)
    .fetch(&pool);
    let mut next = from;
    let write_error = |e: std::io::Error| format!("cannot write the export: {e}");
    while let Some(row) = rows.try_next().await.map_err(|e| store_error(e.into()))? {
        let read = |e: sqlx::Error| store_error(e.into());
        let leaf_index: i64 = row.try_get(0).map_err(read)?;
        let stream_type: String = row.try_get(2).map_err(read)?;
        let stream_id: String = row.try_get(3).map_err(read)?;
        let event_type: String = row.try_get(5).map_err(read)?;
        let event_version: String = row.try_get(6).map_err(read)?;
        let metadata: Value = row.try_get(8).map_err(read)?;
        let hash: Vec<u8> = row.try_get(10).map_err(read)?;
        let version: i16 = row.try_get(11).map_err(read)?;
        let chain_version = ChainVersion::from_number(version.into()).ok_or_else(|| {
            format!("an event has chain version {version}, unknown to this casetrail")
        })?;
        let event = cloud_event(
            leaf_index,
            row.try_get(1).map_err(read)?,
            &stream_type,
            &stream_id,
            row.try_get(4).map_err(read)?,
            &event_type,
            &event_version,
            row.try_get(7).map_err(read)?,
            &metadata,
            row.try_get(9).map_err(read)?,
            &hash,
            chain_version,
        );
        writeln!(sink, "{event}").map_err(write_error)?;
        next = leaf_index + 1;
    }
    drop(rows);
    sink.flush().map_err(write_error)?;
    pool.close().await;
    eprintln!("exported {} events; resume with --from {next}", next - from);
    Ok(())
}
