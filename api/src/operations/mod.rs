//! The operator's tools, each a command of the `casetrail` binary run
//! against the database directly: the demo seed (`seed/`), the import of
//! historical call logs (`import/`), the statistics export (`export.rs`) and
//! the master-key rotation (`keys.rs`) and the lookup key's (`lookup_key.rs`). Each declares its flags beside the
//! code that runs it, and records only through `commands` (never SQL), so
//! an imported or seeded call is an ordinary event.
//!
//! Layering: operations use `commands`, `settings` and the lower crates; no
//! operation imports `graphql`, `http` or `cli` (the command tree imports them).

pub mod export;
pub mod import;
pub mod keys;
pub mod lookup_key;
pub mod seed;

mod error;

pub use error::OperatorError;

/// A pool as the server's role on an existing, migrated casetrail database,
/// for commands that never create one: a missing or unmigrated database is
/// named as such, not reported as a failed query.
pub async fn existing_app_pool(
    url: &str,
    max_connections: u32,
) -> Result<sqlx::PgPool, OperatorError> {
    let pool = store::db::app_pool(url, max_connections).await?;
    store::db::check_migrated(&pool, url).await?;
    Ok(pool)
}
