//! A per-subject rate limit: governor's keyed GCRA limiter, in memory.
//!
//! Each server process limits on its own, so N processes allow N times the
//! rate: the limit protects the database and the hotline's staff from a
//! runaway client or a stolen token, it is not a quota.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::Quota;

/// Subjects whose allowance is back to full are forgotten every this many
/// requests, so a stream of one-off subjects cannot grow the map without bound.
const PRUNE_EVERY: u32 = 1024;

type Keyed<C> = governor::RateLimiter<
    String,
    HashMapStateStore<String>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

pub struct RateLimiter<C: Clock = DefaultClock> {
    subjects: Keyed<C>,
    since_pruned: AtomicU32,
}

impl RateLimiter {
    /// `per_minute` requests a minute on average, bursts of up to a quarter of that (at least 10).
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    fn with_clock(per_minute: u32, clock: C) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new((per_minute.get() / 4).max(10)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self {
            subjects: governor::RateLimiter::hashmap_with_clock(quota, clock),
            since_pruned: AtomicU32::new(0),
        }
    }

    /// Takes one request from `subject`'s allowance; false when it is spent.
    pub fn allow(&self, subject: &str) -> bool {
        self.allow_n(subject, 1)
    }

    /// Takes `n` requests at once (a GraphQL request counts each root field,
    /// so fifty aliased mutations are fifty); false, taking nothing, when
    /// fewer than `n` are left (or `n` exceeds the whole burst).
    pub fn allow_n(&self, subject: &str, n: u32) -> bool {
        if self.since_pruned.fetch_add(1, Ordering::Relaxed) + 1 >= PRUNE_EVERY {
            self.since_pruned.store(0, Ordering::Relaxed);
            self.prune();
        }
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        matches!(
            self.subjects.check_key_n(&subject.to_string(), n),
            Ok(Ok(()))
        )
    }

    /// Forgets subjects whose allowance is full again: to the limiter they
    /// are indistinguishable from subjects never seen.
    fn prune(&self) {
        self.subjects.retain_recent();
        self.subjects.shrink_to_fit();
    }

    #[cfg(test)]
    fn subjects_held(&self) -> usize {
        self.subjects.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_refused_per_subject() {
        let limiter = RateLimiter::new(60);
        let allowed = (0..20).filter(|_| limiter.allow("a")).count();
        assert_eq!(allowed, 15, "burst of a quarter of 60, at least 10 → 15");
        assert!(limiter.allow("b"), "another subject has its own bucket");
    }

    #[test]
    fn a_small_limit_still_allows_a_burst_of_ten() {
        let limiter = RateLimiter::new(8);
        let allowed = (0..20).filter(|_| limiter.allow("a")).count();
        assert_eq!(allowed, 10);
        let zero = RateLimiter::new(0);
        assert!(
            zero.allow("a"),
            "a limit of 0 is read as 1 a minute, burst 10"
        );
    }

    #[test]
    fn a_request_of_many_root_fields_takes_one_token_each() {
        let limiter = RateLimiter::new(60);
        assert!(
            !limiter.allow_n("a", 16),
            "16 root fields exceed a burst of 15"
        );
        assert!(limiter.allow_n("a", 10), "a refusal takes nothing");
        assert!(!limiter.allow_n("a", 10), "10 + 10 exceed the burst");
        assert!(limiter.allow_n("a", 5));
        assert!(!limiter.allow("a"));
    }

    #[test]
    fn the_allowance_comes_back_at_the_configured_rate() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(60, clock.clone());
        assert!(limiter.allow_n("a", 15));
        assert!(!limiter.allow("a"));
        clock.advance(Duration::from_secs(1));
        assert!(limiter.allow("a"), "60 a minute: one more each second");
        assert!(!limiter.allow("a"));
        clock.advance(Duration::from_secs(5));
        assert!(limiter.allow_n("a", 5));
        assert!(!limiter.allow("a"));
    }

    #[test]
    fn idle_subjects_are_forgotten_and_limited_ones_are_kept() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(60, clock.clone());
        for i in 0..100 {
            assert!(limiter.allow(&format!("one-off-{i}")));
        }
        assert!(limiter.allow_n("busy", 15));
        assert_eq!(limiter.subjects_held(), 101);
        // The one-offs refill within a second; "busy" needs 15.
        clock.advance(Duration::from_secs(2));
        let calls_so_far = 101;
        for _ in calls_so_far..PRUNE_EVERY {
            limiter.allow("other");
        }
        assert_eq!(
            limiter.subjects_held(),
            2,
            "only the still-limited subject and the one just seen remain"
        );
        assert!(
            limiter.allow_n("busy", 2),
            "busy regained two in two seconds"
        );
        assert!(
            !limiter.allow("busy"),
            "being pruned never gives a limited subject a fresh burst"
        );
    }
}
