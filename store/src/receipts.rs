//! Idempotency receipts: the first result of a keyed command, so that a
//! retried request returns it instead of recording anything twice.

use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use crate::error::StoreError;

/// What a committed keyed command leaves behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Scoped key: the mutation's name, then the client's key.
    pub key: String,
    /// Keyed hash of the request's input (see `vault::Vault::fingerprint`).
    pub request_hash: Vec<u8>,
    pub stream_type: String,
    pub stream_id: String,
    /// The stream's version right after the command: its first result.
    pub last_sequence: i64,
    /// The entity the mutation returned (a referral's or rescue's id), if not the stream itself.
    pub result_id: Option<Uuid>,
}

pub async fn find_receipt(pool: &PgPool, key: &str) -> Result<Option<Receipt>, StoreError> {
    let row = sqlx::query(
        "SELECT idempotency_key, request_hash, stream_type, stream_id, last_sequence, result_id \
         FROM command_receipts WHERE idempotency_key = $1",
    )
    .bind(key)
    .fetch_optional(pool)
    .await?;
    row.map(|r| -> Result<Receipt, sqlx::Error> {
        Ok(Receipt {
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

/// Inserts a receipt in the command's transaction; a concurrent twin makes it a conflict.
pub(crate) async fn insert_receipt(tx: &mut PgConnection, r: &Receipt) -> Result<(), StoreError> {
    let result = sqlx::query(
        "INSERT INTO command_receipts \
           (idempotency_key, request_hash, stream_type, stream_id, last_sequence, result_id) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.key)
    .bind(&r.request_hash)
    .bind(&r.stream_type)
    .bind(&r.stream_id)
    .bind(r.last_sequence)
    .bind(r.result_id)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => Err(StoreError::Conflict),
        Err(err) => Err(err.into()),
    }
}
