//! `casetrail rotate-lookup-key`: re-indexes every person under the current
//! lookup key (`CASETRAIL_LOOKUP_KEY`), from the vault, then deletes every
//! index row made under another key.
//!
//! The blind index holds no clear value, so it cannot be re-keyed from
//! itself: each person's phone and name are opened from the vault (the
//! master key is needed, as for the server) and digested again. Erased
//! persons open to nothing and stay out. The procedure is in the README
//! ("Rotating the lookup key"): servers first, then this command; it can
//! be interrupted and run again.

use clap::Args;
use domain::clock::Clock;
use store::EventStore;

use super::OperatorError;
use crate::commands::CommandService;
use crate::settings::{ExistingDatabaseArgs, SecurityArgs};

#[derive(Args, Debug)]
pub struct RotateLookupKeyArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// `--lookup-key` is the key to index under; `--master-key` opens the vault.
    #[command(flatten)]
    pub security: SecurityArgs,
}

pub async fn rotate_lookup_key(args: RotateLookupKeyArgs) -> Result<(), OperatorError> {
    let vault = args.security.vault().map_err(OperatorError::Settings)?;
    let key = args
        .security
        .lookup_key()
        .map_err(OperatorError::Settings)?;
    let pool = super::existing_app_pool(&args.database.database_url, 2).await?;
    let commands = CommandService::new(
        EventStore::new(pool, domain::upcasters::upcasters()),
        vault,
        Clock::system(),
    )
    .with_lookup_key(key);
    let report = commands
        .reindex_lookups()
        .await
        .map_err(|e| OperatorError::Failed(format!("the re-index stopped: {e}")))?;
    eprintln!(
        "indexed {} persons under the current lookup key (key id {}); {} passed over \
         (erased, or not readable with these master keys); {} rows of other keys deleted.",
        report.indexed,
        hex::encode(store::lookup::LookupKey::new(key).id()),
        report.unreadable,
        report.dropped
    );
    Ok(())
}
