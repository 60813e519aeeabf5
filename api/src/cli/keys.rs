//! `casetrail rotate-master-key`: moves every data key under the current
//! master key, safely while servers write.
//!
//! It reads the same settings as the server: `CASETRAIL_MASTER_KEY` is the
//! key to move to and `CASETRAIL_PREVIOUS_MASTER_KEY` the key being rotated
//! away from. Each data key moves on its own, so a run can be interrupted and
//! repeated; it exits 0 only when no live data key is left under any other
//! master key, which is when the previous key may be dropped. The procedure
//! is in the README ("Rotating the master key").

use clap::Args;
use store::vault::Vault;

use crate::settings::{DatabaseArgs, SecurityArgs};

#[derive(Args, Debug)]
pub struct RotateMasterKeyArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// `--master-key` is the key to move to, `--previous-master-key` the one being left.
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// Re-wraps every data key that is not under the current master key.
pub async fn rotate_master_key(args: RotateMasterKeyArgs) -> Result<(), String> {
    let vault =
        Vault::new(args.security.master_key()?).with_previous(args.security.previous_master_key()?);
    let current = hex::encode(vault.master_keys().current.id());
    let pool = store::db::app_pool(&args.database.database_url, 2)
        .await
        .map_err(|e| e.to_string())?;
    let report = vault
        .rewrap_to_current(&pool)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "re-wrapped {} data keys under the current master key (key id {current}).",
        report.rewrapped
    );
    if report.remaining == 0 {
        eprintln!(
            "every live data key is under the current master key: once every server runs \
             without CASETRAIL_PREVIOUS_MASTER_KEY, the previous key opens nothing."
        );
        return Ok(());
    }
    Err(format!(
        "{} data keys are still under another master key ({} of them under a key this command \
         was not given). A server still wrapping with the old key may have created them: make \
         sure every server runs with the new CASETRAIL_MASTER_KEY (and the old one as \
         CASETRAIL_PREVIOUS_MASTER_KEY), then run this again. Do not drop the previous key yet.",
        report.remaining, report.unreadable
    ))
}
