//! Where a subscriber's catch-up reads: the hot standby for the bulk of an
//! old cursor's backlog, when the server has one, and the primary for the
//! last stretch (docs/SCALING.md, "Subscriptions").
//!
//! Reading the standby is safe in the feed's order because its snapshot
//! follows the same rule as the primary's: on a standby,
//! `pg_snapshot_xmin(pg_current_snapshot())` is the oldest transaction the
//! replayed WAL shows still running (PostgreSQL tracks every transaction id
//! it has seen in the WAL, and every lower id, as running until its commit
//! or abort is replayed), so every transaction below it has ended there, for
//! good. A cursor reached on the standby therefore has every event at or
//! before it in the log already: the primary, read after that cursor, can
//! only add later ones, so switching never leaves a gap, and reading after
//! the cursor never repeats one. The standby only lags; its readable log is
//! the primary's of a moment ago.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::PgPool;
use store::standby::StandbyHealth;

/// Which server a catch-up read went to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source {
    Replica,
    Primary,
}

/// Events subscribers read from the log while catching up, by the server
/// they were read from (events of the live tail are not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CatchUpCounts {
    pub replica: u64,
    pub primary: u64,
}

/// The standby, if any, with the health every read of it shares (a failed
/// read rests it for lists and catch-ups alike), and the counts.
pub(super) struct CatchUp {
    replica: Option<Arc<StandbyHealth>>,
    from_replica: AtomicU64,
    from_primary: AtomicU64,
}

impl CatchUp {
    pub fn new(replica: Option<Arc<StandbyHealth>>) -> Self {
        Self {
            replica,
            from_replica: AtomicU64::new(0),
            from_primary: AtomicU64::new(0),
        }
    }

    /// Where a catch-up from a client's cursor starts: the standby, unless
    /// there is none, it failed a moment ago, or it is too far behind.
    pub fn first_source(&self) -> Source {
        match &self.replica {
            Some(health) if health.usable().is_ok() => Source::Replica,
            _ => Source::Primary,
        }
    }

    /// The pool to read `source` from (the primary's when there is no standby).
    pub fn pool<'a>(&'a self, primary: &'a PgPool, source: Source) -> &'a PgPool {
        match (source, &self.replica) {
            (Source::Replica, Some(health)) => health.pool(),
            _ => primary,
        }
    }

    /// A read of the standby failed: the next reads go to the primary for a while.
    pub fn replica_failed(&self) {
        if let Some(health) = &self.replica {
            health.failed();
        }
    }

    /// A read of the standby answered (ends a rest, after a probe).
    pub fn replica_answered(&self) {
        if let Some(health) = &self.replica {
            health.answered();
        }
    }

    pub fn count(&self, source: Source, events: usize) {
        let counter = match source {
            Source::Replica => &self.from_replica,
            Source::Primary => &self.from_primary,
        };
        counter.fetch_add(events as u64, Ordering::Relaxed);
    }

    pub fn counts(&self) -> CatchUpCounts {
        CatchUpCounts {
            replica: self.from_replica.load(Ordering::Relaxed),
            primary: self.from_primary.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_standby_is_read_first_unless_there_is_none_or_it_just_failed() {
        assert_eq!(CatchUp::new(None).first_source(), Source::Primary);
        // Never connected: only which pool is chosen matters here.
        let replica = PgPool::connect_lazy("postgres://standby.invalid/casetrail").expect("a URL");
        let health = StandbyHealth::new(replica, std::time::Duration::from_secs(5));
        let catch_up = CatchUp::new(Some(health));
        assert_eq!(catch_up.first_source(), Source::Replica);
        catch_up.replica_failed();
        assert_eq!(catch_up.first_source(), Source::Primary);
    }

    #[test]
    fn events_are_counted_by_source() {
        let catch_up = CatchUp::new(None);
        catch_up.count(Source::Replica, 40);
        catch_up.count(Source::Primary, 5);
        catch_up.count(Source::Replica, 2);
        assert_eq!(
            catch_up.counts(),
            CatchUpCounts {
                replica: 42,
                primary: 5
            }
        );
    }
}
