//! What the audit commands read: JSON files and the pinned public key.

use std::path::Path;

use store::checkpoint::{parse_public_key, VerifyingKey};

/// Reads a JSON file of type `T`, naming the file in any error.
pub(super) fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not a {what}: {e}", path.display()))
}

pub(super) fn trusted(hex_key: &str) -> Result<VerifyingKey, String> {
    parse_public_key(hex_key).map_err(|e| format!("--public-key: {e}"))
}
