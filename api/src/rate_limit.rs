//! A per-subject rate limit: a token bucket per token subject, in memory.
//!
//! Each server process limits on its own, so N processes allow N times the
//! rate: the limit protects the database and the hotline's staff from a
//! runaway client or a stolen token, it is not a quota.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Buckets idle this long are forgotten, so the map stays small.
const IDLE: Duration = Duration::from_secs(600);

impl RateLimiter {
    /// `per_minute` requests a minute on average, bursts of up to a quarter of that (at least 10).
    pub fn new(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        Self {
            per_second: per_minute / 60.0,
            burst: (per_minute / 4.0).max(10.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `subject`'s bucket; false when it is empty.
    pub fn allow(&self, subject: &str) -> bool {
        self.allow_n(subject, 1)
    }

    /// Takes `n` requests at once (a GraphQL request counts each root field,
    /// so fifty aliased mutations are fifty); false, taking nothing, when
    /// fewer than `n` are left.
    pub fn allow_n(&self, subject: &str, n: u32) -> bool {
        let n = f64::from(n.max(1));
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            // A poisoned lock means a panic elsewhere; do not turn it into an outage.
            return true;
        };
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.last) < IDLE);
        }
        let bucket = buckets.entry(subject.to_string()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let refill = now.duration_since(bucket.last).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= n {
            bucket.tokens -= n;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_per_subject() {
        let limiter = RateLimiter::new(60);
        let allowed = (0..20).filter(|_| limiter.allow("a")).count();
        assert_eq!(allowed, 15, "burst of a quarter of 60, at least 10 → 15");
        assert!(limiter.allow("b"), "another subject has its own bucket");
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
}
