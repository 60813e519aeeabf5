//! `casetrail projections status|rebuild`.

use clap::{Args, Subcommand};
use store::EventStore;

use crate::operations::{existing_app_pool, OperatorError};
use crate::settings::ExistingDatabaseArgs;

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

pub async fn projections(command: ProjectionsCommand) -> Result<(), OperatorError> {
    match command {
        ProjectionsCommand::Status(db) => {
            let pool = existing_app_pool(&db.database_url, 2).await?;
            let statuses = projections::status(&pool)
                .await
                .map_err(OperatorError::database)?;
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
            let time_zone = args.time_zone.parse::<chrono_tz::Tz>().map_err(|_| {
                OperatorError::Settings(format!("'{}' is not an IANA time zone", args.time_zone))
            })?;
            let pool = existing_app_pool(url, 2).await?;
            let store = EventStore::new(pool, domain::upcasters::upcasters());
            let settings = projections::ProjectionSettings {
                time_zone,
                ..Default::default()
            };
            let summary = projections::rebuild(url, &store, &settings, args.name.as_deref())
                .await
                .map_err(OperatorError::database)?;
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
