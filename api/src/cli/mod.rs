//! The `casetrail` command line, the top layer of the crate: the command
//! tree (`command.rs`, with `--config` files in `config_file.rs`), the
//! dispatch of each command to what runs it, and the one place where an
//! error becomes the process's exit status and message ([`exit`]).
//!
//! Layering (imports point only downward): `cli` → `app`/`http` →
//! `graphql` → `commands`, with the operator's tools (`operations`) on top
//! of `commands`; `settings` is read by all and imports none of them.
//! `python3 scripts/import_cycles.py --crate api` keeps the files free of cycles.

pub mod audit;
mod command;
pub mod config_file;
pub mod export_events;
pub mod integrity;
pub mod projections;
pub mod reference;

use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;
use domain::values::{Agency, Role};

pub use command::{Cli, Command, ExportCommand, ImportCommand, TokenArgs};

use crate::operations::{self, OperatorError};
use crate::settings::Environment;
use crate::{auth, telemetry, Application};

/// How long the runtime waits, at exit, for tasks still running: a
/// connection left behind by the shutdown grace must not keep the process.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(2);

/// The whole program: `--config`, the flags, the runtime, the command.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Err(message) = config_file::load(&args) {
        return exit(OperatorError::Settings(message));
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let message = format!("cannot start the async runtime: {e}");
            return exit(OperatorError::Server(message));
        }
    };
    let outcome = runtime.block_on(run(cli.command));
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => exit(error),
    }
}

/// The one place an error leaves the program: `casetrail: <message>` on
/// stderr and the exit status of its kind.
pub fn exit(error: OperatorError) -> ExitCode {
    eprintln!("casetrail: {error}");
    ExitCode::from(error.exit_code())
}

/// Runs one command.
pub async fn run(command: Command) -> Result<(), OperatorError> {
    match command {
        Command::Serve(args) => {
            telemetry::init(args.security.environment == Environment::Production);
            let settings = args.settings().map_err(OperatorError::Settings)?;
            args.security.warn_about_dev_secrets();
            let app = Application::build(settings)
                .await
                .map_err(|e| OperatorError::Server(e.to_string()))?;
            app.run_until_stopped()
                .await
                .map_err(|e| OperatorError::Server(e.to_string()))
        }
        Command::Migrate(db) => {
            telemetry::init(false);
            store::db::ensure_database(&db.database_url).await?;
            store::db::migrate(&db.database_url).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Token(args) => token(&args),
        Command::Verify(args) => integrity::verify(args).await,
        Command::Checkpoint(args) => integrity::checkpoint(args).await,
        Command::Audit(command) => audit::run(command).await.map_err(OperatorError::Failed),
        Command::Projections(command) => {
            telemetry::init(false);
            projections::projections(command).await
        }
        Command::Seed(args) => {
            telemetry::init(false);
            operations::seed::cli::run(args).await
        }
        Command::Import(ImportCommand::Calls(args)) => {
            telemetry::init(false);
            operations::import::cli::run(args).await
        }
        Command::Export(ExportCommand::Statistics(args)) => operations::export::run(args).await,
        Command::Export(ExportCommand::Events(args)) => export_events::run(args)
            .await
            .map_err(OperatorError::Failed),
        Command::Reference(command) => {
            reference::run(command);
            Ok(())
        }
        Command::RotateMasterKey(args) => operations::keys::rotate_master_key(args).await,
        Command::RotateLookupKey(args) => {
            telemetry::init(false);
            operations::lookup_key::rotate_lookup_key(args).await
        }
    }
}

/// `casetrail token`: mints a token and prints the JWT alone.
fn token(args: &TokenArgs) -> Result<(), OperatorError> {
    let jwt = args.security.jwt().map_err(OperatorError::Settings)?;
    let role = Role::from_str(&args.role.to_ascii_uppercase()).map_err(|_| {
        OperatorError::Usage(format!(
            "--role must be one of {}",
            Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let agency = args
        .agency
        .as_deref()
        .map(|a| Agency::from_str(&a.to_ascii_uppercase()))
        .transpose()
        .map_err(|_| {
            OperatorError::Usage(
                "--agency is not an agency code (A-Z, 0-9 and _, e.g. CRIMINAL_POLICE)".into(),
            )
        })?;
    let token = auth::mint(&jwt, &args.sub, role, agency, args.ttl_seconds)
        .map_err(OperatorError::Usage)?;
    println!("{token}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Commands that create (and migrate) a missing database; every other
    /// command that takes a database must not promise to.
    const CREATING: [&str; 4] = ["serve", "migrate", "seed", "calls"];

    fn database_help(command: &clap::Command, path: &str, found: &mut Vec<(String, String)>) {
        for arg in command.get_arguments() {
            if arg.get_id() == "database_url" {
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                found.push((path.to_string(), help));
            }
        }
        for sub in command.get_subcommands() {
            database_help(sub, sub.get_name(), found);
        }
    }

    #[test]
    fn only_commands_that_create_the_database_say_they_do() {
        let mut found = Vec::new();
        database_help(&super::Cli::command(), "casetrail", &mut found);
        assert!(found.len() >= 10, "{found:?}");
        for (command, help) in found {
            let promises = help.contains("created") && !help.contains("never created");
            assert_eq!(
                promises,
                CREATING.contains(&command.as_str()),
                "{command}: {help}"
            );
        }
    }

    #[test]
    fn the_help_shows_the_development_master_key_as_it_is() {
        let cli = super::Cli::command();
        for (command, flag) in [("serve", "master_key"), ("rotate-master-key", "master_key")] {
            let sub = cli.find_subcommand(command).expect("a command");
            let arg = sub.get_arguments().find(|a| a.get_id() == flag);
            let help = arg.and_then(|a| a.get_help()).map(|h| h.to_string());
            assert!(
                help.as_deref()
                    .is_some_and(|h| h.contains(crate::settings::DEV_MASTER_KEY)),
                "{command} --{flag}: {help:?}"
            );
        }
    }
}
