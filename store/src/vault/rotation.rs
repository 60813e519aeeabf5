//! Re-wrapping data keys under the current master key, while servers write.
//!
//! Safe to run at any time and as often as needed: each key moves on its
//! own (compare-and-set on its wrapped bytes), so a key erased or re-wrapped
//! concurrently is left alone, and a key another server creates meanwhile is
//! simply still under its old master key, which a rerun then moves. Personal
//! data itself is never decrypted or rewritten (events never change).

use sqlx::PgPool;
use uuid::Uuid;

use super::{KeyRow, Subject, SubjectKind, Vault};
use crate::error::StoreError;

/// Keys moved per transaction.
const BATCH: i64 = 500;

/// What a re-wrap did, and what it left.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Keys moved to the current master key by this run.
    pub rewrapped: u64,
    /// Keys under a master key this process does not hold (left unchanged).
    pub unreadable: u64,
    /// Live keys not under the current master key when the run ended
    /// (`unreadable` ones, and any created meanwhile by a server still wrapping
    /// with an older key). Zero means the previous key may be dropped.
    pub remaining: u64,
}

impl Vault {
    /// Re-wraps every live data key that is not under the current master key.
    #[tracing::instrument(skip_all)]
    pub async fn rewrap_to_current(&self, pool: &PgPool) -> Result<Rotation, StoreError> {
        let current = self.keys.current.id();
        let mut report = Rotation::default();
        let mut after = (String::new(), Uuid::nil());
        loop {
            let rows: Vec<KeyRow> = sqlx::query_as(
                "SELECT subject_kind, subject_id, wrapped_key, master_key_id FROM data_keys \
                 WHERE wrapped_key IS NOT NULL AND master_key_id IS DISTINCT FROM $1 \
                   AND (subject_kind, subject_id) > ($2, $3) \
                 ORDER BY subject_kind, subject_id LIMIT $4",
            )
            .bind(current.as_slice())
            .bind(&after.0)
            .bind(after.1)
            .bind(BATCH)
            .fetch_all(pool)
            .await?;
            let Some(last) = rows.last() else { break };
            after = (last.0.clone(), last.1);
            let mut tx = pool.begin().await?;
            for (kind, id, wrapped, key_id) in rows {
                let Some(wrapped) = wrapped else { continue };
                let subject = Subject {
                    kind: SubjectKind::parse(&kind)?,
                    id,
                };
                let Ok(key) = self.unwrap_logged(subject, &wrapped, key_id.as_deref()) else {
                    report.unreadable += 1;
                    continue;
                };
                let (rewrapped, new_id) = self.keys.wrap(subject, &key)?;
                let moved = sqlx::query(
                    "UPDATE data_keys SET wrapped_key = $3, master_key_id = $4 \
                     WHERE subject_kind = $1 AND subject_id = $2 AND wrapped_key = $5",
                )
                .bind(&kind)
                .bind(id)
                .bind(rewrapped)
                .bind(new_id.as_slice())
                .bind(&wrapped)
                .execute(&mut *tx)
                .await?;
                report.rewrapped += moved.rows_affected();
            }
            tx.commit().await?;
        }
        report.remaining = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM data_keys \
             WHERE wrapped_key IS NOT NULL AND master_key_id IS DISTINCT FROM $1",
        )
        .bind(current.as_slice())
        .fetch_one(pool)
        .await?
        .try_into()
        .unwrap_or_default();
        Ok(report)
    }
}
