//! `casetrail seed --demo` and `casetrail projections status|rebuild`.

use clap::{Args, Subcommand};
use domain::clock::Clock;
use store::vault::Vault;
use store::EventStore;

use super::integrity::ExistingDatabaseArgs;
use crate::app::domain_upcasters;
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

pub async fn seed(args: SeedArgs) -> Result<(), String> {
    if !args.demo {
        return Err("say what to seed: casetrail seed --demo".into());
    }
    let url = &args.database.database_url;
    store::db::ensure_database(url)
        .await
        .map_err(|e| e.to_string())?;
    store::db::migrate(url).await.map_err(|e| e.to_string())?;
    let pool = store::db::app_pool(url, 16)
        .await
        .map_err(|e| e.to_string())?;
    let vault =
        Vault::new(args.security.master_key()?).with_previous(args.security.previous_master_key()?);
    let commands = CommandService::new(
        EventStore::new(pool, domain_upcasters()),
        vault,
        Clock::system(),
    );
    let started = std::time::Instant::now();
    let progress = crate::progress::Progress::new("seeding", "done");
    let report = crate::seed::seed_demo(&commands, |what, done, total| {
        progress.update(what, done, total)
    })
    .await
    .map_err(|e| format!("the seed stopped: {e}"))?;
    progress.finish();
    eprintln!(
        "{} The server's projectors pick it up; try statistics(from: \"2018-11-01\", to: \"2022-02-14\").",
        report.summary(started.elapsed().as_secs_f64())
    );
    Ok(())
}

#[derive(Subcommand, Debug)]
pub enum ProjectionsCommand {
    /// Where each projection stands: position, head of the log, lag, failure.
    Status(ExistingDatabaseArgs),
    /// Rebuild one projection (or all) from the whole log into fresh tables, then swap them in.
    Rebuild(RebuildArgs),
}

#[derive(Args, Debug)]
pub struct RebuildArgs {
    /// calls, cases, referrals or statistics; all of them when omitted.
    pub name: Option<String>,
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// IANA time zone whose calendar days the statistics count.
    #[arg(long, env = "CASETRAIL_TIME_ZONE", default_value = "Asia/Ho_Chi_Minh")]
    pub time_zone: String,
}

pub async fn projections(command: ProjectionsCommand) -> Result<(), String> {
    match command {
        ProjectionsCommand::Status(db) => {
            let pool = super::existing_app_pool(&db.database_url, 2).await?;
            let statuses = projections::status(&pool)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "{:<12} {:>12} {:>12} {:>10}  state",
                "projection", "position", "head", "lag"
            );
            for s in statuses {
                let state = match (&s.failed_at, &s.error) {
                    (Some(at), Some(error)) => format!("STOPPED at position {at}: {error}"),
                    (Some(at), None) => format!("STOPPED at position {at}"),
                    _ if s.lag == 0 => "caught up".to_string(),
                    _ => "catching up".to_string(),
                };
                println!(
                    "{:<12} {:>12} {:>12} {:>10}  {state}",
                    s.name, s.position, s.head_position, s.lag
                );
            }
            Ok(())
        }
        ProjectionsCommand::Rebuild(args) => {
            let url = &args.database.database_url;
            let time_zone = args
                .time_zone
                .parse::<chrono_tz::Tz>()
                .map_err(|_| format!("'{}' is not an IANA time zone", args.time_zone))?;
            let pool = super::existing_app_pool(url, 2).await?;
            let store = EventStore::new(pool, domain_upcasters());
            let settings = projections::ProjectionSettings {
                time_zone,
                ..Default::default()
            };
            let summary = projections::rebuild(url, &store, &settings, args.name.as_deref())
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "rebuilt {} from {} events in {:.1}s",
                summary.projections.join(", "),
                summary.events,
                summary.elapsed.as_secs_f64()
            );
            Ok(())
        }
    }
}

pub use super::keys::{rotate_master_key, RotateMasterKeyArgs};
