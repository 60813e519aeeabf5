//! Signed checkpoints, specified in docs/FORMATS.md ("Signed checkpoints").
//!
//! A hash chain alone cannot catch someone with full database access who
//! rewrites history and recomputes every hash, nor a stream whose last events
//! were deleted. A checkpoint closes that gap: it states every stream's head
//! (type, id, sequence, hash) at one moment, commits to them with a Merkle
//! root, and is signed with an Ed25519 key that never lives in the database.
//! An auditor who kept an old checkpoint and pins the public key can later
//! prove that the log still *extends* what was signed.

mod extends;
mod statement;

/// The key types, so that callers use exactly the store's version of the crate.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use extends::{verify_against_checkpoint, CheckpointReport};
pub use statement::{
    create, leaf_hash, merkle_root, parse_public_key, sign, signed_message, Checkpoint, Head,
    StreamHead, FORMAT,
};
