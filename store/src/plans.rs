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
//! time (a correlated sub-select, or a LATERAL one with a LIMIT so that the
//! planner cannot flatten it into a join), which no plan can turn into a
//! scan of the table, and `tests/tests/group_commit/plans.rs` checks the generic plan of
//! every one on an empty, never-analyzed database.

/// Tables whose size grows with the log (or with the persons recorded):
/// a statement listed by [`key_lookups`] never scans one of them whole.
pub const GROWING: &[&str] = &[
    "events",
    "entity_ids",
    "data_keys",
    "snapshots",
    "person_lookup",
];

/// A statement that looks rows up by key, by name.
pub struct KeyLookup {
    pub name: String,
    pub sql: &'static str,
}

/// Every statement of the store that looks rows of [`GROWING`] tables up by key.
pub fn key_lookups() -> Vec<KeyLookup> {
    let mut all: Vec<KeyLookup> = crate::group_statement::variants()
        .enumerate()
        .map(|(i, sql)| KeyLookup {
            name: format!("group commit (variant {i})"),
            sql,
        })
        .collect();
    let named = [
        ("cold load", crate::cold_load::SQL),
        ("older snapshot", crate::snapshots::BELOW),
        ("data keys", crate::vault::KEYS_OF),
        ("person lookup", crate::lookup::FIND),
    ];
    all.extend(named.into_iter().map(|(name, sql)| KeyLookup {
        name: name.into(),
        sql,
    }));
    all
}
