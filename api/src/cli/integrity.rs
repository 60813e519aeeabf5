//! `casetrail verify` and `casetrail checkpoint`: the auditor's tools.
//!
//! Both connect as the URL's own (owner) user, not as the server's role,
//! and only read. `verify` recomputes every hash chain and, given a signed
//! checkpoint, proves the log still extends it; it exits 1 with a report
//! naming stream kind, id and sequence of each failure (also when it could
//! not verify at all: an auditor's script must never read that as a pass).
//! The report holds identifiers and reasons only, never payloads.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::Args;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};
use store::checkpoint::{self, Checkpoint, SigningKey, VerifyingKey};
use store::integrity::{self, IntegrityFailure, Scope};
use store::StoreError;

use crate::operations::OperatorError;
use crate::settings::{Environment, ExistingDatabaseArgs};

/// The development checkpoint seed (hex): public, so never acceptable in
/// production, and a checkpoint signed with it proves nothing.
pub const DEV_CHECKPOINT_KEY: &str =
    "63617365747261696c2d6465762d636865636b706f696e742d6b65792d303030";

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// A checkpoint file (from `casetrail checkpoint`) the log must still extend.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// The checkpoint signer's Ed25519 public key, 64 hex digits. Pin it:
    /// without it the key written in the checkpoint file is trusted.
    #[arg(long, env = "CASETRAIL_CHECKPOINT_PUBLIC_KEY", value_name = "HEX")]
    pub public_key: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct CheckpointArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// Write the checkpoint to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// `dev` or `production` (production refuses the development key).
    #[arg(long = "env", env = "CASETRAIL_ENV", value_enum, default_value = "dev")]
    pub environment: Environment,
    /// Ed25519 signing seed, 64 hex digits. Keep it off the database host.
    #[arg(long, env = "CASETRAIL_CHECKPOINT_KEY", hide_env_values = true)]
    pub checkpoint_key: Option<String>,
    /// Print only the signer's public key (the HEX `verify --public-key` pins) and exit,
    /// without touching the database.
    #[arg(long)]
    pub print_public_key: bool,
    /// Also write a signed tree head of the transparency log to FILE (docs/AUDIT.md).
    #[arg(long, value_name = "FILE")]
    pub tree_head: Option<PathBuf>,
    /// Write only the tree head (`--tree-head`), no checkpoint.
    #[arg(long, requires = "tree_head")]
    pub only_tree_head: bool,
}

impl CheckpointArgs {
    /// The signing key, refusing the development key in production.
    pub fn signing_key(&self) -> Result<SigningKey, String> {
        let hex_key = match (&self.checkpoint_key, self.environment) {
            (Some(k), Environment::Production) if k.trim() == DEV_CHECKPOINT_KEY => {
                return Err(
                    "CASETRAIL_CHECKPOINT_KEY is the public development key; set a real one".into(),
                )
            }
            (Some(k), _) => k.clone(),
            (None, Environment::Production) => {
                return Err("CASETRAIL_CHECKPOINT_KEY is required in production".into())
            }
            (None, Environment::Dev) => {
                tracing::warn!("CASETRAIL_CHECKPOINT_KEY is not set: signing with the PUBLIC development key; this checkpoint proves nothing");
                DEV_CHECKPOINT_KEY.to_string()
            }
        };
        let seed: [u8; 32] = hex::decode(hex_key.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("CASETRAIL_CHECKPOINT_KEY must be 64 hexadecimal digits (a 32-byte seed)")?;
        Ok(SigningKey::from_bytes(&seed))
    }
}

/// `casetrail checkpoint`: signs the heads of every stream, prints or writes the JSON.
pub async fn checkpoint(args: CheckpointArgs) -> Result<(), OperatorError> {
    crate::telemetry::init(false);
    let key = args.signing_key().map_err(OperatorError::Settings)?;
    if args.print_public_key {
        println!("{}", hex::encode(key.verifying_key().as_bytes()));
        return Ok(());
    }
    let pool = owner_pool(&args.database.database_url).await?;
    if let Some(path) = &args.tree_head {
        write_tree_head(&pool, &key, path)
            .await
            .map_err(OperatorError::Failed)?;
        if args.only_tree_head {
            pool.close().await;
            return Ok(());
        }
    }
    let checkpoint = checkpoint::create(&pool, &key).await.map_err(store_error)?;
    pool.close().await;
    let json = serde_json::to_string_pretty(&checkpoint)
        .map_err(|e| OperatorError::File(format!("cannot serialise the checkpoint: {e}")))?;
    let whereto = match &args.out {
        None => {
            println!("{json}");
            "printed above".to_string()
        }
        Some(path) => {
            write_atomically(path, &json)?;
            format!("written to {}", path.display())
        }
    };
    // The public key is what an auditor pins for `verify --public-key`:
    // say it plainly, on stderr so that stdout stays the checkpoint alone.
    eprintln!(
        "checkpoint at position {} ({} streams, Merkle root {}) {whereto}.\n\
         signer's public key: {}\n\
         keep the file off the database host; verify later with\n  \
         casetrail verify --checkpoint FILE --public-key {}",
        checkpoint.position,
        checkpoint.streams,
        checkpoint.merkle_root,
        checkpoint.public_key,
        checkpoint.public_key
    );
    Ok(())
}

/// `casetrail checkpoint --tree-head FILE`: signs the tree as the
/// `merkle_log` projection holds it now and writes it to FILE.
async fn write_tree_head(pool: &PgPool, key: &SigningKey, path: &Path) -> Result<(), String> {
    let (head, _) = store::transparency::tree_head::create(pool, key)
        .await
        .map_err(store_error)?;
    let json = serde_json::to_string_pretty(&head).map_err(|e| e.to_string())?;
    write_atomically(path, &json)?;
    eprintln!(
        "tree head: {} entries, root {}, signed at {}, written to {}",
        head.size,
        head.root,
        head.timestamp.to_rfc3339(),
        path.display()
    );
    Ok(())
}

/// `casetrail verify`: every chain, then the checkpoint if one is given.
pub async fn verify(args: VerifyArgs) -> Result<(), OperatorError> {
    crate::telemetry::init(false);
    // Read and check the file before touching the database: a typo fails fast.
    let pinned = match &args.checkpoint {
        Some(path) => {
            let checkpoint = read_checkpoint(path)?;
            let key = trusted_key(path, &checkpoint, args.public_key.as_deref())?;
            Some((path, checkpoint, key))
        }
        None => None,
    };
    let pool = owner_pool(&args.database.database_url).await?;
    let chains = integrity::verify(&pool, &Scope::default())
        .await
        .map_err(store_error)?;
    let mut failures = chains.failures.len();
    println!(
        "hash chains: {} streams, {} events: {}",
        chains.streams_checked,
        chains.events_checked,
        verdict(chains.failures.len())
    );
    print_failures(&chains.failures);
    if let Some((path, checkpoint, key)) = pinned {
        let report = checkpoint::verify_against_checkpoint(&pool, &checkpoint, &key)
            .await
            .map_err(store_error)?;
        match &report.invalid {
            Some(reason) => {
                failures += 1;
                println!("checkpoint {}: INVALID: {reason}", path.display());
            }
            None => {
                failures += report.failures.len();
                println!(
                    "checkpoint {} (position {}, taken {}, {} streams): {}",
                    path.display(),
                    checkpoint.position,
                    checkpoint.created_at.to_rfc3339(),
                    checkpoint.streams,
                    if report.failures.is_empty() {
                        "the log extends it".to_string()
                    } else {
                        format!("NOT extended, {} failure(s)", report.failures.len())
                    }
                );
                print_failures(&report.failures);
            }
        }
    }
    pool.close().await;
    if failures == 0 {
        Ok(())
    } else {
        Err(OperatorError::Failed(format!(
            "integrity verification FAILED: {failures} failure(s), listed above"
        )))
    }
}

fn verdict(failures: usize) -> String {
    if failures == 0 {
        "OK".into()
    } else {
        format!("{failures} failure(s)")
    }
}

fn print_failures(failures: &[IntegrityFailure]) {
    for f in failures {
        println!(
            "FAIL {} {} sequence {}: {}",
            f.stream_type, f.stream_id, f.sequence, f.reason
        );
    }
}

fn read_checkpoint(path: &Path) -> Result<Checkpoint, OperatorError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        OperatorError::File(format!("cannot read checkpoint {}: {e}", path.display()))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        OperatorError::File(format!(
            "{} is not a casetrail checkpoint: {e}",
            path.display()
        ))
    })
}

/// The pinned key, or (loudly) the key the checkpoint file names.
fn trusted_key(
    path: &Path,
    file: &Checkpoint,
    pinned: Option<&str>,
) -> Result<VerifyingKey, OperatorError> {
    let key = match pinned {
        Some(hex_key) => checkpoint::parse_public_key(hex_key).map_err(|e| {
            OperatorError::Usage(format!(
                "--public-key / CASETRAIL_CHECKPOINT_PUBLIC_KEY: {e}"
            ))
        })?,
        None => unpinned_key(path, file)?,
    };
    if dev_public_key().is_some_and(|dev| dev == key) {
        eprintln!(
            "WARNING: the trusted key is the PUBLIC development key: anyone can sign with it, \
             so this checkpoint proves nothing."
        );
    }
    Ok(key)
}

fn dev_public_key() -> Option<VerifyingKey> {
    let seed: [u8; 32] = hex::decode(DEV_CHECKPOINT_KEY).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed).verifying_key())
}

fn unpinned_key(path: &Path, file: &Checkpoint) -> Result<VerifyingKey, OperatorError> {
    eprintln!(
        "WARNING: no --public-key or CASETRAIL_CHECKPOINT_PUBLIC_KEY given: trusting the key \
         written in {} ({}). Whoever can write that file can forge it; an auditor must pin the \
         signer's public key.",
        path.display(),
        file.public_key
    );
    checkpoint::parse_public_key(&file.public_key)
        .map_err(|e| OperatorError::File(format!("{}: {e}", path.display())))
}

/// Writes beside the target, then renames: a reader never sees half a checkpoint.
pub(crate) fn write_atomically(path: &Path, contents: &str) -> Result<(), OperatorError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, format!("{contents}\n"))
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| OperatorError::File(format!("cannot write {}: {e}", path.display())))
}

/// A small read-only pool as the URL's own user; never creates the database.
pub(crate) async fn owner_pool(url: &str) -> Result<PgPool, OperatorError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|_| OperatorError::Settings("DATABASE_URL is not a valid PostgreSQL URL".into()))?
        .disable_statement_logging();
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await
        .map_err(|e| OperatorError::database(store::db::connect_error(&options, &e)))?;
    store::db::check_migrated(&pool, url).await?;
    Ok(pool)
}

/// The store's error with its database cause (codes and messages, no values).
pub(crate) fn store_error(e: StoreError) -> OperatorError {
    OperatorError::Database(match &e {
        StoreError::Database(source) | StoreError::Unavailable(source) => {
            format!("{e}: {}", store::db::short(source))
        }
        _ => e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(key: Option<&str>, environment: Environment) -> CheckpointArgs {
        CheckpointArgs {
            database: ExistingDatabaseArgs {
                database_url: String::new(),
            },
            out: None,
            environment,
            checkpoint_key: key.map(str::to_string),
            print_public_key: false,
            tree_head: None,
            only_tree_head: false,
        }
    }

    #[test]
    fn production_refuses_a_missing_or_public_development_key() {
        assert!(args(None, Environment::Production).signing_key().is_err());
        assert!(args(Some(DEV_CHECKPOINT_KEY), Environment::Production)
            .signing_key()
            .is_err());
        assert!(args(Some(&"ab".repeat(32)), Environment::Production)
            .signing_key()
            .is_ok());
        assert!(args(None, Environment::Dev).signing_key().is_ok());
        assert!(args(Some("abc"), Environment::Dev).signing_key().is_err());
    }
}
