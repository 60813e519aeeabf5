//! Proofs the database answers, and the checks an auditor or a witness
//! makes of them against signed tree heads.

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::merkle::{verify_consistency, verify_inclusion};
use super::tree_head::{leaves, stream_entries};
use super::{parse_hash, Entry, Hash, Tree, TreeHead};
use crate::error::StoreError;

/// An event's audit path in the tree of `tree_size` leaves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub stream_type: String,
    pub stream_id: String,
    pub sequence: i64,
    /// Lowercase hex of the event's chain hash.
    pub chain_hash: String,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Lowercase hex hashes, leaf to root.
    pub path: Vec<String>,
}

/// Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    /// Lowercase hex hashes (RFC 9162 PROOF).
    pub path: Vec<String>,
}

/// The tree of the first `size` leaves; `None` when the log is smaller.
pub async fn tree(pool: &PgPool, size: u64) -> Result<Option<Tree>, StoreError> {
    let mut conn = pool.acquire().await?;
    Ok(leaves(&mut conn, size).await?.map(Tree::new))
}

/// The inclusion proof of event `sequence` of a stream in `tree`, or `None`
/// when the tree does not hold that event.
pub async fn inclusion(
    pool: &PgPool,
    tree: &Tree,
    stream_type: &str,
    stream_id: &str,
    sequence: i64,
) -> Result<Option<InclusionProof>, StoreError> {
    let mut conn = pool.acquire().await?;
    let entries = stream_entries(&mut conn, stream_type, stream_id).await?;
    let Some(entry) = entries.into_iter().find(|e| e.sequence == sequence) else {
        return Ok(None);
    };
    Ok(prove(tree, &entry))
}

/// The proof of `entry` in `tree`, when the tree is large enough to hold it.
pub fn prove(tree: &Tree, entry: &Entry) -> Option<InclusionProof> {
    let index = usize::try_from(entry.leaf_index).ok()?;
    let path = tree.inclusion_proof(index)?;
    Some(InclusionProof {
        stream_type: entry.stream_type.clone(),
        stream_id: entry.stream_id.clone(),
        sequence: entry.sequence,
        chain_hash: hex::encode(entry.chain_hash),
        leaf_index: entry.leaf_index,
        tree_size: tree.size() as u64,
        path: path.iter().map(hex::encode).collect(),
    })
}

/// The consistency proof between two sizes, or `None` when the log holds
/// fewer than `new_size` leaves or `old_size > new_size`.
pub async fn consistency(
    pool: &PgPool,
    old_size: u64,
    new_size: u64,
) -> Result<Option<ConsistencyProof>, StoreError> {
    if old_size > new_size {
        return Ok(None);
    }
    let Some(tree) = tree(pool, new_size).await? else {
        return Ok(None);
    };
    let path = usize::try_from(old_size)
        .ok()
        .and_then(|m| tree.consistency_proof(m));
    Ok(path.map(|path| ConsistencyProof {
        old_size,
        new_size,
        path: path.iter().map(hex::encode).collect(),
    }))
}

fn hashes(hex_hashes: &[String]) -> Result<Vec<Hash>, String> {
    hex_hashes
        .iter()
        .map(|h| parse_hash("a hash of the proof", h))
        .collect()
}

impl InclusionProof {
    /// Checks the proof against a signed tree head of the same size.
    pub fn verify(&self, head: &TreeHead, trusted: &VerifyingKey) -> Result<(), String> {
        let root = head.verify(trusted)?;
        if head.size != self.tree_size {
            return Err(format!(
                "the proof is for a tree of {} leaves, the tree head has {}",
                self.tree_size, head.size
            ));
        }
        let leaf = Entry {
            leaf_index: self.leaf_index,
            stream_type: self.stream_type.clone(),
            stream_id: self.stream_id.clone(),
            sequence: self.sequence,
            chain_hash: parse_hash("the chain hash", &self.chain_hash)?,
        }
        .leaf_hash();
        if verify_inclusion(
            self.leaf_index,
            head.size,
            &leaf,
            &hashes(&self.path)?,
            &root,
        ) {
            Ok(())
        } else {
            Err("the event is not in the signed tree".into())
        }
    }
}

/// Why a later tree head does not extend an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Divergence {
    /// A head does not verify with the trusted key.
    Unsigned(String),
    /// The later head is smaller: the log lost entries.
    Shrunk { old_size: u64, new_size: u64 },
    /// Two signed heads of one size with different roots.
    SplitView { size: u64 },
    /// The proof does not connect the two roots: the past was rewritten.
    RewrittenPast { old_size: u64, new_size: u64 },
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Divergence::Unsigned(why) => write!(f, "a tree head is not trustworthy: {why}"),
            Divergence::Shrunk { old_size, new_size } => write!(
                f,
                "the log shrank from {old_size} to {new_size} entries: entries were removed"
            ),
            Divergence::SplitView { size } => write!(
                f,
                "SPLIT VIEW: two signed tree heads of size {size} with different roots"
            ),
            Divergence::RewrittenPast { old_size, new_size } => write!(
                f,
                "REWRITTEN PAST: the tree of {new_size} entries does not extend the signed tree of {old_size}"
            ),
        }
    }
}

/// Checks that `new` extends `old` (both signed by `trusted`) by `proof`.
pub fn check_extends(
    old: &TreeHead,
    new: &TreeHead,
    proof: &ConsistencyProof,
    trusted: &VerifyingKey,
) -> Result<(), Divergence> {
    let old_root = old.verify(trusted).map_err(Divergence::Unsigned)?;
    let new_root = new.verify(trusted).map_err(Divergence::Unsigned)?;
    if new.size < old.size {
        return Err(Divergence::Shrunk {
            old_size: old.size,
            new_size: new.size,
        });
    }
    if new.size == old.size && new_root != old_root {
        return Err(Divergence::SplitView { size: new.size });
    }
    let rewritten = Divergence::RewrittenPast {
        old_size: old.size,
        new_size: new.size,
    };
    if (proof.old_size, proof.new_size) != (old.size, new.size) {
        return Err(rewritten);
    }
    let path = hashes(&proof.path).map_err(|_| rewritten.clone())?;
    if verify_consistency(old.size, new.size, &old_root, &new_root, &path) {
        Ok(())
    } else {
        Err(rewritten)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use ed25519_dalek::SigningKey;

    fn tree(n: u8) -> Tree {
        Tree::new(
            (0..n)
                .map(|i| super::super::merkle::leaf_hash(&[i]))
                .collect(),
        )
    }

    #[test]
    fn heads_of_a_growing_log_extend_each_other_and_forks_do_not() {
        let key = SigningKey::from_bytes(&[1; 32]);
        let trusted = key.verifying_key();
        let at = DateTime::<Utc>::from_timestamp_micros(1_700_000_000_000_000).expect("valid");
        let (small, big) = (tree(5), tree(11));
        let old = TreeHead::sign(5, small.root(), at, &key);
        let new = TreeHead::sign(11, big.root(), at, &key);
        let proof = ConsistencyProof {
            old_size: 5,
            new_size: 11,
            path: big
                .consistency_proof(5)
                .unwrap_or_default()
                .iter()
                .map(hex::encode)
                .collect(),
        };
        assert_eq!(check_extends(&old, &new, &proof, &trusted), Ok(()));
        // A log whose fifth entry was rewritten, re-signed with the same key.
        let mut forked: Vec<Hash> = (0..11u8)
            .map(|i| super::super::merkle::leaf_hash(&[i]))
            .collect();
        forked[4] = super::super::merkle::leaf_hash(b"rewritten");
        let forked = Tree::new(forked);
        let rewritten = TreeHead::sign(11, forked.root(), at, &key);
        let fork_proof = ConsistencyProof {
            path: forked
                .consistency_proof(5)
                .unwrap_or_default()
                .iter()
                .map(hex::encode)
                .collect(),
            ..proof.clone()
        };
        assert!(matches!(
            check_extends(&old, &rewritten, &fork_proof, &trusted),
            Err(Divergence::RewrittenPast { .. })
        ));
        assert!(matches!(
            check_extends(
                &new,
                &rewritten,
                &ConsistencyProof {
                    old_size: 11,
                    new_size: 11,
                    path: vec![]
                },
                &trusted
            ),
            Err(Divergence::SplitView { size: 11 })
        ));
        assert!(matches!(
            check_extends(&new, &old, &proof, &trusted),
            Err(Divergence::Shrunk { .. })
        ));
        let stranger = SigningKey::from_bytes(&[2; 32]).verifying_key();
        assert!(matches!(
            check_extends(&old, &new, &proof, &stranger),
            Err(Divergence::Unsigned(_))
        ));
    }
}
