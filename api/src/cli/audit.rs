//! `casetrail audit …`: the transparency log on the command line
//! (docs/AUDIT.md). `bundle` and `inclusion` read the database as its
//! owner; `verify` never touches a database; `consistency` and `witness`
//! read only the proof from it and trust nothing but signed tree heads.

mod files;
mod witness;

use std::path::PathBuf;

use clap::{Args, Subcommand};
use store::log::{read_stream, StreamRange};
use store::transparency::bundle::{Bundle, BundleEvent, Inclusion, FORMAT};
use store::transparency::proofs::prove;
use store::transparency::tree_head::{self, stream_entries};
use store::transparency::TreeHead;
use uuid::Uuid;

use crate::cli::integrity::{owner_pool, store_error, write_atomically, CheckpointArgs};
use crate::settings::Environment;
use crate::settings::ExistingDatabaseArgs;
use files::{read_json, trusted};
pub use witness::{consistency, witness, ConsistencyArgs, WitnessArgs};

/// The `aggregate_type` of a case's stream.
const CASE_STREAM: &str = "Case";

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Write one case's evidence bundle: its events as stored (personal data sealed),
    /// the inclusion proof of its last event and a freshly signed tree head.
    Bundle(BundleArgs),
    /// Verify an evidence bundle offline (no database); exit 1 naming the first bad event.
    Verify(VerifyBundleArgs),
    /// Print the inclusion proof of one event of a case in the log's current tree.
    Inclusion(InclusionArgs),
    /// Check that the signed tree head NEW extends OLD (consistency proof from the database).
    Consistency(ConsistencyArgs),
    /// Keep a new signed tree head in DIR after checking it extends the last one kept.
    Witness(WitnessArgs),
}

/// The tree head signing key, as `casetrail checkpoint` takes it.
#[derive(Args, Debug, Clone)]
pub struct SignerArgs {
    /// `dev` or `production` (production refuses the development key).
    #[arg(long = "env", env = "CASETRAIL_ENV", value_enum, default_value = "dev")]
    pub environment: Environment,
    /// Ed25519 signing seed, 64 hex digits (the checkpoint key).
    #[arg(long, env = "CASETRAIL_CHECKPOINT_KEY", hide_env_values = true)]
    pub checkpoint_key: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct BundleArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    #[command(flatten)]
    pub signer: SignerArgs,
    /// The case's id.
    #[arg(long = "case", value_name = "ID")]
    pub case: String,
    /// Where to write the bundle (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyBundleArgs {
    /// The bundle file (from `casetrail audit bundle`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The tree head signer's Ed25519 public key, 64 hex digits (pin it).
    #[arg(long, env = "CASETRAIL_CHECKPOINT_PUBLIC_KEY", value_name = "HEX")]
    pub public_key: String,
}

#[derive(Args, Debug, Clone)]
pub struct InclusionArgs {
    #[command(flatten)]
    pub database: ExistingDatabaseArgs,
    /// The case's id.
    #[arg(long = "case", value_name = "ID")]
    pub case: String,
    /// The event's sequence in the case's stream.
    #[arg(long)]
    pub sequence: i64,
    /// A signed tree head file: prove against its tree (default: the current tree).
    #[arg(long, value_name = "FILE")]
    pub tree_head: Option<PathBuf>,
}

pub async fn run(command: AuditCommand) -> Result<(), String> {
    crate::telemetry::init(false);
    match command {
        AuditCommand::Bundle(args) => bundle(args).await,
        AuditCommand::Verify(args) => verify(&args),
        AuditCommand::Inclusion(args) => inclusion(args).await,
        AuditCommand::Consistency(args) => consistency(args).await,
        AuditCommand::Witness(args) => witness(args).await,
    }
}

impl SignerArgs {
    fn signing_key(
        &self,
        database: &ExistingDatabaseArgs,
    ) -> Result<store::checkpoint::SigningKey, String> {
        CheckpointArgs {
            database: database.clone(),
            out: None,
            environment: self.environment,
            checkpoint_key: self.checkpoint_key.clone(),
            print_public_key: false,
            tree_head: None,
            only_tree_head: false,
        }
        .signing_key()
    }
}

fn case_id(text: &str) -> Result<String, String> {
    Uuid::parse_str(text.trim())
        .map(|id| id.to_string())
        .map_err(|_| "--case is not a case id (a UUID)".to_string())
}

/// `casetrail audit bundle`.
async fn bundle(args: BundleArgs) -> Result<(), String> {
    let key = args.signer.signing_key(&args.database)?;
    let stream_id = case_id(&args.case)?;
    let pool = owner_pool(&args.database.database_url).await?;
    let (head, tree) = tree_head::create(&pool, &key).await.map_err(store_error)?;
    let mut conn = pool.acquire().await.map_err(|e| store_error(e.into()))?;
    let entries = stream_entries(&mut conn, CASE_STREAM, &stream_id)
        .await
        .map_err(store_error)?;
    drop(conn);
    let in_tree: Vec<_> = entries
        .into_iter()
        .filter(|e| e.leaf_index < head.size)
        .collect();
    let Some(last) = in_tree.last() else {
        pool.close().await;
        return Err(format!(
            "case {stream_id} has no event in the transparency log (unknown case, or the merkle_log projection has not reached it yet)"
        ));
    };
    let proof = prove(&tree, last).ok_or("the tree does not hold the case's last event")?;
    let events = read_stream(
        &pool,
        CASE_STREAM,
        &stream_id,
        StreamRange {
            up_to_sequence: Some(last.sequence),
            ..StreamRange::default()
        },
    )
    .await
    .map_err(store_error)?;
    pool.close().await;
    let bundle = Bundle {
        format: FORMAT.to_string(),
        stream_type: CASE_STREAM.to_string(),
        stream_id: stream_id.clone(),
        events: events.iter().map(BundleEvent::from_stored).collect(),
        inclusion: Inclusion {
            leaf_index: proof.leaf_index,
            path: proof.path,
        },
        tree_head: head,
    };
    let json = serde_json::to_string_pretty(&bundle)
        .map_err(|e| format!("cannot serialise the bundle: {e}"))?;
    write_atomically(&args.out, &json)?;
    eprintln!(
        "bundle of case {stream_id}: {} events, last at leaf {} of a tree of {} signed at {}, written to {}.\n\
         verify offline with\n  casetrail audit verify {} --public-key {}",
        bundle.events.len(),
        bundle.inclusion.leaf_index,
        bundle.tree_head.size,
        bundle.tree_head.timestamp.to_rfc3339(),
        args.out.display(),
        args.out.display(),
        bundle.tree_head.public_key
    );
    Ok(())
}

/// `casetrail audit verify`: offline. The verdict goes to standard output:
/// `sound: …` (exit 0) or the first bad event (exit 1), worded exactly as
/// scripts/verify_bundle.py words it.
fn verify(args: &VerifyBundleArgs) -> Result<(), String> {
    let trusted = trusted(&args.public_key)?;
    // An unreadable file is a verdict too, worded as the Python verifier words it.
    let bundle: Bundle = read_json(&args.file, "casetrail evidence bundle").map_err(|e| {
        println!("bad bundle: cannot read it: {e}");
        format!("{} is NOT sound", args.file.display())
    })?;
    match bundle.verify(&trusted) {
        Ok(sound) => {
            println!(
                "sound: {} events of {} {}, the last in the signed tree of {} entries at {}",
                sound.events,
                bundle.stream_type,
                bundle.stream_id,
                sound.tree_size,
                sound.timestamp.to_rfc3339()
            );
            Ok(())
        }
        Err(unsound) => {
            println!("{unsound}");
            Err(format!("{} is NOT sound", args.file.display()))
        }
    }
}

/// `casetrail audit inclusion`: prints the proof as JSON.
async fn inclusion(args: InclusionArgs) -> Result<(), String> {
    let stream_id = case_id(&args.case)?;
    let head: Option<TreeHead> = args
        .tree_head
        .as_deref()
        .map(|p| read_json(p, "casetrail tree head"))
        .transpose()?;
    let pool = owner_pool(&args.database.database_url).await?;
    let size = match &head {
        Some(head) => head.size,
        None => sqlx::query_scalar::<_, i64>("SELECT count(*) FROM merkle_leaves")
            .fetch_one(&pool)
            .await
            .map_err(|e| store_error(e.into()))
            .map(|n| u64::try_from(n).unwrap_or(0))?,
    };
    let tree = store::transparency::proofs::tree(&pool, size)
        .await
        .map_err(store_error)?
        .ok_or_else(|| format!("the transparency log holds fewer than {size} entries"))?;
    let proof = store::transparency::proofs::inclusion(
        &pool,
        &tree,
        CASE_STREAM,
        &stream_id,
        args.sequence,
    )
    .await
    .map_err(store_error)?;
    pool.close().await;
    let proof = proof.ok_or_else(|| {
        format!(
            "event {} of case {stream_id} is not in the tree of {size} entries",
            args.sequence
        )
    })?;
    let json = serde_json::to_string_pretty(&proof).map_err(|e| e.to_string())?;
    println!("{json}");
    Ok(())
}
