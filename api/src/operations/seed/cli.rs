//! `casetrail seed --demo`: the command-line front of the demo seed.

use clap::Args;
use domain::clock::Clock;
use store::EventStore;

use super::super::OperatorError;
use crate::commands::CommandService;
use crate::settings::{DatabaseArgs, SecurityArgs};

#[derive(Args, Debug)]
pub struct SeedArgs {
    /// Record the demo history: the ministry report's period (2018-11-01 .. 2022-02-14)
    /// with its figures, through the command path. Running it again records nothing.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The master key must be the server's: personal data and idempotency fingerprints use it.
    #[command(flatten)]
    pub security: SecurityArgs,
}

pub async fn run(args: SeedArgs) -> Result<(), OperatorError> {
    if !args.demo {
        return Err(OperatorError::Usage(
            "say what to seed: casetrail seed --demo".into(),
        ));
    }
    let url = &args.database.database_url;
    store::db::ensure_database(url).await?;
    store::db::migrate(url).await?;
    let pool = store::db::app_pool(url, 16).await?;
    let vault = args.security.vault().map_err(OperatorError::Settings)?;
    let lookup_key = args
        .security
        .lookup_key()
        .map_err(OperatorError::Settings)?;
    let commands = CommandService::new(
        EventStore::new(pool, domain::upcasters::upcasters()),
        vault,
        Clock::system(),
    )
    .with_lookup_key(lookup_key);
    let started = std::time::Instant::now();
    let progress = crate::progress::Progress::new("seeding", "done");
    let report = super::seed_demo(&commands, |what, done, total| {
        progress.update(what, done, total)
    })
    .await
    .map_err(|e| OperatorError::Failed(format!("the seed stopped: {e}")))?;
    // This process may exit before its notifier has sent (`store::wake`).
    commands.store().announce().await?;
    progress.finish();
    eprintln!(
        "{} The server's projectors pick it up; try statistics(from: \"2018-11-01\", to: \"2022-02-14\").",
        report.summary(started.elapsed().as_secs_f64())
    );
    Ok(())
}
