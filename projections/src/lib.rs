//! casetrail's read side: the projector runtime and every read model.
//!
//! - [`spawn`] runs every projection in this process while it holds the
//!   projection's PostgreSQL advisory lock; other processes stand by and
//!   take over when it dies. Each projection reads the global log in
//!   commit-safe order (module `feed`) and applies each batch with its
//!   checkpoint in one transaction (module `checkpoint`): no event skipped,
//!   none applied twice.
//! - [`status`] and [`wait_until_caught_up`] report where projections stand.
//! - [`rebuild`] rebuilds read models from zero into fresh tables and swaps
//!   them in atomically (as the database owner).
//! - [`queries`] reads the models: the contract's lists and statistics.
//! - [`LiveLog`] tails the log for subscriptions: one reader per process,
//!   in the same commit-safe order, fanned out through a bounded channel.
//!
//! Tables are created by `migrations/0003_read_models.sql`. Events are
//! decoded through the upcasters of the [`store::EventStore`] handed to
//! [`spawn`] and [`rebuild`]: give them the same one the server writes with.

mod checkpoint;
pub mod disclosure;
mod error;
mod feed;
mod live;
mod models;
pub mod plans;
mod projection;
pub mod queries;
mod rebuild;
mod runtime;
mod settings;
mod shadow;
mod status;
mod target;
mod wake;

use std::time::Duration;

pub use error::ProjectionError;
pub use live::{CatchUpCounts, Cursor, LiveError, LiveEvent, LiveFact, LiveLog, LiveSettings};
pub use projection::PROJECTIONS;
pub use rebuild::{rebuild, RebuildSummary};
pub use runtime::{spawn, ProjectionRuntime};
pub use settings::ProjectionSettings;
pub use status::{status, wait_until_caught_up, ProjectionStatus};

/// The futures the server spawns must be `Send` (checked at compile time).
#[allow(dead_code)]
fn spawnable(
    owner_url: &str,
    store: &store::EventStore,
    settings: &ProjectionSettings,
    pool: &sqlx::PgPool,
) {
    fn send<T: Send>(_: &T) {}
    send(&rebuild(owner_url, store, settings, None));
    send(&status(pool));
    send(&wait_until_caught_up(pool, Duration::from_secs(1)));
    send(&queries::statistics(
        pool,
        chrono::NaiveDate::MIN,
        chrono::NaiveDate::MIN,
        None,
        1,
    ));
    send(&queries::calls(
        pool,
        &queries::CallFilter::default(),
        1,
        None,
    ));
    send(&runtime::spawn(pool.clone(), store.clone(), settings.clone()).shutdown());
}
