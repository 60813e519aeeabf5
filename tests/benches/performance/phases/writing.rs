//! Phases (1) and (2): the write path beside the raw INSERT ceiling and the
//! stock stack (cqrs-es + postgres-es), and the hot case beside the same.

use std::time::Duration;

use super::{per_s, Bench};
use crate::cpu::CpuMeter;
use crate::db::{WaitSampler, RAW_NOTIFIED_TABLE, RAW_TABLE};
use crate::report::{millis, rate, Figure, Latency, Target};
use crate::writes::{self, Run};
use crate::{hot, peer, profile, Fail};

/// The measured variants of (1), run alternately in each round.
#[derive(Default)]
struct Runs {
    raw: Run,
    raw_tx: Run,
    raw_notified: Run,
    command: Run,
    keyed: Run,
    peer: Run,
}

fn described(r: &Run) -> String {
    format!("{} ({})", per_s(r.rate()), r.latency().describe())
}

/// A wait sampler and a CPU meter around one variant of the first round.
struct Watch {
    sampler: WaitSampler,
    cpu: CpuMeter,
}

impl Bench<'_> {
    async fn watch(&self, wanted: bool) -> Result<Option<Watch>, Fail> {
        if !wanted {
            return Ok(None);
        }
        Ok(Some(Watch {
            sampler: WaitSampler::start(&self.url).await?,
            cpu: CpuMeter::start(self.store.pool(), None).await?,
        }))
    }

    async fn watched(&mut self, watch: Option<Watch>, what: &str, ops: u64) -> Result<(), Fail> {
        if let Some(w) = watch {
            let top = w.sampler.finish().await?;
            let cpu = w.cpu.per_operation(self.store.pool(), ops).await?;
            self.report.note(format!(
                "profile, {what}: CPU per operation {}; active PostgreSQL sessions waited on: {top}",
                cpu.describe()
            ));
        }
        Ok(())
    }

    /// (1): openCase through CommandService vs raw INSERTs and the stock
    /// stack (cqrs-es + postgres-es), alternating.
    pub(super) async fn writes(&mut self) -> Result<(), Fail> {
        self.heading("(1) command append rate vs raw INSERT and the stock stack");
        let w = self.args.writers;
        let n = (self.scale.commands / self.scale.rounds).max(1);
        let pool = self.store.pool().clone();
        let docs = writes::sample_event_documents().await?;
        let peer = self.peer().await?;
        let mut r = Runs::default();
        for round in 0..self.scale.rounds {
            println!("  round {} of {}", round + 1, self.scale.rounds);
            // Only the first round is watched; each watch covers exactly one variant.
            let first = round == 0;
            let watch = self.watch(first).await?;
            r.raw
                .absorb(writes::raw_inserts(&pool, RAW_TABLE, n, w, false, &docs).await?);
            self.watched(watch, "raw autocommit INSERT", n).await?;
            let watch = self.watch(first).await?;
            r.command
                .absorb(writes::open_cases(&self.commands, n, w, false).await?);
            self.watched(watch, "openCase via CommandService", n)
                .await?;
            let watch = self.watch(first).await?;
            r.peer.absorb(peer::open_cases(&peer, n, w).await?);
            self.watched(watch, "OpenCase via cqrs-es + postgres-es", n)
                .await?;
            r.raw_tx
                .absorb(writes::raw_inserts(&pool, RAW_TABLE, n, w, true, &docs).await?);
            r.keyed
                .absorb(writes::open_cases(&self.commands, n, w, true).await?);
            let watch = self.watch(first).await?;
            let notified =
                writes::raw_inserts(&pool, RAW_NOTIFIED_TABLE, n, w, false, &docs).await?;
            r.raw_notified.absorb(notified);
            self.watched(watch, "raw INSERT with a NOTIFY trigger", n)
                .await?;
        }
        self.write_figures(&r);
        let breakdown = profile::breakdown(&pool, &self.store, self.scale.profile).await?;
        for line in breakdown.describe() {
            self.report.note(format!("profile (sequential): {line}"));
        }
        Ok(())
    }

    fn write_figures(&mut self, r: &Runs) {
        let w = self.args.writers;
        self.command_rate = Some(r.command.rate());
        let raw_rate = per_s(r.raw.rate());
        let vs_raw = |run: &Run| run.rate() / r.raw.rate();
        self.report.add(Figure::ratio(
            format!("(1) openCase via CommandService, {w} writers, new case each"),
            described(&r.command),
            format!("raw autocommit INSERT, same pool: {}", described(&r.raw)),
            vs_raw(&r.command),
            Target::AtLeast(1.0),
        ));
        self.report.add(Figure::ratio(
            format!("(P1) peers: openCase via CommandService vs the stock stack, {w} writers, new streams"),
            per_s(r.command.rate()),
            format!(
                "cqrs-es 0.5 + postgres-es 0.5, same Case aggregate, same pool size: {}",
                described(&r.peer)
            ),
            r.command.rate() / r.peer.rate(),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1b) same openCase vs raw BEGIN; INSERT; COMMIT",
            per_s(r.command.rate()),
            format!("raw explicit transaction: {}", described(&r.raw_tx)),
            r.command.rate() / r.raw_tx.rate(),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1c) openCase with a client id (idempotency receipt)",
            described(&r.keyed),
            format!("raw autocommit INSERT: {raw_rate}"),
            vs_raw(&r.keyed),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1d) raw INSERT into a table with a NOTIFY trigger (what events had until migration 0009)",
            described(&r.raw_notified),
            format!("raw autocommit INSERT: {raw_rate}"),
            vs_raw(&r.raw_notified),
            Target::None,
        ));
    }

    /// (2): one hot case.
    pub(super) async fn hot(&mut self) -> Result<(), Fail> {
        self.heading("(2) one hot case, sequential commands");
        let n = self.scale.hot;
        let (case_id, durations) = hot::hot_case(&self.commands, n).await?;
        self.tenths(
            &format!("(2) hot case, {n} sequential provideSupport via CommandService: last tenth"),
            &durations,
            Target::AtLeast(0.9),
        );
        let store = self.commands.store().clone();
        let fresh = || self.fresh_store();
        let load = hot::hot_load(&store, fresh, case_id, 20).await?;
        self.report.note(format!(
            "profile: loading the hot case ({} events) takes {} from the state cache (checked against the log's head), \
             {} in a process that has not seen it (its snapshot, {} KiB of JSON, and the events after it) and {} replaying every event; \
             decoding that snapshot as the store does (jsonb -> serde_json::Value -> Case) takes {}, straight from its text {}",
            n + 1,
            millis(load.cached),
            millis(load.with_snapshot),
            load.snapshot_bytes / 1024,
            millis(load.from_zero),
            millis(load.decode_via_value),
            millis(load.decode_direct),
        ));
        let peer = self.peer().await?;
        let peer_durations = peer::hot_case(&peer, n).await?;
        let (peer_last, peer_first) = self.tenths(
            &format!("(P2) peers: the same {n}-command hot aggregate via cqrs-es + postgres-es: last tenth"),
            &peer_durations,
            Target::None,
        );
        let all = |d: &[Duration]| rate(d.len() as u64, d.iter().sum());
        self.report.add(Figure::ratio(
            "(P2b) peers: hot aggregate, all commands, casetrail ÷ cqrs-es + postgres-es",
            per_s(all(&durations)),
            format!(
                "cqrs-es + postgres-es: {} (first tenth {}, last tenth {})",
                per_s(all(&peer_durations)),
                per_s(peer_first),
                per_s(peer_last)
            ),
            all(&durations) / all(&peer_durations),
            Target::None,
        ));
        Ok(())
    }

    /// Adds last tenth ÷ first tenth; returns (last, first) rates.
    fn tenths(&mut self, label: &str, durations: &[Duration], target: Target) -> (f64, f64) {
        let tenth = (durations.len() / 10).max(1);
        let first: Vec<Duration> = durations.iter().take(tenth).copied().collect();
        let last: Vec<Duration> = durations.iter().rev().take(tenth).copied().collect();
        let rate_of = |d: &[Duration]| rate(d.len() as u64, d.iter().sum());
        let (first_rate, last_rate) = (rate_of(&first), rate_of(&last));
        let (first_latency, last_latency) = (
            Latency::of(&mut first.clone()),
            Latency::of(&mut last.clone()),
        );
        self.report.add(Figure::ratio(
            label,
            format!("{} ({})", per_s(last_rate), last_latency.describe()),
            format!(
                "first tenth: {} ({})",
                per_s(first_rate),
                first_latency.describe()
            ),
            last_rate / first_rate,
            target,
        ));
        self.report.note(format!(
            "{label}: by median latency instead of mean rate, last tenth vs first tenth = {:.2}",
            first_latency.p50.as_secs_f64() / last_latency.p50.as_secs_f64().max(1e-9)
        ));
        (last_rate, first_rate)
    }
}
