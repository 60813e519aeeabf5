//! Subscriptions (issue 13): sockets and subscriptions open, updates sent,
//! and sockets closed by the server, by why; and (issue 17) the events
//! catch-ups read, by server (standby or primary). Kept apart from the registry of
//! `metrics.rs`, whose exposition is held byte for byte by a test, and rendered
//! after it like the pool's gauges.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

static SOCKETS: AtomicI64 = AtomicI64::new(0);
static SUBSCRIPTIONS: AtomicI64 = AtomicI64::new(0);
static DELIVERED: AtomicU64 = AtomicU64::new(0);
/// Closed by the server: why, in the order of [`Closed`].
static CLOSED: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

/// Why the server closed a subscription socket.
#[derive(Clone, Copy, Debug)]
pub enum Closed {
    /// The subscriber fell further behind than its buffer.
    TooSlow,
    /// Its token expired.
    Expired,
    /// connection_init was refused (no or bad token).
    Unauthorised,
    /// No connection_init in time.
    InitTimeout,
    /// A message that breaks the protocol.
    Protocol,
}

impl Closed {
    const ALL: [(Closed, &'static str); 5] = [
        (Closed::TooSlow, "too_slow"),
        (Closed::Expired, "token_expired"),
        (Closed::Unauthorised, "unauthorised"),
        (Closed::InitTimeout, "init_timeout"),
        (Closed::Protocol, "protocol"),
    ];
}

/// Counts an open socket while it lives.
pub struct SocketOpen(());

impl SocketOpen {
    pub fn opened() -> Self {
        SOCKETS.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Drop for SocketOpen {
    fn drop(&mut self) {
        SOCKETS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Subscriptions now running (+1 on start, -1 on end).
pub fn subscriptions(delta: i64) {
    SUBSCRIPTIONS.fetch_add(delta, Ordering::Relaxed);
}

pub fn delivered() {
    DELIVERED.fetch_add(1, Ordering::Relaxed);
}

pub fn closed(why: Closed) {
    CLOSED[why as usize].fetch_add(1, Ordering::Relaxed);
}

/// The exposition of the counters above.
pub fn render() -> String {
    let mut registry = Registry::default();
    let sockets = Gauge::<i64>::default();
    sockets.set(SOCKETS.load(Ordering::Relaxed));
    registry.register(
        "casetrail_subscription_sockets",
        "Subscription sockets (graphql-transport-ws) open",
        sockets,
    );
    let running = Gauge::<i64>::default();
    running.set(SUBSCRIPTIONS.load(Ordering::Relaxed));
    registry.register("casetrail_subscriptions", "Subscriptions running", running);
    let delivered = Counter::<u64>::default();
    delivered.inc_by(DELIVERED.load(Ordering::Relaxed));
    registry.register(
        "casetrail_subscription_updates",
        "Updates sent to subscribers",
        delivered,
    );
    let closed = Family::<[(&'static str, &'static str); 1], Counter>::default();
    for (why, label) in Closed::ALL {
        closed
            .get_or_create(&[("reason", label)])
            .inc_by(CLOSED[why as usize].load(Ordering::Relaxed));
    }
    registry.register(
        "casetrail_subscription_sockets_closed",
        "Subscription sockets the server closed, by reason",
        closed,
    );
    let mut out = String::new();
    let _ = prometheus_text::encode(&mut out, &registry);
    out
}

/// Events subscribers read while catching up from a cursor, by the server
/// they read them from: the bulk should come from the standby when there
/// is one (docs/SCALING.md, "Subscriptions").
pub fn render_catch_up(counts: projections::CatchUpCounts) -> String {
    let mut registry = Registry::default();
    let events = Family::<[(&'static str, &'static str); 1], Counter>::default();
    for (source, n) in [("replica", counts.replica), ("primary", counts.primary)] {
        events.get_or_create(&[("source", source)]).inc_by(n);
    }
    registry.register(
        "casetrail_live_catch_up_events",
        "Events subscribers read from the log while catching up, by where they read them",
        events,
    );
    let mut out = String::new();
    let _ = prometheus_text::encode(&mut out, &registry);
    out
}

/// Read requests by the server they read (a retry on the primary after the
/// standby failed counts again), and reads — requests and catch-ups — that
/// would have gone to the standby but went to the primary, by why
/// (docs/SCALING.md, "When the standby fails").
pub fn render_reads(counts: crate::commands::reads::ReadCounts) -> String {
    let mut registry = Registry::default();
    let reads = Family::<[(&'static str, &'static str); 1], Counter>::default();
    for (source, n) in [("replica", counts.replica), ("primary", counts.primary)] {
        reads.get_or_create(&[("source", source)]).inc_by(n);
    }
    registry.register("casetrail_reads", "Read requests by where they read", reads);
    let fallbacks = Family::<[(&'static str, &'static str); 1], Counter>::default();
    let why = [
        ("down", counts.fallbacks.down),
        ("lagging", counts.fallbacks.lagging),
    ];
    for (reason, n) in why {
        fallbacks.get_or_create(&[("reason", reason)]).inc_by(n);
    }
    registry.register(
        "casetrail_standby_fallbacks",
        "Reads sent to the primary instead of the standby, by reason",
        fallbacks,
    );
    let mut out = String::new();
    let _ = prometheus_text::encode(&mut out, &registry);
    out
}
