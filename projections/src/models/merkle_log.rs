//! `merkle_leaves`: the transparency log's leaves (store::transparency,
//! docs/AUDIT.md), one per event of every stream, indexed in the order the
//! feed applies them. That order is commit-safe and total, so the leaves
//! only ever append, and a rebuild lays them out at the same indexes.

use sqlx::PgConnection;
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
    // The feed read each event's coordinates and chain hash (`Streams::hashes`).
    let positions: Vec<i64> = events.iter().map(|e| e.at.position).collect();
    let mut entries = Vec::with_capacity(events.len());
    for (offset, event) in events.iter().enumerate() {
        let leaf_index = next + i64::try_from(offset).unwrap_or(i64::MAX);
        entries.push(Entry {
            leaf_index: u64::try_from(leaf_index).unwrap_or(0),
            stream_type: event.stream_type.clone(),
            stream_id: event.stream_id.clone(),
            sequence: event.sequence,
            chain_hash: event.hash.as_slice().try_into().map_err(|_| {
                ProjectionError::Event(format!(
                    "the event at position {} has a chain hash that is not 32 bytes",
                    event.at.position
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
