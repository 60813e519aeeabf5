//! Whether the hot standby (`--read-database-url`) may be read now: one
//! answer shared by every read that could go there (lists, statistics,
//! histories, subscriptions' catch-ups), so that a dead or lagging standby
//! never fails or stalls reads (docs/SCALING.md, "When the standby fails").
//!
//! Down: a read or connection of the standby that fails rests it for
//! [`REST_AFTER_FAILURE`]; meanwhile reads go to the primary without
//! touching it. After the window, the next read of it (the watch below, or
//! a request) is the probe: others keep to the primary until it answers.
//!
//! Lagging: a watch task compares, every [`WATCH_EVERY`], the primary's WAL
//! position with the standby's replayed one. It remembers when it first saw
//! each primary position; the standby's lag is how long ago the oldest
//! position it has not replayed yet was seen on the primary. This is zero
//! whenever the standby has replayed everything, however long the primary
//! has been idle (unlike `now() - pg_last_xact_replay_timestamp()`, which
//! grows while nothing is written), and it grows as soon as replay stops or
//! the stream is cut, since the primary's position moves on without it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use sqlx::PgPool;

/// How long reads pass the standby over after it failed: each failed read
/// may have waited for the standby pool's acquire timeout, which nobody
/// else should wait for again.
pub const REST_AFTER_FAILURE: Duration = Duration::from_secs(30);
/// How often the watch measures the standby's lag: cheap (two one-row
/// queries), and no request pays a round trip for it.
pub const WATCH_EVERY: Duration = Duration::from_millis(250);
/// Primary positions remembered while the standby is behind (older ones
/// are merged away: the oldest is kept, so lag is never underestimated).
const MAX_SAMPLES: usize = 1024;

/// Why a read that could have gone to the standby went to the primary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// It failed a moment ago (down, restarting, unreachable).
    Down,
    /// Its replay is further behind than the lag bound.
    Lagging,
}

/// Reads sent to the primary instead of the standby, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FallbackCounts {
    pub down: u64,
    pub lagging: u64,
}

/// The standby's pool and what is known of its health.
pub struct StandbyHealth {
    pool: PgPool,
    max_lag: Duration,
    /// Until when the standby is passed over after a failure.
    resting_until: Mutex<Option<Instant>>,
    lagging: AtomicBool,
    down: AtomicU64,
    behind: AtomicU64,
}

impl StandbyHealth {
    pub fn new(pool: PgPool, max_lag: Duration) -> Arc<Self> {
        Arc::new(Self {
            pool,
            max_lag,
            resting_until: Mutex::new(None),
            lagging: AtomicBool::new(false),
            down: AtomicU64::new(0),
            behind: AtomicU64::new(0),
        })
    }

    /// Starts the lag watch, comparing with the `primary`; it stops when
    /// the last `Arc` of the health is dropped. Inside a Tokio runtime.
    pub fn watch(self: &Arc<Self>, primary: PgPool) {
        let health = Arc::downgrade(self);
        tokio::spawn(watch(health, primary));
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Whether a read may go to the standby now; `Err` says why not, and
    /// is counted. After a rest, the caller that gets `Ok` is the probe.
    pub fn usable(&self) -> Result<(), Fallback> {
        let reason = if !self.take_probe_unless_resting() {
            Some(Fallback::Down)
        } else if self.lagging.load(Ordering::Relaxed) {
            Some(Fallback::Lagging)
        } else {
            None
        };
        match reason {
            None => Ok(()),
            Some(reason) => {
                let counter = match reason {
                    Fallback::Down => &self.down,
                    Fallback::Lagging => &self.behind,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                Err(reason)
            }
        }
    }

    /// False while resting; once the rest is over, true for one caller,
    /// which probes, while the others rest another window or until it answers.
    fn take_probe_unless_resting(&self) -> bool {
        let Ok(mut until) = self.resting_until.lock() else {
            return true;
        };
        match *until {
            None => true,
            Some(t) if Instant::now() < t => false,
            Some(_) => {
                *until = Some(Instant::now() + REST_AFTER_FAILURE);
                true
            }
        }
    }

    /// A read or connection of the standby failed: rest it.
    pub fn failed(&self) {
        if let Ok(mut until) = self.resting_until.lock() {
            if until.is_none() {
                tracing::warn!(
                    rest_seconds = REST_AFTER_FAILURE.as_secs(),
                    "the standby does not answer; reads go to the primary"
                );
            }
            *until = Some(Instant::now() + REST_AFTER_FAILURE);
        }
    }

    /// A read of the standby answered: it is no longer resting.
    pub fn answered(&self) {
        if let Ok(mut until) = self.resting_until.lock() {
            if until.take().is_some() {
                tracing::warn!("the standby answers again; reads may go to it");
            }
        }
    }

    pub fn is_lagging(&self) -> bool {
        self.lagging.load(Ordering::Relaxed)
    }

    fn set_lagging(&self, lagging: bool, lag: Duration) {
        if self.lagging.swap(lagging, Ordering::Relaxed) != lagging {
            let lag_ms = lag.as_millis() as u64;
            let bound_ms = self.max_lag.as_millis() as u64;
            if lagging {
                tracing::warn!(
                    lag_ms,
                    bound_ms,
                    "the standby is behind; reads go to the primary"
                );
            } else {
                tracing::warn!(
                    lag_ms,
                    bound_ms,
                    "the standby caught up; reads may go to it"
                );
            }
        }
    }

    pub fn fallbacks(&self) -> FallbackCounts {
        FallbackCounts {
            down: self.down.load(Ordering::Relaxed),
            lagging: self.behind.load(Ordering::Relaxed),
        }
    }
}

/// The primary's WAL positions the standby has not replayed yet, with when
/// each was first seen.
#[derive(Default)]
struct Unreplayed(VecDeque<(Instant, i64)>);

impl Unreplayed {
    fn seen_on_primary(&mut self, at: Instant, position: i64) {
        if self.0.back().is_none_or(|(_, last)| *last < position) {
            if self.0.len() >= MAX_SAMPLES {
                self.0.remove(1);
            }
            self.0.push_back((at, position));
        }
    }

    /// How long the standby has been behind, having replayed `replayed`.
    fn lag(&mut self, now: Instant, replayed: i64) -> Duration {
        while self.0.front().is_some_and(|(_, p)| *p <= replayed) {
            self.0.pop_front();
        }
        self.0
            .front()
            .map_or(Duration::ZERO, |(seen, _)| now.duration_since(*seen))
    }
}

const PRIMARY_POSITION: &str = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint";
/// On a standby, what it replayed; on a server that is not one (a promoted
/// standby), everything it has.
const REPLAYED_POSITION: &str = "SELECT (CASE WHEN pg_is_in_recovery() \
     THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint";

async fn watch(health: Weak<StandbyHealth>, primary: PgPool) {
    let mut unreplayed = Unreplayed::default();
    let mut ticks = tokio::time::interval(WATCH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(health) = health.upgrade() else {
            return;
        };
        // Without the primary's position there is nothing to compare with.
        let Ok(position) = sqlx::query_scalar::<_, i64>(PRIMARY_POSITION)
            .fetch_one(&primary)
            .await
        else {
            continue;
        };
        unreplayed.seen_on_primary(Instant::now(), position);
        if !health.take_probe_unless_resting() {
            continue;
        }
        match sqlx::query_scalar::<_, Option<i64>>(REPLAYED_POSITION)
            .fetch_one(&health.pool)
            .await
        {
            Ok(replayed) => {
                health.answered();
                let lag = unreplayed.lag(Instant::now(), replayed.unwrap_or(i64::MAX));
                health.set_lagging(lag > health.max_lag, lag);
            }
            Err(_) => health.failed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_how_long_the_oldest_unreplayed_primary_position_has_waited() {
        let start = Instant::now();
        let mut unreplayed = Unreplayed::default();
        unreplayed.seen_on_primary(start, 100);
        unreplayed.seen_on_primary(start + Duration::from_secs(1), 200);
        unreplayed.seen_on_primary(start + Duration::from_secs(2), 200);
        let at = start + Duration::from_secs(3);
        assert_eq!(unreplayed.lag(at, 50), Duration::from_secs(3));
        assert_eq!(unreplayed.lag(at, 100), Duration::from_secs(2));
        // An idle primary: everything replayed, no lag however long ago.
        assert_eq!(unreplayed.lag(at, 200), Duration::ZERO);
        assert_eq!(
            unreplayed.lag(at + Duration::from_secs(60), 200),
            Duration::ZERO
        );
    }

    #[tokio::test]
    async fn a_failed_standby_rests_then_one_probe_may_read_it() {
        // Never connected: only the decisions matter here.
        let pool = PgPool::connect_lazy("postgres://standby.invalid/casetrail").expect("a URL");
        let health = StandbyHealth::new(pool, Duration::from_secs(5));
        assert_eq!(health.usable(), Ok(()));
        health.failed();
        assert_eq!(health.usable(), Err(Fallback::Down));
        // The rest is over: one caller probes, the next keeps away.
        *health.resting_until.lock().expect("lock") = Some(Instant::now());
        assert_eq!(health.usable(), Ok(()));
        assert_eq!(health.usable(), Err(Fallback::Down));
        health.answered();
        assert_eq!(health.usable(), Ok(()));
        health.set_lagging(true, Duration::from_secs(9));
        assert_eq!(health.usable(), Err(Fallback::Lagging));
        assert_eq!(
            health.fallbacks(),
            FallbackCounts {
                down: 2,
                lagging: 1
            }
        );
    }
}
