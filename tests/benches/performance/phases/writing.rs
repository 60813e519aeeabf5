//! Phases (1) and (2): the write path beside the raw INSERT ceiling, with
//! what-ifs that show what each suspected cost is worth, and the hot case.

use std::sync::Arc;
use std::time::Duration;

use domain::clock::Clock;
use store::vault::Vault;
use store::EventStore;

use super::{per_s, Bench};
use crate::cpu::CpuMeter;
use crate::db::{self, WaitSampler, RAW_NOTIFIED_TABLE, RAW_TABLE};
use crate::grouped::{self, Fixes};
use crate::report::{millis, rate, Figure, Latency, Target};
use crate::writes::{self, Run};
use crate::{hot, profile, Fail};
use api::commands::CommandService;

/// The measured variants of (1), run alternately in each round.
#[derive(Default)]
struct Runs {
    raw: Run,
    raw_tx: Run,
    raw_notified: Run,
    command: Run,
    keyed: Run,
    lean_raw: Run,
    lean_command: Run,
    without_trigger: Run,
    grouped: Run,
    group_sizes: Vec<f64>,
    cheap: Run,
    all: Run,
    all_sizes: Vec<f64>,
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

    /// (1): openCase through CommandService vs raw INSERTs, alternating.
    pub(super) async fn writes(&mut self) -> Result<(), Fail> {
        self.heading("(1) command append rate vs raw INSERT");
        let w = self.args.writers;
        let n = (self.scale.commands / self.scale.rounds).max(1);
        let pool = self.store.pool().clone();
        let lean = db::app_pool_without_ping(&self.url, self.args.connections).await?;
        let lean_store = EventStore::new(lean.clone(), domain::upcasters::upcasters());
        let lean_commands = Arc::new(CommandService::new(
            lean_store.clone(),
            Vault::new(self.secrets.master_key),
            Clock::system(),
        ));
        let docs = writes::sample_event_documents().await?;
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
                .absorb(writes::open_cases(&self.commands, n, w, false, None).await?);
            self.watched(watch, "openCase via CommandService", n)
                .await?;
            r.raw_tx
                .absorb(writes::raw_inserts(&pool, RAW_TABLE, n, w, true, &docs).await?);
            r.keyed
                .absorb(writes::open_cases(&self.commands, n, w, true, None).await?);
            let watch = self.watch(first).await?;
            let notified =
                writes::raw_inserts(&pool, RAW_NOTIFIED_TABLE, n, w, false, &docs).await?;
            r.raw_notified.absorb(notified);
            self.watched(watch, "raw INSERT with the NOTIFY trigger", n)
                .await?;
            r.lean_raw
                .absorb(writes::raw_inserts(&lean, RAW_TABLE, n, w, false, &docs).await?);
            r.lean_command
                .absorb(writes::open_cases(&lean_commands, n, w, false, None).await?);
            let watch = self.watch(first).await?;
            let grouping = Fixes {
                group_committers: 2,
                ..Fixes::default()
            };
            let (run, per_tx) = grouped::open_cases(&self.store, n, w, grouping).await?;
            self.watched(watch, "grouped commits", n).await?;
            r.grouped.absorb(run);
            r.group_sizes.push(per_tx);
            // The what-ifs without the trigger; it is enabled again whatever happens.
            db::notify_trigger(&self.url, false).await?;
            let result = self.without_trigger(&mut r, &lean_store, n, first).await;
            db::notify_trigger(&self.url, true).await?;
            result?;
        }
        self.write_figures(&r);
        let breakdown =
            profile::breakdown(&pool, &self.store, &lean_store, self.scale.profile).await?;
        for line in breakdown.describe() {
            self.report.note(format!("profile (sequential): {line}"));
        }
        lean.close().await;
        Ok(())
    }

    /// The what-ifs run while the `events_notify` trigger is disabled.
    async fn without_trigger(
        &mut self,
        r: &mut Runs,
        lean_store: &EventStore,
        n: u64,
        first: bool,
    ) -> Result<(), Fail> {
        let w = self.args.writers;
        let pool = self.store.pool().clone();
        let watch = self.watch(first).await?;
        let run = writes::open_cases(&self.commands, n, w, false, Some(pool)).await?;
        self.watched(watch, "openCase, trigger off, NOTIFY after COMMIT", n)
            .await?;
        r.without_trigger.absorb(run);
        let cheap = Fixes {
            skip_load: true,
            notify_after: true,
            group_committers: 0,
        };
        let watch = self.watch(first).await?;
        let (run, _) = grouped::open_cases(lean_store, n, w, cheap).await?;
        self.watched(watch, "cheap fixes together", n).await?;
        r.cheap.absorb(run);
        let all = Fixes {
            group_committers: 2,
            ..cheap
        };
        let watch = self.watch(first).await?;
        let (run, per_tx) = grouped::open_cases(lean_store, n, w, all).await?;
        self.watched(watch, "cheap fixes and grouped commits", n)
            .await?;
        r.all.absorb(run);
        r.all_sizes.push(per_tx);
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
            "(1d) raw INSERT into a table with the events table's NOTIFY trigger",
            described(&r.raw_notified),
            format!("raw autocommit INSERT: {raw_rate}"),
            vs_raw(&r.raw_notified),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1e) openCase vs that NOTIFY-limited ceiling",
            per_s(r.command.rate()),
            format!(
                "raw INSERT with the trigger: {}",
                per_s(r.raw_notified.rate())
            ),
            r.command.rate() / r.raw_notified.rate(),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1f) what-if: events_notify trigger disabled, NOTIFY sent after COMMIT",
            described(&r.without_trigger),
            format!("raw autocommit INSERT: {raw_rate}"),
            vs_raw(&r.without_trigger),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1g) what-if: openCase on a pool without sqlx's acquire ping",
            described(&r.lean_command),
            format!(
                "raw autocommit INSERT on that pool: {}",
                described(&r.lean_raw)
            ),
            r.lean_command.rate() / r.lean_raw.rate(),
            Target::None,
        ));
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let per_tx = mean(&r.group_sizes);
        self.report.add(Figure::ratio(
            format!("(1h) what-if: grouped commits (load + decide as usual, {per_tx:.1} commands per transaction, 2 committers)"),
            described(&r.grouped),
            format!("raw autocommit INSERT: {raw_rate}"),
            vs_raw(&r.grouped),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1i) what-if: no load of a server-generated new stream + no acquire ping + NOTIFY after COMMIT",
            described(&r.cheap),
            format!("raw autocommit INSERT: {raw_rate}"),
            vs_raw(&r.cheap),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            format!(
                "(1j) what-if: (1i) + grouped commits ({:.1} commands per transaction)",
                mean(&r.all_sizes)
            ),
            described(&r.all),
            format!("raw autocommit INSERT: {raw_rate}"),
            vs_raw(&r.all),
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
        let load = hot::hot_load(&self.store, case_id, 20).await?;
        self.report.note(format!(
            "profile: loading the hot case ({} events) takes {} with its snapshot ({} KiB of JSON) and {} replaying every event; \
             decoding that snapshot as the store does (jsonb -> serde_json::Value -> Case) takes {}, straight from its text {}",
            n + 1,
            millis(load.with_snapshot),
            load.snapshot_bytes / 1024,
            millis(load.from_zero),
            millis(load.decode_via_value),
            millis(load.decode_direct),
        ));
        let cached = hot::hot_case_cached(&self.store, n).await?;
        self.tenths(
            "(2b) what-if: same, last committed state cached in memory: last tenth",
            &cached,
            Target::None,
        );
        Ok(())
    }

    fn tenths(&mut self, label: &str, durations: &[Duration], target: Target) {
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
    }
}
