//! The transparency log for auditors (docs/AUDIT.md): the tree as the
//! `merkle_log` projection holds it, inclusion proofs of a case's events and
//! consistency proofs between two sizes. The server holds no signing key:
//! an auditor checks these against a tree head signed by `casetrail
//! checkpoint --tree-head`, whose root must equal the proof's.

use async_graphql::{Context, Object, Result, SimpleObject};
use sqlx::PgPool;
use store::transparency::proofs;
use uuid::Uuid;

use super::context::request;
use super::scalars::check_int;
use crate::error::ApiError;
use crate::policy::{require, Capability};

#[derive(Default)]
pub struct EvidenceQuery;

/// The tree over every event in commit order.
#[derive(SimpleObject)]
pub struct TransparencyLog {
    /// Entries (events) in the tree.
    size: i32,
    /// Hex of the RFC 9162 root.
    root_hash: String,
}

/// An event's audit path, leaf to root.
#[derive(SimpleObject)]
pub struct InclusionProof {
    case_id: Uuid,
    sequence: i32,
    /// Hex of the event's chain hash.
    chain_hash: String,
    leaf_index: i32,
    tree_size: i32,
    /// Hex of the root the path leads to.
    root_hash: String,
    path: Vec<String>,
}

/// Proof that the tree of oldSize entries is a prefix of the tree of newSize.
#[derive(SimpleObject)]
pub struct ConsistencyProof {
    old_size: i32,
    new_size: i32,
    old_root_hash: String,
    new_root_hash: String,
    path: Vec<String>,
}

fn size_of(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

async fn log_size(pool: &PgPool) -> Result<u64, ApiError> {
    let size: i64 = sqlx::query_scalar("SELECT count(*) FROM merkle_leaves")
        .fetch_one(pool)
        .await
        .map_err(|e| ApiError::from(store::StoreError::from(e)))?;
    Ok(u64::try_from(size).unwrap_or(0))
}

/// The tree of `size` entries, which must not exceed the log.
async fn tree(
    pool: &PgPool,
    argument: &str,
    size: i32,
) -> Result<store::transparency::Tree, ApiError> {
    let size = check_int(argument, size, 0, i32::MAX)?;
    let size = u64::try_from(size).unwrap_or(0);
    let held = log_size(pool).await?;
    if size > held {
        return Err(ApiError::BadUserInput(format!(
            "{argument} exceeds the log's {held} entries"
        )));
    }
    proofs::tree(pool, size)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::BadUserInput(format!("{argument} exceeds the log")))
}

#[Object]
impl EvidenceQuery {
    /// The transparency log's current size and root (AUDITOR).
    async fn transparency_log(&self, ctx: &Context<'_>) -> Result<TransparencyLog> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadTransparencyLog)?;
        let pool = app.commands.store().pool();
        let size = log_size(pool).await?;
        let tree = tree(pool, "size", size_of(size)).await?;
        Ok(TransparencyLog {
            size: size_of(tree.size() as u64),
            root_hash: hex::encode(tree.root()),
        })
    }

    /// The inclusion proof of event `sequence` of a case in the tree of `treeSize` entries (AUDITOR).
    async fn inclusion_proof(
        &self,
        ctx: &Context<'_>,
        case_id: Uuid,
        sequence: i32,
        tree_size: i32,
    ) -> Result<InclusionProof> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadTransparencyLog)?;
        let sequence = check_int("sequence", sequence, 1, i32::MAX)?;
        let pool = app.commands.store().pool();
        let tree = tree(pool, "treeSize", tree_size).await?;
        let proof = proofs::inclusion(
            pool,
            &tree,
            "Case",
            &case_id.to_string(),
            i64::from(sequence),
        )
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "event {sequence} of case {case_id} is not in the tree of {tree_size} entries"
            ))
        })?;
        Ok(InclusionProof {
            case_id,
            sequence,
            chain_hash: proof.chain_hash,
            leaf_index: size_of(proof.leaf_index),
            tree_size: size_of(proof.tree_size),
            root_hash: hex::encode(tree.root()),
            path: proof.path,
        })
    }

    /// The consistency proof between the trees of `oldSize` and `newSize` entries (AUDITOR).
    async fn consistency_proof(
        &self,
        ctx: &Context<'_>,
        old_size: i32,
        new_size: i32,
    ) -> Result<ConsistencyProof> {
        let (app, req) = request(ctx)?;
        require(&req.principal, Capability::ReadTransparencyLog)?;
        if old_size > new_size {
            return Err(ApiError::BadUserInput("oldSize exceeds newSize".into()).into());
        }
        let pool = app.commands.store().pool();
        let tree = tree(pool, "newSize", new_size).await?;
        let old = usize::try_from(check_int("oldSize", old_size, 0, new_size)?).unwrap_or(0);
        let path = tree
            .consistency_proof(old)
            .ok_or_else(|| ApiError::BadUserInput("oldSize exceeds newSize".into()))?;
        let old_root = proofs::tree(pool, old as u64)
            .await
            .map_err(ApiError::from)?
            .map(|t| hex::encode(t.root()))
            .ok_or(ApiError::Internal)?;
        Ok(ConsistencyProof {
            old_size,
            new_size,
            old_root_hash: old_root,
            new_root_hash: hex::encode(tree.root()),
            path: path.iter().map(hex::encode).collect(),
        })
    }
}
