//! Record keys: HMAC-SHA256 of a record's kind and id under the database's
//! statistics secret (migration 0040), the first 32 bits as a number.
//!
//! Keyed, because the cell key method's protection rests on the noise not
//! being computable from outside: with an unkeyed hash of the id, whoever
//! learnt ids (a leaked export of case numbers, a former counsellor) could
//! recompute a cell's key, read off its noise and subtract it. The secret
//! is fixed for the life of the data, so the same record has the same key
//! in every rebuild, on every restart and on every standby.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::ProjectionError;

/// Derives record keys under one secret. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct RecordKeys {
    /// Prepared once; cloned per record (cheaper than keying again).
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for RecordKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKeys(..)")
    }
}

impl RecordKeys {
    /// Keys under `secret` (the database's, from [`RecordKeys::read`]; any in tests).
    pub fn new(secret: &[u8; 32]) -> Self {
        // HMAC takes keys of any length: this cannot fail.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts a 32-byte key"));
        RecordKeys { mac }
    }

    /// The database's secret (migration 0040), read by the statistics
    /// projector; the server role may read it, nothing publishes it.
    pub async fn read(db: impl PgExecutor<'_>) -> Result<Self, ProjectionError> {
        let secret: Vec<u8> =
            sqlx::query_scalar("SELECT secret FROM statistics_record_secret WHERE only_row")
                .fetch_optional(db)
                .await?
                .ok_or_else(|| {
                    ProjectionError::Event("the statistics record secret is missing".into())
                })?;
        let secret: [u8; 32] = secret.try_into().map_err(|_| {
            ProjectionError::Event("the statistics record secret is not 32 bytes".into())
        })?;
        Ok(Self::new(&secret))
    }

    /// The key of the record `(kind, id)` in [0, 2^32): the first 32 bits of
    /// HMAC-SHA256(secret, "casetrail record key" 0 kind 0 id).
    pub fn of(&self, kind: &str, id: Uuid) -> i64 {
        let mut mac = self.mac.clone();
        mac.update(b"casetrail record key\0");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut first = [0u8; 4];
        first.copy_from_slice(&digest[..4]);
        i64::from(u32::from_be_bytes(first))
    }
}
