//! `casetrail audit consistency` and `casetrail audit witness`: a later
//! signed tree head must extend every earlier one. The database supplies
//! only the consistency proof; the verdict rests on the signed roots, so a
//! database that rewrote its past cannot produce a proof that passes.

use std::path::PathBuf;

use clap::Args;
use store::transparency::proofs::{check_extends, consistency as prove_consistency, Divergence};
use store::transparency::TreeHead;

use super::files::{read_json, trusted};
use crate::cli::integrity::{owner_pool, store_error, write_atomically};
use crate::settings::ExistingDatabaseArgs;

#[derive(Args, Debug, Clone)]
pub struct ConsistencyArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// The earlier signed tree head (from `casetrail checkpoint --tree-head`).
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The later signed tree head.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// The signer's Ed25519 public key, 64 hex digits (pin it).
    #[arg(long, env = "CASETRAIL_CHECKPOINT_PUBLIC_KEY", value_name = "HEX")]
    pub public_key: String,
}

#[derive(Args, Debug, Clone)]
pub struct WitnessArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// The directory of tree heads this witness keeps (created if missing).
    #[arg(long, value_name = "DIR")]
    pub keep: PathBuf,
    /// The new signed tree head to check and keep.
    #[arg(long, value_name = "FILE")]
    pub tree_head: PathBuf,
    /// The signer's Ed25519 public key, 64 hex digits (pin it).
    #[arg(long, env = "CASETRAIL_CHECKPOINT_PUBLIC_KEY", value_name = "HEX")]
    pub public_key: String,
}

/// Checks `new` against `old` with a proof from the database.
async fn extends(
    database_url: &str,
    old: &TreeHead,
    new: &TreeHead,
    key: &str,
) -> Result<(), String> {
    let trusted = trusted(key)?;
    // Signatures and sizes first: a forged or shrunk head needs no proof.
    let quick = store::transparency::proofs::ConsistencyProof {
        old_size: old.size,
        new_size: new.size,
        path: Vec::new(),
    };
    match check_extends(old, new, &quick, &trusted) {
        Ok(()) => return Ok(()),
        Err(Divergence::RewrittenPast { .. }) => {}
        Err(other) => return Err(other.to_string()),
    }
    let pool = owner_pool(database_url).await?;
    let proof = prove_consistency(&pool, old.size, new.size)
        .await
        .map_err(store_error)?;
    pool.close().await;
    let proof = proof.ok_or_else(|| {
        format!(
            "REWRITTEN PAST: the log no longer holds the {} entries the new tree head signs",
            new.size
        )
    })?;
    check_extends(old, new, &proof, &trusted).map_err(|d| d.to_string())
}

/// `casetrail audit consistency OLD NEW`.
pub async fn consistency(args: ConsistencyArgs) -> Result<(), String> {
    let old: TreeHead = read_json(&args.old, "casetrail tree head")?;
    let new: TreeHead = read_json(&args.new, "casetrail tree head")?;
    extends(&args.database.database_url, &old, &new, &args.public_key).await?;
    println!(
        "consistent: the tree of {} entries ({}) extends the tree of {} ({})",
        new.size, new.root, old.size, old.root
    );
    Ok(())
}

/// `casetrail audit witness`: keeps `tree-head-<size>.json` files in DIR.
pub async fn witness(args: WitnessArgs) -> Result<(), String> {
    let new: TreeHead = read_json(&args.tree_head, "casetrail tree head")?;
    new.verify(&trusted(&args.public_key)?)
        .map_err(|e| format!("{}: {e}", args.tree_head.display()))?;
    std::fs::create_dir_all(&args.keep)
        .map_err(|e| format!("cannot create {}: {e}", args.keep.display()))?;
    let mut kept: Vec<TreeHead> = Vec::new();
    let listing = std::fs::read_dir(&args.keep)
        .map_err(|e| format!("cannot read {}: {e}", args.keep.display()))?;
    for entry in listing {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "json") {
            kept.push(read_json(&path, "casetrail tree head")?);
        }
    }
    // Every kept head of the new one's size must have its root (a split
    // view otherwise); the largest kept one must be extended by it.
    if let Some(twin) = kept
        .iter()
        .find(|k| k.size == new.size && k.root != new.root)
    {
        return Err(Divergence::SplitView { size: twin.size }.to_string());
    }
    if let Some(last) = kept.iter().max_by_key(|k| k.size) {
        extends(&args.database.database_url, last, &new, &args.public_key).await?;
        if last.size == new.size {
            println!("already kept: the tree of {} entries", new.size);
            return Ok(());
        }
    }
    let path = args.keep.join(format!("tree-head-{:020}.json", new.size));
    let json = serde_json::to_string_pretty(&new).map_err(|e| e.to_string())?;
    write_atomically(&path, &json)?;
    println!(
        "kept: the tree of {} entries ({}) in {}",
        new.size,
        new.root,
        path.display()
    );
    Ok(())
}
