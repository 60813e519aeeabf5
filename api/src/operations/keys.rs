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

use super::OperatorError;
use crate::settings::{ExistingDatabaseArgs, SecurityArgs};

#[derive(Args, Debug)]
pub struct RotateMasterKeyArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// `--master-key` is the key to move to, `--previous-master-key` the one being left.
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// Re-wraps every data key that is not under the current master key.
pub async fn rotate_master_key(args: RotateMasterKeyArgs) -> Result<(), OperatorError> {
    let vault = args.security.vault().map_err(OperatorError::Settings)?;
    let current = hex::encode(vault.master_keys().current.id());
    let pool = super::existing_app_pool(&args.database.database_url, 2).await?;
    let report = vault
        .rewrap_to_current(&pool)
        .await
        .map_err(OperatorError::database)?;
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
    Err(OperatorError::Failed(format!(
        "{} data keys are still under another master key ({} of them under a key this command \
         was not given). A server still wrapping with the old key may have created them: make \
         sure every server runs with the new CASETRAIL_MASTER_KEY (and the old one as \
         CASETRAIL_PREVIOUS_MASTER_KEY), then run this again. Do not drop the previous key yet.",
        report.remaining, report.unreadable
    )))
}

#[cfg(test)]
mod tests {
    use crate::settings::{Environment, SecurityArgs, DEV_MASTER_KEY};

    fn security(
        environment: Environment,
        master: Option<&str>,
        previous: Option<&str>,
    ) -> SecurityArgs {
        SecurityArgs {
            environment,
            jwt_secret: None,
            jwt_public_key_file: None,
            jwt_private_key_file: None,
            jwt_issuer: "casetrail".into(),
            jwt_audience: "casetrail".into(),
            jwt_max_lifetime_seconds: crate::settings::DEFAULT_JWT_MAX_LIFETIME_SECONDS,
            master_key: master.map(str::to_string),
            previous_master_key: previous.map(str::to_string),
            lookup_key: None,
        }
    }

    #[test]
    fn the_previous_master_key_follows_the_master_keys_rules() {
        let (a, b) = ("0a".repeat(32), "0b".repeat(32));
        let prod = Environment::Production;
        assert_eq!(
            security(prod, Some(&a), None).previous_master_key(),
            Ok(None)
        );
        assert_eq!(
            security(prod, Some(&a), Some(&b)).previous_master_key(),
            Ok(Some([0x0b; 32]))
        );
        // The public development key was never valid in production, not even as the old one.
        assert!(security(prod, Some(&a), Some(DEV_MASTER_KEY))
            .previous_master_key()
            .is_err());
        assert!(security(Environment::Dev, None, Some(DEV_MASTER_KEY))
            .previous_master_key()
            .is_err_and(|e| e.contains("same key")));
        assert!(security(Environment::Dev, Some(&a), Some(&a))
            .previous_master_key()
            .is_err());
        assert!(security(Environment::Dev, Some(&a), Some("abc"))
            .previous_master_key()
            .is_err_and(|e| e.contains("64 hexadecimal")));
    }
}
