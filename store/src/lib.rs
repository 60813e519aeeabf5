//! casetrail's event store on PostgreSQL.
//!
//! - [`log`]: the append-only `events` table, its hash chain, stream reads.
//! - [`aggregates`]: load an aggregate (snapshot + later events, upcast),
//!   decide a command, commit a unit of work across streams atomically.
//! - [`receipts`]: idempotency receipts, written with the events.
//! - [`identity`]: every introduced id unique within its kind, store-wide,
//!   recorded with the events.
//! - [`checkpoint`]: signed statements of every stream's head, so a
//!   rewrite by someone with full database access is still detected.
//! - [`transparency`]: the RFC 9162 Merkle log over every event, signed
//!   tree heads, proofs and offline-verifiable evidence bundles.
//! - [`snapshots`]: verified, insert-only snapshots (chain hash + MAC).
//! - [`vault`]: personal data sealed per subject; erasure destroys the key.
//! - [`db`]: database creation, migrations, the server's role.

pub mod access_log;
pub mod aggregates;
pub mod checkpoint;
pub mod db;
pub mod error;
pub mod hash;
pub mod identity;
pub mod integrity;
pub mod log;
pub mod lookup;
pub mod metadata;
pub mod receipts;
pub mod snapshots;
pub mod transparency;
pub mod vault;

pub use aggregates::{decide, EventStore, Loaded, UnitOfWork};
pub use error::StoreError;
pub use metadata::{Actor, CommandContext, EventMetadata};
