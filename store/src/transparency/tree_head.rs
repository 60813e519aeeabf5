//! Signed tree heads, and what the database answers about the tree.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Row};

use super::leaf::{field, parse_hash, Entry};
use super::merkle::{Hash, Tree};
use crate::error::StoreError;

/// The `format` of a tree head file, and its signature's domain tag.
pub const FORMAT: &str = "casetrail-tree-head-v1";

/// A signed statement of the tree's size and root at a moment (the JSON file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    pub format: String,
    /// Number of leaves (events) the tree holds.
    pub size: u64,
    /// Lowercase hex of the RFC 9162 root.
    pub root: String,
    /// Database clock when the head was taken (microsecond precision).
    pub timestamp: DateTime<Utc>,
    /// Lowercase hex of the signer's Ed25519 key (informative: pin your own).
    pub public_key: String,
    /// Lowercase hex of the Ed25519 signature over [`signed_message`].
    pub signature: String,
}

/// `F(FORMAT) ‖ BE64(size) ‖ BE64(timestamp µs) ‖ root`.
pub fn signed_message(size: u64, timestamp: DateTime<Utc>, root: &Hash) -> Vec<u8> {
    let mut m = Vec::with_capacity(4 + FORMAT.len() + 16 + 32);
    field(&mut m, FORMAT.as_bytes());
    m.extend_from_slice(&size.to_be_bytes());
    m.extend_from_slice(&timestamp.timestamp_micros().to_be_bytes());
    m.extend_from_slice(root);
    m
}

impl TreeHead {
    pub fn sign(size: u64, root: Hash, timestamp: DateTime<Utc>, key: &SigningKey) -> TreeHead {
        let signature = key.sign(&signed_message(size, timestamp, &root));
        TreeHead {
            format: FORMAT.to_string(),
            size,
            root: hex::encode(root),
            timestamp,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Checks format, key and signature (strict Ed25519); returns the root.
    pub fn verify(&self, trusted: &VerifyingKey) -> Result<Hash, String> {
        if self.format != FORMAT {
            return Err(format!("unknown tree head format '{}'", self.format));
        }
        let root = parse_hash("the tree head's root", &self.root)?;
        if !self
            .public_key
            .eq_ignore_ascii_case(&hex::encode(trusted.as_bytes()))
        {
            return Err("the tree head names another signing key than the trusted one".into());
        }
        let signature: [u8; 64] = hex::decode(&self.signature)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("the tree head's signature is not 128 hexadecimal digits")?;
        trusted
            .verify_strict(
                &signed_message(self.size, self.timestamp, &root),
                &Signature::from_bytes(&signature),
            )
            .map_err(|_| "the tree head's signature does not verify with the trusted key")?;
        Ok(root)
    }
}

/// The first `size` leaf hashes; `None` when the tree is smaller.
pub async fn leaves(conn: &mut PgConnection, size: u64) -> Result<Option<Vec<Hash>>, StoreError> {
    let limit = i64::try_from(size).unwrap_or(i64::MAX);
    let rows: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT leaf_hash FROM merkle_leaves WHERE leaf_index < $1 ORDER BY leaf_index",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    if rows.len() as u64 != size {
        return Ok(None);
    }
    rows.into_iter()
        .map(|b| {
            b.try_into()
                .map_err(|_| StoreError::Corrupt("a stored leaf hash is not 32 bytes".into()))
        })
        .collect::<Result<Vec<Hash>, StoreError>>()
        .map(Some)
}

/// Signs the tree as the `merkle_log` projection holds it now.
pub async fn create(pool: &PgPool, key: &SigningKey) -> Result<(TreeHead, Tree), StoreError> {
    let mut tx = crate::transaction::begin(pool).await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let (size, timestamp): (i64, DateTime<Utc>) =
        sqlx::query_as("SELECT count(*), now() FROM merkle_leaves")
            .fetch_one(&mut *tx)
            .await?;
    let size = u64::try_from(size).unwrap_or(0);
    let leaves = leaves(&mut tx, size).await?.ok_or_else(|| {
        StoreError::Corrupt("the leaf indexes of merkle_leaves have a gap".into())
    })?;
    let tree = Tree::new(leaves);
    tx.commit().await?;
    Ok((TreeHead::sign(size, tree.root(), timestamp, key), tree))
}

/// The entries of one stream in the tree, in stream order.
pub async fn stream_entries(
    conn: &mut PgConnection,
    stream_type: &str,
    stream_id: &str,
) -> Result<Vec<Entry>, StoreError> {
    let rows = sqlx::query(
        "SELECT leaf_index, sequence, chain_hash FROM merkle_leaves \
         WHERE stream_type = $1 AND stream_id = $2 ORDER BY sequence",
    )
    .bind(stream_type)
    .bind(stream_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let hash: Vec<u8> = row.try_get("chain_hash")?;
            Ok(Entry {
                leaf_index: u64::try_from(row.try_get::<i64, _>("leaf_index")?).unwrap_or(0),
                stream_type: stream_type.to_string(),
                stream_id: stream_id.to_string(),
                sequence: row.try_get("sequence")?,
                chain_hash: hash.try_into().map_err(|_| {
                    StoreError::Corrupt("a stored chain hash is not 32 bytes".into())
                })?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_tree_head_verifies_and_no_altered_one_does() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let at = DateTime::<Utc>::from_timestamp_micros(1_760_000_000_000_001).expect("valid");
        let head = TreeHead::sign(9, [3; 32], at, &key);
        let trusted = key.verifying_key();
        assert_eq!(head.verify(&trusted), Ok([3; 32]));
        let json = serde_json::to_string(&head).expect("serialises");
        let back: TreeHead = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.verify(&trusted), Ok([3; 32]));
        let mut bigger = head.clone();
        bigger.size = 10;
        assert!(bigger.verify(&trusted).is_err());
        let mut other_root = head.clone();
        other_root.root = hex::encode([4; 32]);
        assert!(other_root.verify(&trusted).is_err());
        let mut later = head.clone();
        later.timestamp = at + chrono::Duration::microseconds(1);
        assert!(later.verify(&trusted).is_err());
        let stranger = SigningKey::from_bytes(&[6; 32]).verifying_key();
        assert!(head.verify(&stranger).is_err());
    }
}
