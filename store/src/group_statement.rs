//! The one statement that writes a commit group (`group_commit`): it checks
//! every head the group's units follow and inserts their events, introduced
//! ids, receipts and snapshots only if all hold. It runs in autocommit, so
//! it is its own transaction. It does not notify: a NOTIFY in it would hold
//! PostgreSQL's global NOTIFY lock through the flush of its commit
//! (`wake.rs` notifies once the group committed).
//!
//! The ids, receipts and snapshots parts are in the statement only when the
//! group has rows for them: most groups have no receipt and no snapshot,
//! and a database migrated before those tables took their present shape
//! (the upgrade tests write through the store at older migrations) must not
//! be asked about columns it does not have yet. So there are eight variants
//! of the text, each built once and kept (sqlx prepares each once per
//! connection).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Postgres, Row};

use crate::identity::EntityId;
use crate::log::{Head, NewEvent};
use crate::receipts::Receipt;

/// A snapshot row, sealed.
pub(crate) struct SnapshotRow {
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub last_sequence: i64,
    pub current_snapshot: i64,
    pub payload: serde_json::Value,
    pub last_hash: Vec<u8>,
    pub master_key_id: Vec<u8>,
    pub mac: Vec<u8>,
}

/// One unit of work, hashed and ready to write.
pub(crate) struct Prepared {
    pub events: Vec<NewEvent>,
    /// The events' metadata as stored (and hashed).
    pub metadata: Vec<serde_json::Value>,
    pub hashes: Vec<[u8; 32]>,
    pub recorded_at: DateTime<Utc>,
    /// (stream type, stream id, sequence, hash): events that must be stored
    /// exactly so for this unit to follow its streams' heads.
    pub heads: Vec<Head>,
    pub ids: Vec<EntityId>,
    pub receipt: Option<Receipt>,
    pub snapshots: Vec<SnapshotRow>,
}

/// Which optional parts a group needs.
#[derive(Clone, Copy)]
struct Parts {
    ids: bool,
    receipts: bool,
    snapshots: bool,
}

impl Parts {
    fn of(units: &[&Prepared]) -> Self {
        Self {
            ids: units.iter().any(|u| !u.ids.is_empty()),
            receipts: units.iter().any(|u| u.receipt.is_some()),
            snapshots: units.iter().any(|u| !u.snapshots.is_empty()),
        }
    }

    fn index(self) -> usize {
        usize::from(self.ids) | usize::from(self.receipts) << 1 | usize::from(self.snapshots) << 2
    }

    fn from_index(i: usize) -> Self {
        Self {
            ids: i & 1 != 0,
            receipts: i & 2 != 0,
            snapshots: i & 4 != 0,
        }
    }
}

/// `$first, ..` for `types`, as `UNNEST`'s arguments.
///
/// Each array is a scalar sub-select, `(SELECT $n::type[])`, so that the
/// planner guesses its length (ten) whether it plans for these values or
/// for any: with the bare parameter, a plan for the values saw their real
/// length, priced small groups below the generic plan, and PostgreSQL
/// planned the statement afresh on about half of its executions (about
/// 150 µs each, a third of its time; docs/PERFORMANCE.md). Now the generic
/// plan, the same plan, is kept after the first five.
fn unnest(next: &mut usize, types: &[&str]) -> String {
    let args: Vec<String> = types
        .iter()
        .map(|t| {
            *next += 1;
            format!("(SELECT ${}::{t}[])", *next)
        })
        .collect();
    format!("UNNEST({})", args.join(", "))
}

/// `heads` is true when every listed event is stored with the listed hash;
/// every write is conditional on it. Each head is looked up by its key on
/// its own (a correlated sub-select, never a join the planner may turn into
/// a scan of the log: `crate::plans`). The statement is one transaction, so
/// the inserts' unique keys (stream sequence, receipt, entity id) still
/// refuse a concurrent twin.
fn build(parts: Parts) -> String {
    let mut next = 0;
    let heads = unnest(&mut next, &["text", "text", "bigint", "bytea"]);
    let events = unnest(
        &mut next,
        &[
            "text",
            "text",
            "bigint",
            "text",
            "text",
            "jsonb",
            "jsonb",
            "timestamptz",
            "bytea",
        ],
    );
    // The formula `log::chain` hashed these events with (migrations/0025).
    let version = crate::hash::ChainVersion::CURRENT.number();
    let mut sql = format!(
        "WITH heads AS ( \
           SELECT coalesce(bool_and( \
             (SELECT e.hash FROM events e \
              WHERE e.aggregate_type = x.t AND e.aggregate_id = x.i AND e.sequence = x.s) \
             IS NOT DISTINCT FROM x.h), true) AS ok \
           FROM {heads} AS x(t, i, s, h)), \
         ev AS ( \
           INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                               payload, metadata, recorded_at, hash, chain_version) \
           SELECT *, {version} FROM {events} WHERE (SELECT ok FROM heads) \
           RETURNING position)"
    );
    if parts.ids {
        let ids = unnest(&mut next, &["text", "uuid", "text", "text"]);
        sql.push_str(&format!(
            ", ids AS ( \
               INSERT INTO entity_ids (kind, id, stream_type, stream_id) \
               SELECT * FROM {ids} WHERE (SELECT ok FROM heads))"
        ));
    }
    if parts.receipts {
        let receipts = unnest(
            &mut next,
            &[
                "text", "text", "text", "bytea", "text", "text", "bigint", "uuid",
            ],
        );
        sql.push_str(&format!(
            ", rc AS ( \
               INSERT INTO command_receipts (caller_subject, caller_agency, idempotency_key, \
                   request_hash, stream_type, stream_id, last_sequence, result_id) \
               SELECT * FROM {receipts} WHERE (SELECT ok FROM heads))"
        ));
    }
    if parts.snapshots {
        let snapshots = unnest(
            &mut next,
            &[
                "text", "text", "bigint", "bigint", "jsonb", "bytea", "bytea", "bytea",
            ],
        );
        sql.push_str(&format!(
            ", sn AS ( \
               INSERT INTO snapshots (aggregate_type, aggregate_id, last_sequence, \
                   current_snapshot, payload, last_hash, master_key_id, mac) \
               SELECT * FROM {snapshots} WHERE (SELECT ok FROM heads) \
               ON CONFLICT DO NOTHING)"
        ));
    }
    sql.push_str(" SELECT h.ok, ARRAY(SELECT position FROM ev ORDER BY position) FROM heads h");
    sql
}

/// Every variant of the statement (for `crate::plans`).
pub(crate) fn variants() -> impl Iterator<Item = &'static str> {
    (0..8).map(|i| statement(Parts::from_index(i)))
}

fn statement(parts: Parts) -> &'static str {
    static VARIANTS: OnceLock<[String; 8]> = OnceLock::new();
    let variants = VARIANTS.get_or_init(|| std::array::from_fn(|i| build(Parts::from_index(i))));
    &variants[parts.index()]
}

type Bound<'q> = Query<'q, Postgres, PgArguments>;

fn bind_optional<'q>(mut q: Bound<'q>, parts: Parts, units: &[&'q Prepared]) -> Bound<'q> {
    if parts.ids {
        let ids = || units.iter().flat_map(|u| u.ids.iter());
        q = q
            .bind(ids().map(|e| e.kind).collect::<Vec<_>>())
            .bind(ids().map(|e| e.id).collect::<Vec<_>>())
            .bind(ids().map(|e| e.stream_type.clone()).collect::<Vec<_>>())
            .bind(ids().map(|e| e.stream_id.clone()).collect::<Vec<_>>());
    }
    if parts.receipts {
        let receipts = || units.iter().filter_map(|u| u.receipt.as_ref());
        q = q
            .bind(
                receipts()
                    .map(|r| r.caller.subject.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                receipts()
                    .map(|r| r.caller.agency.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(receipts().map(|r| r.key.clone()).collect::<Vec<_>>())
            .bind(
                receipts()
                    .map(|r| r.request_hash.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                receipts()
                    .map(|r| r.stream_type.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(receipts().map(|r| r.stream_id.clone()).collect::<Vec<_>>())
            .bind(receipts().map(|r| r.last_sequence).collect::<Vec<_>>())
            .bind(receipts().map(|r| r.result_id).collect::<Vec<_>>());
    }
    if parts.snapshots {
        let snapshots = || units.iter().flat_map(|u| u.snapshots.iter());
        q = q
            .bind(
                snapshots()
                    .map(|s| s.aggregate_type.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(
                snapshots()
                    .map(|s| s.aggregate_id.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(snapshots().map(|s| s.last_sequence).collect::<Vec<_>>())
            .bind(snapshots().map(|s| s.current_snapshot).collect::<Vec<_>>())
            .bind(snapshots().map(|s| &s.payload).collect::<Vec<_>>())
            .bind(snapshots().map(|s| s.last_hash.clone()).collect::<Vec<_>>())
            .bind(
                snapshots()
                    .map(|s| s.master_key_id.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(snapshots().map(|s| s.mac.clone()).collect::<Vec<_>>());
    }
    q
}

/// Writes the units in one statement if every head they follow holds.
/// `None`: some head did not hold, and nothing was written.
pub(crate) async fn write<'e, E>(
    executor: E,
    units: &[&Prepared],
) -> Result<Option<Vec<i64>>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let parts = Parts::of(units);
    let events = || units.iter().flat_map(|u| u.events.iter());
    let text = |f: fn(&NewEvent) -> &str| events().map(|e| f(e).to_string()).collect::<Vec<_>>();
    let heads = || units.iter().flat_map(|u| u.heads.iter());
    let query = sqlx::query(statement(parts))
        .bind(heads().map(|h| h.0.clone()).collect::<Vec<_>>())
        .bind(heads().map(|h| h.1.clone()).collect::<Vec<_>>())
        .bind(heads().map(|h| h.2).collect::<Vec<_>>())
        .bind(heads().map(|h| h.3.to_vec()).collect::<Vec<_>>())
        .bind(text(|e| &e.aggregate_type))
        .bind(text(|e| &e.aggregate_id))
        .bind(events().map(|e| e.sequence).collect::<Vec<_>>())
        .bind(text(|e| &e.event_type))
        .bind(text(|e| &e.event_version))
        .bind(events().map(|e| &e.payload).collect::<Vec<_>>())
        .bind(
            units
                .iter()
                .flat_map(|u| u.metadata.iter())
                .collect::<Vec<_>>(),
        )
        .bind(
            units
                .iter()
                .flat_map(|u| u.events.iter().map(|_| u.recorded_at))
                .collect::<Vec<_>>(),
        )
        .bind(
            units
                .iter()
                .flat_map(|u| u.hashes.iter().map(|h| h.to_vec()))
                .collect::<Vec<_>>(),
        );
    let row = bind_optional(query, parts, units)
        .fetch_one(executor)
        .await?;
    let held: bool = row.try_get(0)?;
    let positions: Vec<i64> = row.try_get(1)?;
    Ok(held.then_some(positions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_numbers_its_parameters_without_a_gap() {
        for i in 0..8 {
            let parts = Parts::from_index(i);
            assert_eq!(parts.index(), i);
            let sql = statement(parts);
            let expected = 13
                + 4 * usize::from(parts.ids)
                + 8 * usize::from(parts.receipts)
                + 8 * usize::from(parts.snapshots);
            for n in 1..=expected {
                assert!(sql.contains(&format!("${n}::")), "variant {i} lacks ${n}");
            }
            assert!(
                !sql.contains(&format!("${}::", expected + 1)),
                "variant {i}"
            );
            assert_eq!(sql.contains("entity_ids"), parts.ids);
            assert_eq!(sql.contains("command_receipts"), parts.receipts);
            assert_eq!(sql.contains("INSERT INTO snapshots"), parts.snapshots);
        }
    }
}
