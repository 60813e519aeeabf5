//! `merkle_leaves`: the transparency log's leaves (store::transparency,
//! docs/AUDIT.md), one per event of every stream, indexed in the order the
//! feed applies them. That order is commit-safe and total, so the leaves
//! only ever append, and a rebuild lays them out at the same indexes.

use std::collections::HashMap;

use sqlx::{PgConnection, Row};
use store::transparency::Entry;

use crate::error::ProjectionError;
use crate::feed::Logged;
use crate::target::Target;

#[tracing::instrument(skip_all, fields(events = events.len()))]
pub(crate) async fn apply(
    conn: &mut PgConnection,
    events: &[Logged],
    target: &Target,
) -> Result<(), ProjectionError> {
    if events.is_empty() {
        return Ok(());
    }
    let table = target.table("merkle_leaves");
    let next: i64 = sqlx::query_scalar(&format!(
        "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM {table}"
    ))
    .fetch_one(&mut *conn)
    .await?;
    // The feed hands over decoded facts, not chain coordinates: these are
    // read back by position (unique) in one statement.
    let positions: Vec<i64> = events.iter().map(|e| e.at.position).collect();
    let rows = sqlx::query(
        "SELECT position, aggregate_type, aggregate_id, sequence, hash FROM events \
         WHERE position = ANY($1)",
    )
    .bind(&positions)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_position = HashMap::with_capacity(rows.len());
    for row in &rows {
        let position: i64 = row.try_get(0)?;
        by_position.insert(position, row);
    }
    let mut entries = Vec::with_capacity(events.len());
    for (offset, position) in positions.iter().enumerate() {
        let row = by_position.get(position).ok_or_else(|| {
            ProjectionError::Event(format!(
                "the event at position {position} is gone from the log"
            ))
        })?;
        let hash: Vec<u8> = row.try_get(4)?;
        let leaf_index = next + i64::try_from(offset).unwrap_or(i64::MAX);
        entries.push(Entry {
            leaf_index: u64::try_from(leaf_index).unwrap_or(0),
            stream_type: row.try_get(1)?,
            stream_id: row.try_get(2)?,
            sequence: row.try_get(3)?,
            chain_hash: hash.try_into().map_err(|_| {
                ProjectionError::Event(format!(
                    "the event at position {position} has a chain hash that is not 32 bytes"
                ))
            })?,
        });
    }
    let sql = format!(
        "INSERT INTO {table} (leaf_index, position, stream_type, stream_id, sequence, chain_hash, leaf_hash) \
         SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], \
                              $6::bytea[], $7::bytea[])"
    );
    sqlx::query(&sql)
        .bind(
            entries
                .iter()
                .map(|e| i64::try_from(e.leaf_index).unwrap_or(i64::MAX))
                .collect::<Vec<_>>(),
        )
        .bind(&positions)
        .bind(
            entries
                .iter()
                .map(|e| e.stream_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries
                .iter()
                .map(|e| e.stream_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(entries.iter().map(|e| e.sequence).collect::<Vec<_>>())
        .bind(
            entries
                .iter()
                .map(|e| e.chain_hash.to_vec())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries
                .iter()
                .map(|e| e.leaf_hash().to_vec())
                .collect::<Vec<_>>(),
        )
        .execute(&mut *conn)
        .await?;
    Ok(())
}
