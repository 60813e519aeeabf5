//! A checkpoint as a statement: take one, its Merkle root, the signed
//! message and the signature (formats in docs/FORMATS.md). Checking that
//! the log still extends one is `extends.rs`.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row};

use crate::error::StoreError;

/// The `format` of every checkpoint this code writes; also its signature's domain tag.
pub const FORMAT: &str = "casetrail-checkpoint-v1";

/// One stream's last event at the checkpoint, as written in the JSON file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamHead {
    pub stream_type: String,
    pub stream_id: String,
    pub sequence: i64,
    /// Lowercase hex of the event's 32-byte chain hash.
    pub hash: String,
}

/// A signed statement of every stream's head at a log position (the JSON file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    /// The largest event position the checkpoint covers (0 for an empty log).
    pub position: i64,
    /// Database clock when the checkpoint was taken (microsecond precision).
    pub created_at: DateTime<Utc>,
    /// Number of streams, i.e. of `heads`.
    pub streams: u64,
    /// Lowercase hex of the Merkle root over the sorted heads.
    pub merkle_root: String,
    /// Lowercase hex of the signer's Ed25519 public key (informative: pin your own).
    pub public_key: String,
    /// Lowercase hex of the Ed25519 signature over [`signed_message`].
    pub signature: String,
    /// Sorted by (stream_type, stream_id) as UTF-8 bytes.
    pub heads: Vec<StreamHead>,
}

/// A head with its hash decoded, as the Merkle tree and the database see it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Head {
    pub stream_type: String,
    pub stream_id: String,
    pub sequence: i64,
    pub hash: [u8; 32],
}

/// `SHA-256(0x00 ‖ F(type) ‖ F(id) ‖ BE64(sequence) ‖ hash)`: the 0x00/0x01
/// prefixes keep a leaf from ever being read as an inner node.
pub fn leaf_hash(head: &Head) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x00]);
    field(&mut h, head.stream_type.as_bytes());
    field(&mut h, head.stream_id.as_bytes());
    h.update(head.sequence.to_be_bytes());
    h.update(head.hash);
    h.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

fn field(h: &mut Sha256, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    h.update(len.to_be_bytes());
    h.update(bytes);
}

/// The Merkle root over heads already sorted by (type, id): pairs are hashed
/// left to right, an odd last node is promoted unchanged, and an empty tree
/// is `SHA-256("")`.
pub fn merkle_root(sorted_heads: &[Head]) -> [u8; 32] {
    let mut level: Vec<[u8; 32]> = sorted_heads.iter().map(leaf_hash).collect();
    if level.is_empty() {
        return Sha256::digest([]).into();
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => node_hash(left, right),
                _ => pair.first().copied().unwrap_or_default(),
            })
            .collect();
    }
    level.first().copied().unwrap_or_default()
}

/// The exact bytes the signature covers:
/// `F(FORMAT) ‖ BE64(position) ‖ BE64(created_at µs) ‖ BE64(streams) ‖ root`.
/// The heads are covered through the root.
pub fn signed_message(
    position: i64,
    created_at: DateTime<Utc>,
    streams: u64,
    root: &[u8; 32],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(4 + FORMAT.len() + 24 + 32);
    m.extend_from_slice(
        &u32::try_from(FORMAT.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    m.extend_from_slice(FORMAT.as_bytes());
    m.extend_from_slice(&position.to_be_bytes());
    m.extend_from_slice(&created_at.timestamp_micros().to_be_bytes());
    m.extend_from_slice(&streams.to_be_bytes());
    m.extend_from_slice(root);
    m
}

/// Takes a checkpoint of the log as one consistent snapshot and signs it.
///
/// Positions order inserts, not commits: an event with a smaller position
/// than `position` may still commit later. It is simply not covered; the
/// heads are exactly what the snapshot saw.
#[tracing::instrument(skip_all)]
pub async fn create(pool: &PgPool, key: &SigningKey) -> Result<Checkpoint, StoreError> {
    let mut tx = crate::transaction::begin(pool).await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let (position, created_at): (i64, DateTime<Utc>) =
        sqlx::query_as("SELECT COALESCE(MAX(position), 0), now() FROM events")
            .fetch_one(&mut *tx)
            .await?;
    let rows = sqlx::query(
        "SELECT DISTINCT ON (aggregate_type, aggregate_id) aggregate_type, aggregate_id, sequence, hash \
         FROM events ORDER BY aggregate_type, aggregate_id, sequence DESC",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut heads = rows
        .iter()
        .map(|row| {
            let hash: Vec<u8> = row.try_get("hash")?;
            Ok(Head {
                stream_type: row.try_get("aggregate_type")?,
                stream_id: row.try_get("aggregate_id")?,
                sequence: row.try_get("sequence")?,
                hash: hash
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("a stored hash is not 32 bytes".into()))?,
            })
        })
        .collect::<Result<Vec<Head>, StoreError>>()?;
    // The database's collation is not byte order; the spec is.
    heads.sort();
    Ok(sign(position, created_at, heads, key))
}

/// Signs a statement of `heads` (sorted) at `position`.
pub fn sign(
    position: i64,
    created_at: DateTime<Utc>,
    heads: Vec<Head>,
    key: &SigningKey,
) -> Checkpoint {
    let root = merkle_root(&heads);
    let streams = u64::try_from(heads.len()).unwrap_or(u64::MAX);
    let signature = key.sign(&signed_message(position, created_at, streams, &root));
    Checkpoint {
        format: FORMAT.to_string(),
        position,
        created_at,
        streams,
        merkle_root: hex::encode(root),
        public_key: hex::encode(key.verifying_key().as_bytes()),
        signature: hex::encode(signature.to_bytes()),
        heads: heads
            .into_iter()
            .map(|h| StreamHead {
                stream_type: h.stream_type,
                stream_id: h.stream_id,
                sequence: h.sequence,
                hash: hex::encode(h.hash),
            })
            .collect(),
    }
}

fn decode_hex<const N: usize>(what: &str, text: &str) -> Result<[u8; N], String> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{what} is not {} hexadecimal digits", 2 * N))
}

/// Parses a public key given as 64 hex digits.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = decode_hex::<32>("the public key", text.trim())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "the public key is not an Ed25519 key".into())
}

impl Checkpoint {
    /// Checks the checkpoint on its own: its heads give its Merkle root and
    /// the `trusted` key signed it. Returns the heads, sorted, or why not.
    pub fn verify_signature(&self, trusted: &VerifyingKey) -> Result<Vec<Head>, String> {
        if self.format != FORMAT {
            return Err(format!("unknown checkpoint format '{}'", self.format));
        }
        let mut heads = self
            .heads
            .iter()
            .map(|h| {
                Ok(Head {
                    stream_type: h.stream_type.clone(),
                    stream_id: h.stream_id.clone(),
                    sequence: h.sequence,
                    hash: decode_hex::<32>("a head's hash", &h.hash)?,
                })
            })
            .collect::<Result<Vec<Head>, String>>()?;
        heads.sort();
        if heads
            .windows(2)
            .any(|w| matches!(w, [a, b] if (&a.stream_type, &a.stream_id) == (&b.stream_type, &b.stream_id)))
        {
            return Err("a stream appears twice among the heads".into());
        }
        if u64::try_from(heads.len()).ok() != Some(self.streams) {
            return Err("the stream count does not match the heads".into());
        }
        let root = merkle_root(&heads);
        if hex::encode(root) != self.merkle_root.to_ascii_lowercase() {
            return Err("the heads do not give the checkpoint's Merkle root".into());
        }
        if !self
            .public_key
            .eq_ignore_ascii_case(&hex::encode(trusted.as_bytes()))
        {
            return Err("the checkpoint names another signing key than the trusted one".into());
        }
        let signature = Signature::from_bytes(&decode_hex::<64>("the signature", &self.signature)?);
        trusted
            .verify_strict(
                &signed_message(self.position, self.created_at, self.streams, &root),
                &signature,
            )
            .map_err(|_| "the signature does not verify with the trusted public key".to_string())?;
        Ok(heads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(id: &str, seq: i64, byte: u8) -> Head {
        Head {
            stream_type: "Case".into(),
            stream_id: id.into(),
            sequence: seq,
            hash: [byte; 32],
        }
    }

    #[test]
    fn merkle_root_promotes_an_odd_node_and_hashes_an_empty_tree() {
        let empty: [u8; 32] = Sha256::digest([]).into();
        assert_eq!(merkle_root(&[]), empty);
        let (a, b, c) = (head("a", 1, 1), head("b", 2, 2), head("c", 3, 3));
        assert_eq!(merkle_root(std::slice::from_ref(&a)), leaf_hash(&a));
        let ab = node_hash(&leaf_hash(&a), &leaf_hash(&b));
        assert_eq!(merkle_root(&[a.clone(), b.clone()]), ab);
        assert_eq!(
            merkle_root(&[a, b, c.clone()]),
            node_hash(&ab, &leaf_hash(&c))
        );
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_any_change_to_it_does_not() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let at = DateTime::<Utc>::from_timestamp_micros(1_750_000_000_123_456).expect("valid");
        let checkpoint = sign(42, at, vec![head("a", 1, 1), head("b", 7, 2)], &key);
        let trusted = key.verifying_key();
        assert_eq!(
            checkpoint.verify_signature(&trusted).map(|h| h.len()),
            Ok(2)
        );
        let json = serde_json::to_string(&checkpoint).expect("serialises");
        let back: Checkpoint = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, checkpoint, "created_at survives the JSON round trip");

        let mut later = checkpoint.clone();
        later.position = 43;
        assert!(later.verify_signature(&trusted).is_err());
        let mut rewritten = checkpoint.clone();
        rewritten.heads[1].hash = hex::encode([3; 32]);
        assert!(rewritten.verify_signature(&trusted).is_err());
        let stranger = SigningKey::from_bytes(&[8; 32]).verifying_key();
        assert!(checkpoint.verify_signature(&stranger).is_err());
    }
}
