//! Personal data as the domain sees it: sealed, opaque.
//!
//! The API encrypts names, phone numbers and free text before they enter a
//! command; the domain only stores and passes on the envelope. Erasing the
//! subject's key makes every copy unreadable without touching an event.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An encrypted value: which subject's key sealed it, the nonce, and the ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The subject (person, call or case) whose data key sealed this value.
    pub key_id: Uuid,
    /// Base64 of the AEAD nonce.
    pub nonce: String,
    /// Base64 of the ciphertext with its authentication tag.
    pub ciphertext: String,
}
