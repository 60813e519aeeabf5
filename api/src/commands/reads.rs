//! Where a request reads (docs/SCALING.md, "Read replicas"): the primary,
//! or a hot standby given with `--read-database-url`. Commands and
//! projections always use the primary; lists, statistics and histories may
//! read the standby, which PostgreSQL's streaming replication keeps a few
//! milliseconds behind. A client that must see its own write passes the
//! position its mutation committed (`extensions.casetrail.minPosition`):
//! the request waits briefly until the standby has replayed that event and
//! every projection there has applied it, or else reads the primary (once
//! its own projections have applied it, or a short while has passed).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use store::standby::{FallbackCounts, StandbyHealth};
use store::EventStore;

/// How long a request with `minPosition` waits for the standby before it
/// reads the primary instead: replay lag under normal load is milliseconds.
pub const REPLICA_WAIT: Duration = Duration::from_millis(500);
/// How long it then waits for the primary's projections (milliseconds
/// behind the log normally; a stopped projection is reported by /readyz).
pub const PRIMARY_WAIT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(5);

/// Where one request reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFrom {
    Primary,
    Replica,
}

impl ReadFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadFrom::Primary => "primary",
            ReadFrom::Replica => "replica",
        }
    }
}

/// The primary's store and the standby's, if the server has one, with the
/// standby's health (shared with subscriptions' catch-ups): a standby that
/// failed a moment ago, or is further behind than the lag bound, is not read.
pub struct Reads {
    primary: EventStore,
    replica: Option<(EventStore, Arc<StandbyHealth>)>,
    from_primary: AtomicU64,
    from_replica: AtomicU64,
}

/// Read requests by where they read, and standby fallbacks by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadCounts {
    pub primary: u64,
    pub replica: u64,
    pub fallbacks: FallbackCounts,
}

impl Reads {
    pub fn new(primary: EventStore, replica: Option<(EventStore, Arc<StandbyHealth>)>) -> Self {
        Self {
            primary,
            replica,
            from_primary: AtomicU64::new(0),
            from_replica: AtomicU64::new(0),
        }
    }

    /// Counts a request executed against `from` (a retry counts again).
    pub fn count(&self, from: ReadFrom) {
        match from {
            ReadFrom::Primary => &self.from_primary,
            ReadFrom::Replica => &self.from_replica,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> ReadCounts {
        ReadCounts {
            primary: self.from_primary.load(Ordering::Relaxed),
            replica: self.from_replica.load(Ordering::Relaxed),
            fallbacks: self
                .replica
                .as_ref()
                .map(|(_, health)| health.fallbacks())
                .unwrap_or_default(),
        }
    }

    /// A request read the standby and failed where the primary answered:
    /// rest the standby (`StandbyHealth::failed`).
    pub fn replica_failed(&self) {
        if let Some((_, health)) = &self.replica {
            health.failed();
        }
    }

    /// A request read the standby without failing.
    pub fn replica_answered(&self) {
        if let Some((_, health)) = &self.replica {
            health.answered();
        }
    }

    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// Where a request that must see `min_position` (if any) reads: the
    /// standby once it has applied it (waiting up to [`REPLICA_WAIT`]),
    /// else the primary once its projections have (up to [`PRIMARY_WAIT`];
    /// after that the primary as it is).
    pub async fn choose(&self, min_position: Option<i64>) -> ReadFrom {
        let replica = self
            .replica
            .as_ref()
            .filter(|(_, health)| health.usable().is_ok());
        let Some(position) = min_position else {
            return if replica.is_some() {
                ReadFrom::Replica
            } else {
                ReadFrom::Primary
            };
        };
        if let Some((replica, health)) = replica {
            match wait_until_applied(replica, position, REPLICA_WAIT).await {
                Ok(true) => {
                    health.answered();
                    return ReadFrom::Replica;
                }
                Ok(false) => {
                    health.answered();
                    tracing::info!(position, "the standby is behind; reading the primary");
                }
                Err(()) => health.failed(),
            }
        }
        if wait_until_applied(&self.primary, position, PRIMARY_WAIT).await != Ok(true) {
            tracing::info!(position, "projections are behind; reading them as they are");
        }
        ReadFrom::Primary
    }

    /// The store to read from: the standby's when chosen, else the primary's.
    pub fn store<'a>(&'a self, primary: &'a EventStore, from: ReadFrom) -> &'a EventStore {
        match (&self.replica, from) {
            (Some((replica, _)), ReadFrom::Replica) => replica,
            _ => primary,
        }
    }
}

/// Polls [`applied`] until it holds or `patience` is over; `Err` when the
/// database cannot be asked.
async fn wait_until_applied(
    store: &EventStore,
    position: i64,
    patience: Duration,
) -> Result<bool, ()> {
    let started = Instant::now();
    loop {
        match applied(store, position).await {
            Ok(true) => return Ok(true),
            Ok(false) if started.elapsed() < patience => tokio::time::sleep(POLL).await,
            Ok(false) => return Ok(false),
            Err(err) => {
                tracing::warn!(error = %err, "cannot tell how far the database has applied the log");
                return Err(());
            }
        }
    }
}

/// Whether the database holds the event at `position` and every projection
/// there has applied it (checkpoints are in the projectors' commit-safe
/// `(transaction_id, position)` order). A position beyond the log is not.
async fn applied(store: &EventStore, position: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM events WHERE position = $1) \
            AND NOT EXISTS (SELECT 1 FROM projection_checkpoints c, events e \
                            WHERE e.position = $1 \
                              AND (c.transaction_id, c.position) < (e.transaction_id, e.position))",
    )
    .bind(position)
    .fetch_one(store.pool())
    .await
}
