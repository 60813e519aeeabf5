//! (E1)'s alternation of the server's load with pgbench's, and the sums
//! of its slices.

use std::time::Duration;

use crate::cpu::CpuCost;
use crate::report::{millis, rate};
use crate::wrk::WrkLoad;

/// (E1) alternates its load with pgbench's in this many slices. The
/// machine's speed drifts within a minute: four runs of one session saw
/// pgbench at 11,877-14,174 tps, and one ten-second load followed by ten
/// seconds of pgbench put all of that drift on one side of the ratio.
/// Alternating spreads it over both sides.
pub(super) const E1_SLICES: u64 = 3;

/// (E1)'s slices, summed.
#[derive(Default)]
pub(super) struct Sliced {
    pub(super) ok: u64,
    pub(super) failed: u64,
    pub(super) socket_errors: u64,
    pub(super) elapsed: Duration,
    p50s: Vec<Duration>,
    pub(super) p99: Duration,
    /// CPU µs per request times requests, summed: load generator, server
    /// (when it is a child), PostgreSQL.
    cpu: [f64; 3],
    answered: u64,
    server_measured: bool,
    pub(super) tps: Vec<f64>,
    ratios: Vec<f64>,
    pub(super) catch_up: Duration,
}

impl Sliced {
    pub(super) fn add(&mut self, load: &WrkLoad, cost: &CpuCost, tps: f64, catch_up: Duration) {
        let ok = load.answered.saturating_sub(load.failed);
        self.ok += ok;
        self.failed += load.failed;
        self.socket_errors += load.socket_errors;
        self.elapsed += load.elapsed;
        self.p50s.push(load.latency.p50);
        self.p99 = self.p99.max(load.latency.p99);
        let n = load.answered as f64;
        self.cpu[0] += cost.client_us * n;
        self.cpu[1] += cost.process_us.unwrap_or(0.0) * n;
        self.cpu[2] += cost.server_us * n;
        self.server_measured = cost.process_us.is_some();
        self.answered += load.answered;
        self.tps.push(tps);
        self.ratios.push(rate(ok, load.elapsed) / tps);
        self.catch_up = self.catch_up.max(catch_up);
    }

    pub(super) fn ratio_range(&self) -> (f64, f64) {
        let low = self.ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = self.ratios.iter().copied().fold(0.0, f64::max);
        (low, high)
    }

    pub(super) fn p50_range(&self) -> String {
        let low = self.p50s.iter().min().copied().unwrap_or_default();
        let high = self.p50s.iter().max().copied().unwrap_or_default();
        format!("{}-{}", millis(low), millis(high))
    }

    /// CPU per request over every slice.
    pub(super) fn cost(&self) -> CpuCost {
        let per = |total: f64| total / self.answered.max(1) as f64;
        CpuCost {
            client_us: per(self.cpu[0]),
            process_us: self.server_measured.then(|| per(self.cpu[1])),
            server_us: per(self.cpu[2]),
        }
    }
}
