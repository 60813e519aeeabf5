//! The transparency log (docs/AUDIT.md): an RFC 9162 Merkle tree over every
//! event in the projectors' commit-safe order, signed tree heads, inclusion
//! and consistency proofs, and per-case evidence bundles an auditor checks
//! offline.
//!
//! The leaves live in `merkle_leaves` (migration 0008), appended by the
//! `merkle_log` projection; the server's role may only read and insert them.
//! Proofs are computed from the stored leaf hashes: building a tree of n
//! leaves costs n - 1 hashes and 2n·32 bytes, each proof after that
//! O(log n).

pub mod bundle;
mod leaf;
pub mod merkle;
pub mod proofs;
pub mod tree_head;

pub use leaf::{empty_root, parse_hash, Entry, LEAF_FORMAT};
pub use merkle::{Hash, Tree};
pub use tree_head::TreeHead;
