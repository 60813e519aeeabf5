//! One event as the transparency log commits to it: the leaf encoding
//! (docs/AUDIT.md), and the small helpers the other modules share.

use sha2::{Digest, Sha256};

use super::merkle::{self, Hash};

/// The domain tag of a leaf's data.
pub const LEAF_FORMAT: &str = "casetrail-leaf-v1";

/// One event as the log commits to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its place in the tree: 0 for the first event in commit-safe order.
    pub leaf_index: u64,
    pub stream_type: String,
    pub stream_id: String,
    pub sequence: i64,
    /// The event's chain hash (ARCHITECTURE.md / docs/FORMATS.md "Hash chain").
    pub chain_hash: Hash,
}

impl Entry {
    /// `F("casetrail-leaf-v1") ‖ BE64(leaf_index) ‖ F(stream_type) ‖
    /// F(stream_id) ‖ BE64(sequence) ‖ chain_hash`, with `F(x) = BE32(len) ‖ x`.
    /// The index is inside so that one event can never stand at two places.
    pub fn leaf_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(96 + self.stream_type.len() + self.stream_id.len());
        field(&mut data, LEAF_FORMAT.as_bytes());
        data.extend_from_slice(&self.leaf_index.to_be_bytes());
        field(&mut data, self.stream_type.as_bytes());
        field(&mut data, self.stream_id.as_bytes());
        data.extend_from_slice(&self.sequence.to_be_bytes());
        data.extend_from_slice(&self.chain_hash);
        data
    }

    /// RFC 9162 leaf hash: `SHA-256(0x00 ‖ leaf_data)`.
    pub fn leaf_hash(&self) -> Hash {
        merkle::leaf_hash(&self.leaf_data())
    }
}

pub(super) fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Lowercase hex of 32 bytes, or why not.
pub fn parse_hash(what: &str, text: &str) -> Result<Hash, String> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{what} is not 64 hexadecimal digits"))
}

/// `SHA-256("")`: the root of the empty tree.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leaf_encoding_is_the_documented_one() {
        let entry = Entry {
            leaf_index: 2,
            stream_type: "Case".into(),
            stream_id: "ab".into(),
            sequence: 3,
            chain_hash: [7; 32],
        };
        let mut expected = Vec::new();
        expected.extend_from_slice(&[0, 0, 0, 17]);
        expected.extend_from_slice(b"casetrail-leaf-v1");
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2]);
        expected.extend_from_slice(&[0, 0, 0, 4]);
        expected.extend_from_slice(b"Case");
        expected.extend_from_slice(&[0, 0, 0, 2]);
        expected.extend_from_slice(b"ab");
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 3]);
        expected.extend_from_slice(&[7; 32]);
        assert_eq!(entry.leaf_data(), expected);
        let moved = Entry {
            leaf_index: 3,
            ..entry.clone()
        };
        assert_ne!(moved.leaf_hash(), entry.leaf_hash());
    }
}
