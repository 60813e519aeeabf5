//! Prometheus metrics, rendered in the text exposition format (0.0.4) at `/metrics`.
//!
//! prometheus-client keeps the counters and the histogram and writes the
//! format; the store's own counters are read at scrape time by a collector.
//! Label values are bounded: operations come from a fixed list of root
//! fields, outcomes from the contract's error codes.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    prometheus_text, DescriptorEncoder, EncodeLabelSet, EncodeMetric,
};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

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
    "lookUpPersons",
    "livePosition",
    "referralUpdated",
    "caseUpdated",
    "callReceived",
    "__schema",
    "__type",
    "__typename",
];

/// Upper bounds (seconds) of the command latency histogram.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: &'static str,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabels {
    stream: &'static str,
}

type LatencyByStream = Family<StreamLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    commands: LatencyByStream,
    events_appended: Counter,
    conflicts_retried: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let commands: LatencyByStream = Family::new_with_constructor(|| Histogram::new(BUCKETS));
        let events_appended = Counter::default();
        let conflicts_retried = Counter::default();
        let mut registry = Registry::default();
        // Counters are registered without `_total` (the encoder adds it) and
        // help without its final full stop (the registry adds it).
        registry.register(
            "casetrail_requests",
            "GraphQL requests by root field and outcome (ok or error code)",
            requests.clone(),
        );
        registry.register(
            "casetrail_command_duration_seconds",
            "Time to load, decide and commit one command",
            commands.clone(),
        );
        registry.register(
            "casetrail_events_appended",
            "Events appended by this process",
            events_appended.clone(),
        );
        registry.register(
            "casetrail_command_conflicts",
            "Optimistic-concurrency races lost and retried",
            conflicts_retried.clone(),
        );
        registry.register_collector(Box::new(StoreCounters));
        Self {
            registry,
            requests,
            commands,
            events_appended,
            conflicts_retried,
        }
    }
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
        self.requests
            .get_or_create(&RequestLabels {
                operation,
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn command(&self, stream_kind: &'static str, took: Duration, events: usize) {
        self.events_appended.inc_by(events as u64);
        self.commands
            .get_or_create(&StreamLabels {
                stream: stream_kind,
            })
            .observe(took.as_secs_f64());
    }

    pub fn conflict_retried(&self) {
        self.conflicts_retried.inc();
    }

    /// The process's metrics; `extra` is appended (projection and pool gauges).
    pub fn render(&self, extra: &str) -> String {
        let mut out = String::new();
        if prometheus_text::encode(&mut out, &self.registry).is_err() {
            // Writing to a String cannot fail; a collector error leaves what was written.
            tracing::warn!("metrics could not all be encoded");
        }
        out.push_str(extra);
        out
    }
}

/// Counters kept by the store: data keys or values that could not be opened
/// (their subject reads as "[unavailable]"), and snapshots discarded on load.
#[derive(Debug)]
struct StoreCounters;

impl Collector for StoreCounters {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let (keys, values) = store::vault::unreadable_counts();
        let mut vault = encoder.encode_descriptor(
            "casetrail_vault_unreadable",
            "Data keys (under a master key not held, or damaged) and sealed values this process could not open.",
            None,
            MetricType::Counter,
        )?;
        for (what, n) in [("data_key", keys), ("value", values)] {
            ConstCounter::new(n).encode(vault.encode_family(&[("what", what)])?)?;
        }
        let (mismatch, unknown_key, outdated) = store::snapshots::discarded_counts();
        let mut snapshots = encoder.encode_descriptor(
            "casetrail_snapshots_discarded",
            "Snapshots not used on load: mismatch (edited, or not on the event log), unknown_key (made under a master key no longer held), outdated (older state shape).",
            None,
            MetricType::Counter,
        )?;
        for (reason, n) in [
            ("mismatch", mismatch),
            ("unknown_key", unknown_key),
            ("outdated", outdated),
        ] {
            ConstCounter::new(n).encode(snapshots.encode_family(&[("reason", reason)])?)?;
        }
        Ok(())
    }
}

/// Subscriptions (issue 13): sockets, subscriptions, updates, closes, catch-up sources.
pub mod live;

/// Gauges of the database pool, read at scrape time.
pub fn pool_gauges(pool: &sqlx::PgPool) -> String {
    let size = i64::from(pool.size());
    let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
    let connections = Family::<[(&'static str, &'static str); 1], Gauge>::default();
    connections.get_or_create(&[("state", "idle")]).set(idle);
    connections
        .get_or_create(&[("state", "in_use")])
        .set(size.saturating_sub(idle).max(0));
    let mut registry = Registry::default();
    registry.register(
        "casetrail_db_pool_connections",
        "Database connections of the server's pool",
        connections,
    );
    let mut out = String::new();
    let _ = prometheus_text::encode(&mut out, &registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the hand-written renderer this replaced wrote, byte for byte:
    /// dashboards and alerts are keyed on these names, labels and types.
    const BEFORE_THE_STORE_COUNTERS: &str = "\
# HELP casetrail_requests_total GraphQL requests by root field and outcome (ok or error code).
# TYPE casetrail_requests_total counter
casetrail_requests_total{operation=\"openCase\",outcome=\"ok\"} 2
# HELP casetrail_command_duration_seconds Time to load, decide and commit one command.
# TYPE casetrail_command_duration_seconds histogram
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.001\"} 0
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.0025\"} 0
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.005\"} 0
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.01\"} 0
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.025\"} 0
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.05\"} 1
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.1\"} 1
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.25\"} 1
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"0.5\"} 1
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"1\"} 1
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"2.5\"} 1
casetrail_command_duration_seconds_bucket{stream=\"Case\",le=\"+Inf\"} 1
casetrail_command_duration_seconds_sum{stream=\"Case\"} 0.03
casetrail_command_duration_seconds_count{stream=\"Case\"} 1
# HELP casetrail_events_appended_total Events appended by this process.
# TYPE casetrail_events_appended_total counter
casetrail_events_appended_total 3
# HELP casetrail_command_conflicts_total Optimistic-concurrency races lost and retried.
# TYPE casetrail_command_conflicts_total counter
casetrail_command_conflicts_total 1
";

    #[test]
    fn the_exposition_keeps_every_name_label_and_type() {
        let metrics = Metrics::default();
        metrics.request(operation_label("openCase"), "ok");
        metrics.request(operation_label("openCase"), "ok");
        metrics.command("Case", Duration::from_millis(30), 3);
        metrics.conflict_retried();
        let text = metrics.render("casetrail_extra 1\n");
        assert!(
            text.starts_with(BEFORE_THE_STORE_COUNTERS),
            "changed exposition:\n{text}"
        );
        // The store's counters are process-wide and other tests move them: names and labels only.
        let store_part: Vec<&str> = text[BEFORE_THE_STORE_COUNTERS.len()..]
            .lines()
            .map(|l| l.rsplit_once(' ').map_or(l, |(name, _)| name))
            .filter(|l| !l.starts_with("# HELP"))
            .collect();
        assert_eq!(
            store_part,
            [
                "# TYPE casetrail_vault_unreadable_total",
                "casetrail_vault_unreadable_total{what=\"data_key\"}",
                "casetrail_vault_unreadable_total{what=\"value\"}",
                "# TYPE casetrail_snapshots_discarded_total",
                "casetrail_snapshots_discarded_total{reason=\"mismatch\"}",
                "casetrail_snapshots_discarded_total{reason=\"unknown_key\"}",
                "casetrail_snapshots_discarded_total{reason=\"outdated\"}",
                "casetrail_extra",
            ]
        );
        assert!(text.contains("# TYPE casetrail_vault_unreadable_total counter\n"));
        assert!(text.contains("# TYPE casetrail_snapshots_discarded_total counter\n"));
    }

    #[test]
    fn an_unknown_root_field_is_counted_as_other() {
        let metrics = Metrics::default();
        metrics.request(operation_label("a name a client made up"), "BAD_USER_INPUT");
        let text = metrics.render("");
        assert!(
            text.contains(
                "casetrail_requests_total{operation=\"other\",outcome=\"BAD_USER_INPUT\"} 1\n"
            ),
            "{text}"
        );
    }
}
