//! The `casetrail` command tree (clap): every command's name, flags and
//! environment variables (the CLI contract of DESIGN.md). Dispatch is in
//! `cli/mod.rs`; each command's flags are declared beside what runs it.

use clap::{Args, Parser, Subcommand};

use super::integrity::{CheckpointArgs, VerifyArgs};
use super::projections::ProjectionsCommand;
use crate::operations::export::ExportStatisticsArgs;
use crate::operations::import::cli::ImportCallsArgs;
use crate::operations::keys::RotateMasterKeyArgs;
use crate::operations::lookup_key::RotateLookupKeyArgs;
use crate::operations::seed::cli::SeedArgs;
use crate::settings::{DatabaseArgs, SecurityArgs, ServeArgs};

#[derive(Parser, Debug)]
#[command(
    name = "casetrail",
    version,
    about = "Event-sourced case management for the anti-trafficking hotline"
)]
pub struct Cli {
    /// A file of settings, `NAME=value` per line with the environment variables' names
    /// (flags and the environment override it). Also `CASETRAIL_CONFIG`.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Migrate, start the projectors and serve the GraphQL API.
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate(DatabaseArgs),
    /// Mint a signed access token (development and tests); prints the JWT alone.
    Token(TokenArgs),
    /// Recompute every hash chain (and check a signed checkpoint); exit 1 with a report on failure.
    Verify(VerifyArgs),
    /// Print (or write) a signed checkpoint of every stream's head.
    Checkpoint(CheckpointArgs),
    /// The transparency log: evidence bundles, proofs, offline verification, witnessing.
    #[command(subcommand)]
    Audit(super::audit::AuditCommand),
    /// Projection status, and rebuilds from the whole log.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Record demo data through the command path (`--demo`: the ministry report's period).
    Seed(SeedArgs),
    /// Load historical data through the command path.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write figures out of the system.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Reference data a person can read: provinces (codes, Vietnamese names, regions,
    /// validity, successors) and regions.
    #[command(subcommand)]
    Reference(super::reference::ReferenceCommand),
    /// Re-wrap every person's data key under a new master key (atomic).
    RotateMasterKey(RotateMasterKeyArgs),
    /// Re-index every person's phone and name under the current lookup key, from the vault.
    RotateLookupKey(RotateLookupKeyArgs),
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Load a historical call log (CSV) through the command path; re-importing changes nothing.
    Calls(ImportCallsArgs),
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Write statistics as CSV or JSON, with the same small-cell suppression as the API.
    Statistics(ExportStatisticsArgs),
    /// Write the log as CloudEvents JSON lines (personal data sealed), resumable with --from.
    Events(super::export_events::ExportEventsArgs),
}

#[derive(Args, Debug, Clone)]
pub struct TokenArgs {
    /// The token's subject (`sub`): who acts.
    #[arg(long)]
    pub sub: String,
    /// COUNSELLOR, SUPERVISOR, AGENCY, AUDITOR, ANALYST or ADMIN.
    #[arg(long)]
    pub role: String,
    /// For AGENCY tokens: the agency code (e.g. CRIMINAL_POLICE, or one ADMIN
    /// added; the server checks it against the reference data at each use).
    #[arg(long)]
    pub agency: Option<String>,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl_seconds: u64,
    #[command(flatten)]
    pub security: SecurityArgs,
}
