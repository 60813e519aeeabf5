//! Idempotency keys: the contract's `id` or `idempotencyKey` of a mutation,
//! scoped by the mutation's name, with a keyed fingerprint of its input.

use serde::Serialize;
use store::hash::canonical_json;
use store::receipts::Receipt;
use store::vault::Vault;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// Longest client key accepted.
const MAX_KEY_LEN: usize = 200;

#[derive(Clone, Debug)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: Vec<u8>,
}

impl Idempotency {
    /// `None` when the client gave no key: such a request is not deduplicated.
    pub fn new(
        vault: &Vault,
        mutation: &str,
        client_key: Option<String>,
        input: &impl Serialize,
    ) -> ApiResult<Option<Self>> {
        let Some(client_key) = client_key else {
            return Ok(None);
        };
        if client_key.is_empty() || client_key.len() > MAX_KEY_LEN {
            return Err(ApiError::BadUserInput(format!(
                "an idempotency key has 1 to {MAX_KEY_LEN} characters"
            )));
        }
        let input = serde_json::to_value(input).map_err(|_| ApiError::Internal)?;
        let request_hash =
            vault.fingerprint(&[mutation.as_bytes(), canonical_json(&input).as_bytes()]);
        Ok(Some(Self {
            key: format!("{mutation}:{client_key}"),
            request_hash,
        }))
    }

    pub fn receipt(
        &self,
        stream_type: &str,
        stream_id: Uuid,
        last_sequence: i64,
        result_id: Option<Uuid>,
    ) -> Receipt {
        Receipt {
            key: self.key.clone(),
            request_hash: self.request_hash.clone(),
            stream_type: stream_type.to_string(),
            stream_id: stream_id.to_string(),
            last_sequence,
            result_id,
        }
    }
}
