//! casetrail's event store on PostgreSQL.
//!
//! - [`log`]: the append-only `events` table, its hash chain, stream reads.
//! - [`aggregates`]: load an aggregate (snapshot + later events, upcast),
//!   decide a command; `commit` commits a unit of work across streams
//!   atomically; `state_cache` keeps committed states (checked on every
//!   load), `group_commit` writes concurrent units in one statement.
//! - [`wake`]: after a commit, this process's readers of the log are woken
//!   at once and other processes' by one coalesced NOTIFY.
//! - [`receipts`]: idempotency receipts, written with the events.
//! - [`identity`]: every introduced id unique within its kind, store-wide,
//!   recorded with the events.
//! - [`jcs`]: RFC 8785 canonical JSON, which chain version 2 hashes.
//! - [`checkpoint`]: signed statements of every stream's head, so a
//!   rewrite by someone with full database access is still detected.
//! - [`transparency`]: the RFC 9162 Merkle log over every event, signed
//!   tree heads, proofs and offline-verifiable evidence bundles.
//! - [`snapshots`]: verified, insert-only snapshots (chain hash + MAC).
//! - [`vault`]: personal data sealed per subject; erasure destroys the key.
//! - [`plans`]: why key lookups are never joins the planner could turn
//!   into scans of the log, and the list the plan test checks.
//! - [`db`]: database creation, migrations, the server's role;
//!   [`hosts`]: multi-host URLs, following the primary after a failover.

pub mod access_log;
pub mod aggregates;
pub mod checkpoint;
mod cold_load;
mod commit;
pub mod db;
pub mod error;
mod group_commit;
mod group_statement;
pub mod hash;
pub mod hosts;
pub mod identity;
pub mod integrity;
pub mod jcs;
pub mod log;
pub mod lookup;
pub mod metadata;
pub mod plans;
pub mod receipts;
pub mod snapshots;
pub mod standby;
mod state_cache;
pub mod transaction;
pub mod transparency;
mod unit;
pub mod vault;
pub mod wake;

pub use aggregates::{decide, EventStore, Loaded, UnitOfWork};
pub use error::StoreError;
pub use metadata::{Actor, CommandContext, EventMetadata};
