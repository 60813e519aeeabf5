//! Phases (1) and (2): the write path beside the raw INSERT ceiling, with
//! what-ifs that show what each suspected cost is worth, and the hot case.

use std::sync::Arc;
use std::time::Duration;

use domain::clock::Clock;
use store::vault::Vault;
use store::EventStore;

use super::{per_s, Bench};
use crate::bench::db::{self, WaitSampler, RAW_NOTIFIED_TABLE, RAW_TABLE};
use crate::bench::report::{millis, rate, Figure, Latency, Target};
use crate::bench::writes::{self, Run};
use crate::bench::{profile, Fail};
use crate::commands::CommandService;

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
}

fn described(r: &Run) -> String {
    format!("{} ({})", per_s(r.rate()), r.latency().describe())
}

impl Bench<'_> {
    /// (1): openCase through CommandService vs raw INSERTs, alternating.
    pub(super) async fn writes(&mut self) -> Result<(), Fail> {
        self.heading("(1) command append rate vs raw INSERT");
        let w = self.args.writers;
        let n = (self.scale.commands / self.scale.rounds).max(1);
        let pool = self.store.pool().clone();
        let lean = db::app_pool_without_ping(&self.url, self.args.connections).await?;
        let lean_store = EventStore::new(lean.clone(), crate::app::domain_upcasters());
        let lean_commands = Arc::new(CommandService::new(
            lean_store.clone(),
            Vault::new(self.secrets.master_key),
            Clock::system(),
        ));
        let docs = writes::sample_event_documents().await?;
        let mut r = Runs::default();
        for round in 0..self.scale.rounds {
            println!("  round {} of {}", round + 1, self.scale.rounds);
            // Only the first round is sampled; each sampler covers exactly one variant.
            let sample = round == 0;
            let sampler = self.sampler(sample).await?;
            r.raw
                .absorb(writes::raw_inserts(&pool, RAW_TABLE, n, w, false, &docs).await?);
            self.waits(sampler, "raw INSERT").await?;
            let sampler = self.sampler(sample).await?;
            r.command
                .absorb(writes::open_cases(&self.commands, n, w, false, None).await?);
            self.waits(sampler, "openCase").await?;
            r.raw_tx
                .absorb(writes::raw_inserts(&pool, RAW_TABLE, n, w, true, &docs).await?);
            r.keyed
                .absorb(writes::open_cases(&self.commands, n, w, true, None).await?);
            let sampler = self.sampler(sample).await?;
            let notified =
                writes::raw_inserts(&pool, RAW_NOTIFIED_TABLE, n, w, false, &docs).await?;
            r.raw_notified.absorb(notified);
            self.waits(sampler, "raw INSERT with the NOTIFY trigger")
                .await?;
            r.lean_raw
                .absorb(writes::raw_inserts(&lean, RAW_TABLE, n, w, false, &docs).await?);
            r.lean_command
                .absorb(writes::open_cases(&lean_commands, n, w, false, None).await?);
            db::notify_trigger(&self.url, false).await?;
            let sampler = self.sampler(sample).await?;
            let run = writes::open_cases(&self.commands, n, w, false, Some(pool.clone())).await;
            let waited = self
                .waits(sampler, "openCase, trigger disabled, NOTIFY after COMMIT")
                .await;
            db::notify_trigger(&self.url, true).await?;
            r.without_trigger.absorb(run?);
            waited?;
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

    async fn waits(&mut self, sampler: Option<WaitSampler>, what: &str) -> Result<(), Fail> {
        if let Some(sampler) = sampler {
            let top = sampler.finish().await?;
            self.report
                .note(format!("profile: PostgreSQL sessions during {what}: {top}"));
        }
        Ok(())
    }

    async fn sampler(&self, wanted: bool) -> Result<Option<WaitSampler>, Fail> {
        Ok(if wanted {
            Some(WaitSampler::start(&self.url).await?)
        } else {
            None
        })
    }

    fn write_figures(&mut self, r: &Runs) {
        let w = self.args.writers;
        self.command_rate = Some(r.command.rate());
        let raw_rate = per_s(r.raw.rate());
        self.report.add(Figure::ratio(
            format!("(1) openCase via CommandService, {w} writers, new case each"),
            described(&r.command),
            format!("raw autocommit INSERT, same pool: {}", described(&r.raw)),
            r.command.rate() / r.raw.rate(),
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
            r.keyed.rate() / r.raw.rate(),
            Target::None,
        ));
        self.report.add(Figure::ratio(
            "(1d) raw INSERT into a table with the events table's NOTIFY trigger",
            described(&r.raw_notified),
            format!("raw autocommit INSERT: {raw_rate}"),
            r.raw_notified.rate() / r.raw.rate(),
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
            r.without_trigger.rate() / r.raw.rate(),
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
    }

    /// (2): one hot case.
    pub(super) async fn hot(&mut self) -> Result<(), Fail> {
        self.heading("(2) one hot case, sequential commands");
        let n = self.scale.hot;
        let (case_id, durations) = writes::hot_case(&self.commands, n).await?;
        let tenth = (durations.len() / 10).max(1);
        let first: Vec<Duration> = durations.iter().take(tenth).copied().collect();
        let last: Vec<Duration> = durations.iter().rev().take(tenth).copied().collect();
        let rate_of = |d: &[Duration]| rate(d.len() as u64, d.iter().sum());
        let (first_rate, last_rate) = (rate_of(&first), rate_of(&last));
        self.report.add(Figure::ratio(
            format!("(2) hot case, {n} sequential provideSupport: last tenth"),
            format!(
                "{} ({})",
                per_s(last_rate),
                Latency::of(&mut last.clone()).describe()
            ),
            format!(
                "first tenth: {} ({})",
                per_s(first_rate),
                Latency::of(&mut first.clone()).describe()
            ),
            last_rate / first_rate,
            Target::AtLeast(0.9),
        ));
        let (with_snapshot, bytes, from_zero) = profile::hot_load(&self.store, case_id, 20).await?;
        self.report.note(format!(
            "profile: loading the hot case ({} events) takes {} with its snapshot ({} KiB of JSON) and {} replaying every event",
            n + 1,
            millis(with_snapshot),
            bytes / 1024,
            millis(from_zero)
        ));
        Ok(())
    }
}
