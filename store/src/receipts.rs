//! Idempotency receipts: the first result of a keyed command, so that a
//! retried request returns it instead of recording anything twice.
//!
//! A receipt belongs to its caller (the token's subject, and its agency for
//! AGENCY tokens): the same client key from another caller is another key,
//! so one caller can neither occupy nor probe another's keys.

use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::error::StoreError;

/// Who a receipt belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's `sub`.
    pub subject: String,
    /// The token's agency for AGENCY tokens; empty otherwise.
    pub agency: String,
}

/// What a committed keyed command leaves behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub caller: Caller,
    /// Scoped key: the mutation's name, then the client's key.
    pub key: String,
    /// Hash of the request's input without its personal data (see
    /// `api/src/commands/idempotency.rs`); empty for receipts written before
    /// migration 0006, whose input was not kept.
    pub request_hash: Vec<u8>,
    pub stream_type: String,
    pub stream_id: String,
    /// The stream's version right after the command: its first result.
    pub last_sequence: i64,
    /// The entity the mutation returned (a referral's or rescue's id), if not the stream itself.
    pub result_id: Option<Uuid>,
}

pub async fn find_receipt(
    pool: &PgPool,
    caller: &Caller,
    key: &str,
) -> Result<Option<Receipt>, StoreError> {
    let row = sqlx::query(
        "SELECT idempotency_key, request_hash, stream_type, stream_id, last_sequence, result_id \
         FROM command_receipts \
         WHERE caller_subject = $1 AND caller_agency = $2 AND idempotency_key = $3",
    )
    .bind(&caller.subject)
    .bind(&caller.agency)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    row.map(|r| -> Result<Receipt, sqlx::Error> {
        Ok(Receipt {
            caller: caller.clone(),
            key: r.try_get(0)?,
            request_hash: r.try_get(1)?,
            stream_type: r.try_get(2)?,
            stream_id: r.try_get(3)?,
            last_sequence: r.try_get(4)?,
            result_id: r.try_get(5)?,
        })
    })
    .transpose()
    .map_err(StoreError::from)
}
