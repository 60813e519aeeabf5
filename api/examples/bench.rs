//! `casetrail bench` before (and besides) its wiring into the CLI:
//!
//! ```sh
//! cargo build --release -p api --bin casetrail --example bench
//! target/release/examples/bench --quick
//! ```
//!
//! The server under test is the `casetrail` binary built beside it.

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "bench",
    about = "casetrail's performance beside PostgreSQL's ceiling"
)]
struct Cli {
    #[command(flatten)]
    bench: api::bench::BenchArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match api::bench::run(Cli::parse().bench).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
