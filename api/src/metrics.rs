//! Prometheus metrics, rendered in the text exposition format at `/metrics`.
//!
//! A handful of counters and one histogram do not justify a metrics
//! framework: they are atomics and a mutex-guarded map, process-wide.
//! Label values are bounded: operations come from a fixed list of root
//! fields, outcomes from the contract's error codes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// The root fields that may appear as an `operation` label.
const ROOT_FIELDS: &[&str] = &[
    "receiveCall",
    "recordCounsellingSession",
    "openCase",
    "attachCall",
    "attachPerson",
    "sendReferral",
    "updateReferral",
    "recordRescue",
    "provideSupport",
    "closeCase",
    "reopenCase",
    "erasePerson",
    "call",
    "case",
    "calls",
    "cases",
    "referrals",
    "statistics",
    "caseHistory",
    "callHistory",
    "verifyIntegrity",
    "projections",
    "accessLog",
    "transparencyLog",
    "inclusionProof",
    "consistencyProof",
    "__schema",
    "__type",
    "__typename",
];

/// Upper bounds (seconds) of the command latency histogram.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, String), u64>>,
    commands: Mutex<BTreeMap<&'static str, Histogram>>,
    events_appended: AtomicU64,
    conflicts_retried: AtomicU64,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::default);

pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// The label for a root field the client asked for; anything else is "other".
pub fn operation_label(field: &str) -> &'static str {
    ROOT_FIELDS
        .iter()
        .find(|f| **f == field)
        .copied()
        .unwrap_or("other")
}

impl Metrics {
    pub fn request(&self, operation: &'static str, outcome: &str) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((operation, outcome.to_string())).or_default() += 1;
        }
    }

    pub fn command(&self, stream_kind: &'static str, took: Duration, events: usize) {
        self.events_appended
            .fetch_add(events as u64, Ordering::Relaxed);
        let seconds = took.as_secs_f64();
        if let Ok(mut map) = self.commands.lock() {
            let h = map.entry(stream_kind).or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    pub fn conflict_retried(&self) {
        self.conflicts_retried.fetch_add(1, Ordering::Relaxed);
    }

    /// The process's metrics; `extra` is appended (projection and pool gauges).
    pub fn render(&self, extra: &str) -> String {
        let mut out = String::new();
        out.push_str("# HELP casetrail_requests_total GraphQL requests by root field and outcome (ok or error code).\n");
        out.push_str("# TYPE casetrail_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((operation, outcome), n) in map.iter() {
                let _ = writeln!(out, "casetrail_requests_total{{operation=\"{operation}\",outcome=\"{outcome}\"}} {n}");
            }
        }
        out.push_str("# HELP casetrail_command_duration_seconds Time to load, decide and commit one command.\n");
        out.push_str("# TYPE casetrail_command_duration_seconds histogram\n");
        if let Ok(map) = self.commands.lock() {
            for (stream, h) in map.iter() {
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(out, "casetrail_command_duration_seconds_bucket{{stream=\"{stream}\",le=\"{bound}\"}} {}", h.counts[i]);
                }
                let _ = writeln!(out, "casetrail_command_duration_seconds_bucket{{stream=\"{stream}\",le=\"+Inf\"}} {}", h.count);
                let _ = writeln!(
                    out,
                    "casetrail_command_duration_seconds_sum{{stream=\"{stream}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "casetrail_command_duration_seconds_count{{stream=\"{stream}\"}} {}",
                    h.count
                );
            }
        }
        out.push_str("# HELP casetrail_events_appended_total Events appended by this process.\n");
        out.push_str("# TYPE casetrail_events_appended_total counter\n");
        let _ = writeln!(
            out,
            "casetrail_events_appended_total {}",
            self.events_appended.load(Ordering::Relaxed)
        );
        out.push_str("# HELP casetrail_command_conflicts_total Optimistic-concurrency races lost and retried.\n");
        out.push_str("# TYPE casetrail_command_conflicts_total counter\n");
        let _ = writeln!(
            out,
            "casetrail_command_conflicts_total {}",
            self.conflicts_retried.load(Ordering::Relaxed)
        );
        vault_and_snapshots(&mut out);
        out.push_str(extra);
        out
    }
}

/// Counters kept by the store: data keys or values that could not be opened
/// (their subject reads as "[unavailable]"), and snapshots discarded on load.
fn vault_and_snapshots(out: &mut String) {
    let (keys, values) = store::vault::unreadable_counts();
    out.push_str("# HELP casetrail_vault_unreadable_total Data keys (under a master key not held, or damaged) and sealed values this process could not open.\n");
    out.push_str("# TYPE casetrail_vault_unreadable_total counter\n");
    let _ = writeln!(
        out,
        "casetrail_vault_unreadable_total{{what=\"data_key\"}} {keys}"
    );
    let _ = writeln!(
        out,
        "casetrail_vault_unreadable_total{{what=\"value\"}} {values}"
    );
    let (mismatch, unknown_key, outdated) = store::snapshots::discarded_counts();
    out.push_str("# HELP casetrail_snapshots_discarded_total Snapshots not used on load: mismatch (edited, or not on the event log), unknown_key (made under a master key no longer held), outdated (older state shape).\n");
    out.push_str("# TYPE casetrail_snapshots_discarded_total counter\n");
    for (reason, n) in [
        ("mismatch", mismatch),
        ("unknown_key", unknown_key),
        ("outdated", outdated),
    ] {
        let _ = writeln!(
            out,
            "casetrail_snapshots_discarded_total{{reason=\"{reason}\"}} {n}"
        );
    }
}

/// Gauges of the database pool.
pub fn pool_gauges(pool: &sqlx::PgPool) -> String {
    let size = pool.size();
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    format!(
        "# HELP casetrail_db_pool_connections Database connections of the server's pool.\n\
         # TYPE casetrail_db_pool_connections gauge\n\
         casetrail_db_pool_connections{{state=\"idle\"}} {idle}\n\
         casetrail_db_pool_connections{{state=\"in_use\"}} {}\n",
        size.saturating_sub(idle)
    )
}
