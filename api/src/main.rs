//! `casetrail`: the server and its operator commands.

use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use api::settings::{Cli, Command, Environment, ExportCommand, ImportCommand};
use api::{auth, telemetry, Application};
use clap::Parser;
use domain::values::{Agency, Role};

/// How long the runtime waits, at exit, for tasks still running: a
/// connection left behind by the shutdown grace must not keep the process.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Err(message) = api::config_file::load(&args) {
        eprintln!("casetrail: {message}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("casetrail: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli.command));
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("casetrail: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(args) => {
            telemetry::init(args.security.environment == Environment::Production);
            let settings = args.settings()?;
            args.security.warn_about_dev_secrets();
            let app = Application::build(settings)
                .await
                .map_err(|e| e.to_string())?;
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::Migrate(db) => {
            telemetry::init(false);
            store::db::ensure_database(&db.database_url)
                .await
                .map_err(|e| e.to_string())?;
            store::db::migrate(&db.database_url)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Token(args) => {
            let jwt = args.security.jwt()?;
            let role = Role::from_str(&args.role.to_ascii_uppercase()).map_err(|_| {
                format!(
                    "--role must be one of {}",
                    Role::ALL
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let agency = args
                .agency
                .as_deref()
                .map(|a| Agency::from_str(&a.to_ascii_uppercase()))
                .transpose()
                .map_err(|_| "--agency is not an agency code (e.g. CRIMINAL_POLICE)".to_string())?;
            let token = auth::mint(&jwt, &args.sub, role, agency, args.ttl_seconds)?;
            println!("{token}");
            Ok(())
        }
        Command::Verify(args) => api::cli::integrity::verify(args).await,
        Command::Checkpoint(args) => api::cli::integrity::checkpoint(args).await,
        Command::Audit(command) => api::cli::audit::run(command).await,
        Command::Projections(command) => {
            telemetry::init(false);
            api::cli::operations::projections(command).await
        }
        Command::Seed(args) => {
            telemetry::init(false);
            api::cli::operations::seed(args).await
        }
        Command::Import(ImportCommand::Calls(args)) => {
            telemetry::init(false);
            api::import::run(args).await
        }
        Command::Export(ExportCommand::Statistics(args)) => api::export::run(args).await,
        Command::Export(ExportCommand::Events(args)) => api::cli::export_events::run(args).await,
        Command::Reference(command) => api::cli::reference::run(command),
        Command::RotateMasterKey(args) => api::cli::operations::rotate_master_key(args).await,
        Command::Bench(args) => api::bench::run(args).await,
    }
}
