//! The performance bench: casetrail's performance beside PostgreSQL's own
//! ceiling, measured in one run on one machine, printed with ratios.
//! `cargo bench -p casetrail-tests --bench performance -- [--quick] [OPTIONS]`
//! (docs/PERFORMANCE.md). A bench target of the tests crate, so that none
//! of it is in the production `casetrail` binary.
//!
//! 1. command append rate (new case per `openCase`, 16 concurrent writers
//!    through `CommandService`) vs raw one-row-per-transaction INSERTs into a
//!    scratch table on the same pool at the same concurrency, and vs the
//!    stock stack (cqrs-es + postgres-es, `peer.rs`) on the same aggregate;
//! 2. one hot case, 2,000 sequential commands: last tenth vs first tenth,
//!    and the same on the stock stack;
//! 3. end-to-end GraphQL mutations over 32 HTTP connections against the
//!    real server, driven by an external load generator (wrk), vs (1);
//! 4. projector full rebuild vs one raw SELECT + deserialise of the same
//!    events; statistics latency at 10k and 1M events; caseHistory of a
//!    1,000-event case through GraphQL over HTTP;
//! 5. the server's resident memory at 1M events.
//!
//! (E), issue 11's end-to-end figures: receiveCall over HTTP (wrk, 32
//! connections, projectors live) vs pgbench's one-row INSERT at 16 clients,
//! in three alternating slices of each, server CPU per request, statements
//! per event and per command.
//!
//! The bench owns its database (default `casetrail_bench`): it is dropped and
//! recreated at the start of every run and dropped at the end (`--keep`
//! keeps it). The name must contain `bench`.

mod activity;
mod cpu;
mod db;
mod hot;
mod load;
mod peer;
mod pgbench;
mod phases;
mod profile;
mod reads;
mod report;
mod server;
mod statements;
mod writes;
mod wrk;

use std::path::PathBuf;
use std::time::Duration;

/// Why the bench stopped. Anything displayable converts into it.
#[derive(Debug)]
pub struct Fail(String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(e.to_string())
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Phase {
    /// (1) openCase through CommandService vs raw INSERTs, and the step-by-step profile.
    Writes,
    /// (2) one hot case, sequential commands.
    Hot,
    /// (3) GraphQL over HTTP against the real server; caseHistory; memory at the small log.
    Http,
    /// (4, 5) the 10k log through the command path, rebuilds, statistics, the 1M log, memory.
    Reads,
    /// (E) issue 11: receiveCall over HTTP vs pgbench, CPU, statements per event and command.
    EndToEnd,
}

#[derive(clap::Parser, Debug, Clone)]
#[command(
    name = "performance",
    about = "Measure casetrail beside PostgreSQL's ceiling (drops and recreates its own database)."
)]
pub struct BenchArgs {
    /// PostgreSQL URL of the bench's OWN database: it is DROPPED and recreated
    /// at the start of every run (its name must contain "bench").
    #[arg(
        long,
        env = "CASETRAIL_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/casetrail_bench"
    )]
    pub database_url: String,
    /// A small smoke run (under a minute) of every figure.
    #[arg(long)]
    pub quick: bool,
    /// Events in the large log: statistics, rebuild and memory at this size [1000000; quick 30000].
    #[arg(long)]
    pub events: Option<u64>,
    /// Events in the mid-size log whose full rebuild is measured [100000; quick 15000].
    #[arg(long)]
    pub rebuild_events: Option<u64>,
    /// Events in the small log, recorded through the command path [10000; quick 2000].
    #[arg(long)]
    pub small_events: Option<u64>,
    /// openCase commands (and raw INSERTs) per variant, over all rounds [6000; quick 600].
    #[arg(long)]
    pub commands: Option<u64>,
    /// Rounds the write variants alternate in [2; quick 1].
    #[arg(long)]
    pub rounds: Option<u64>,
    /// Sequential commands on the hot case [2000; quick 400].
    #[arg(long)]
    pub hot_commands: Option<u64>,
    /// Seconds the load generator (wrk) sends GraphQL mutations for in (3) [8; quick 4].
    #[arg(long)]
    pub request_seconds: Option<u64>,
    /// Events of the case whose caseHistory is read.
    #[arg(long, default_value_t = 1000)]
    pub history_events: u64,
    /// Concurrent writers through CommandService and raw INSERT.
    #[arg(long, default_value_t = 16)]
    pub writers: usize,
    /// HTTP connections of the load generator (wrk), kept alive.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Connections of the bench's pool and of the server's pool.
    #[arg(long, default_value_t = 16)]
    pub connections: u32,
    /// The `casetrail` binary to run as the server [the one beside this executable].
    #[arg(long)]
    pub server_binary: Option<PathBuf>,
    /// Serve from this process (Application::build) instead of a child process.
    #[arg(long)]
    pub in_process: bool,
    /// Only these phases (comma-separated) [all].
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Phase>,
    /// Keep the database after the run (it is still recreated by the next one).
    #[arg(long)]
    pub keep: bool,
    /// `cargo bench` passes `--bench` to every bench binary; it means nothing here.
    #[arg(long = "bench", hide = true)]
    pub cargo_bench: bool,
}

/// The sizes of one run.
#[derive(Clone, Debug)]
pub struct Scale {
    pub small: u64,
    pub rebuild: u64,
    pub large: u64,
    pub commands: u64,
    pub rounds: u64,
    pub hot: u64,
    /// How long wrk sends mutations in (3); a third of it at the large log.
    pub request_time: Duration,
    pub history: u64,
    pub samples: usize,
    pub profile: usize,
}

impl Scale {
    fn of(a: &BenchArgs) -> Self {
        let pick = |given: Option<u64>, full: u64, quick: u64| {
            given.unwrap_or(if a.quick { quick } else { full })
        };
        let small = pick(a.small_events, 10_000, 2_000);
        let rebuild = pick(a.rebuild_events, 100_000, 15_000).max(small);
        Self {
            small,
            rebuild,
            large: pick(a.events, 1_000_000, 30_000).max(rebuild),
            commands: pick(a.commands, 6_000, 600),
            rounds: pick(a.rounds, 2, 1).max(1),
            hot: pick(a.hot_commands, 2_000, 400).max(10),
            request_time: Duration::from_secs(pick(a.request_seconds, 8, 4).max(1)),
            history: a.history_events.max(1),
            samples: if a.quick { 40 } else { 200 },
            profile: if a.quick { 50 } else { 300 },
        }
    }
}

fn main() -> std::process::ExitCode {
    let args = <BenchArgs as clap::Parser>::parse();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|runtime| runtime.block_on(run(args)));
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the bench and prints its figures.
async fn run(args: BenchArgs) -> Result<(), String> {
    let result = phases::run(&args, Scale::of(&args)).await;
    if !args.keep {
        if let Err(e) = db::drop_database(&args.database_url).await {
            eprintln!("warning: the bench database was not dropped: {}", e.0);
        }
    }
    result.map_err(|f| f.0)
}
