//! Statements that look rows up by key in tables that grow with the log,
//! and why each is written as a lookup per key rather than a join.
//!
//! sqlx prepares a statement once per connection, and PostgreSQL keeps a
//! prepared statement's generic plan until something invalidates it (an
//! ANALYZE of a table it reads, a schema change). A plan made while a table
//! was empty or never analyzed (a fresh deployment, or a database whose
//! autovacuum is off) prices a scan of the whole table below a few index
//! lookups, and joined a list of keys to it by hashing every row. Kept,
//! that plan made every command pay for the whole log: the hot case's
//! group commit grew from 0.3 ms to 4 ms over 6,000 commands
//! (docs/PERFORMANCE.md). So each of these looks its rows up one key at a
//! time (a correlated sub-select, or a LATERAL one with a LIMIT or OFFSET
//! so that the planner cannot flatten it into a join), which no plan can
//! turn into a scan of the table. An `= ANY($n)` over such a table is no
//! better: a plan made on an empty table scans it, and on a session with
//! `enable_sort` off (the projectors') the plan that avoids sorting walks
//! every event of the type. So each of these is a lookup per key, and
//! `tests/tests/group_commit/plans.rs` checks the generic plan of every one
//! (and of `projections::plans`) on an empty, never-analyzed database,
//! with sorting on and off.

/// A statement that looks rows up by key, by name.
pub struct KeyLookup {
    pub name: String,
    pub sql: &'static str,
    /// Whether it runs on a session that sorts (the pool's), or on a
    /// projector's, whose `enable_sort` is off: there a plan that needs a
    /// sort is priced "disabled", far above `jit_above_cost`, and PostgreSQL
    /// JIT-compiles it at every execution.
    pub sorts: bool,
}

/// Every statement of the store that looks rows of a growing table
/// (`events`, `entity_ids`, `data_keys`, `snapshots`, `person_lookup`) up by key.
pub fn key_lookups() -> Vec<KeyLookup> {
    let mut all: Vec<KeyLookup> = crate::group_statement::variants()
        .enumerate()
        .map(|(i, sql)| KeyLookup {
            name: format!("group commit (variant {i})"),
            sql,
            sorts: true,
        })
        .collect();
    let named = [
        ("cold load", crate::cold_load::SQL),
        ("older snapshot", crate::snapshots::BELOW),
        ("data keys", crate::vault::KEYS_OF),
        ("person lookup", crate::lookup::FIND),
        ("ids taken", crate::identity::TAKEN),
        ("erased persons", crate::vault::ERASED),
    ];
    all.extend(named.into_iter().map(|(name, sql)| KeyLookup {
        name: name.into(),
        sql,
        sorts: true,
    }));
    all
}
