//! The run: every phase in order, on one database, one machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::clock::Clock;
use store::vault::Vault;
use store::EventStore;
use uuid::Uuid;

use super::report::{load_average, machine, rate, Figure, Latency, Report, Target};
use super::server::{Mode, Secrets, Server};
use super::{activity, db, peer, reads, BenchArgs, Fail, Phase, Scale};
use api::commands::CommandService;

mod end_to_end;
mod serving;
mod writing;

struct Bench<'a> {
    args: &'a BenchArgs,
    scale: Scale,
    url: String,
    mode: Mode,
    secrets: Secrets,
    store: EventStore,
    commands: Arc<CommandService>,
    report: Report,
    /// (1)'s openCase rate, the baseline of (3).
    command_rate: Option<f64>,
    /// Figures at the small log, the baselines of the same at 1M.
    small_stats: Option<Latency>,
    small_history: Option<Latency>,
    small_rss: Option<f64>,
    small_e2e: Option<f64>,
    history_case: Option<Uuid>,
    /// The stock stack, set up on first use.
    peer: Option<Arc<peer::Peer>>,
}

pub(super) fn per_s(r: f64) -> String {
    format!("{r:.0}/s")
}

fn wants(args: &BenchArgs, phase: Phase) -> bool {
    args.only.is_empty() || args.only.contains(&phase)
}

pub async fn run(args: &BenchArgs, scale: Scale) -> Result<(), Fail> {
    let started = Instant::now();
    let url = args.database_url.clone();
    let name = db::database_name(&url)?;
    let mode = Mode::choose(args.in_process, args.server_binary.clone())?;
    println!(
        "casetrail performance bench — {}",
        if args.quick {
            "quick smoke run"
        } else {
            "full run"
        }
    );
    println!("machine: {}", machine());
    db::recreate(&url).await?;
    let pool = db::app_pool(&url, args.connections).await?;
    println!(
        "database: {name} (dropped and recreated), {}",
        db::server_description(&pool).await?
    );
    println!("server: {}", mode.describe());
    println!("scale: {scale:?}");
    let secrets = Secrets::random();
    let store = EventStore::new(pool, domain::upcasters::upcasters());
    let commands = Arc::new(CommandService::new(
        store.clone(),
        Vault::new(secrets.master_key),
        Clock::system(),
    ));
    let mut bench = Bench {
        args,
        scale,
        url,
        mode,
        secrets,
        store,
        commands,
        report: Report::default(),
        command_rate: None,
        small_stats: None,
        small_history: None,
        small_rss: None,
        small_e2e: None,
        history_case: None,
        peer: None,
    };
    if wants(args, Phase::Reads) {
        bench.small_log().await?;
    }
    if wants(args, Phase::Writes) {
        bench.writes().await?;
    }
    if wants(args, Phase::Hot) {
        bench.hot().await?;
    }
    if wants(args, Phase::Http) {
        bench.http().await?;
    }
    if wants(args, Phase::EndToEnd) {
        bench.end_to_end().await?;
    }
    if wants(args, Phase::Reads) {
        bench.large_log().await?;
    }
    bench.report.note(format!(
        "load average at the end: {}; total bench time {:.0} s",
        load_average(),
        started.elapsed().as_secs_f64()
    ));
    println!("\n{}", bench.report.table());
    Ok(())
}

impl Bench<'_> {
    fn heading(&self, title: &str) {
        println!("\n== {title} (load average {}) ==", load_average());
    }

    async fn events(&self) -> Result<u64, Fail> {
        db::event_count(self.store.pool()).await
    }

    /// A store like the server's (snapshots verified) that has seen nothing.
    fn fresh_store(&self) -> EventStore {
        EventStore::new(self.store.pool().clone(), domain::upcasters::upcasters())
            .with_snapshot_keys(Vault::new(self.secrets.master_key).master_keys())
    }

    /// The stock stack on this database, set up once.
    async fn peer(&mut self) -> Result<Arc<peer::Peer>, Fail> {
        if let Some(peer) = &self.peer {
            return Ok(peer.clone());
        }
        let peer = Arc::new(peer::Peer::set_up(&self.url, self.args.connections).await?);
        self.peer = Some(peer.clone());
        Ok(peer)
    }

    /// (4) at the small size: the log recorded through the command path.
    async fn small_log(&mut self) -> Result<(), Fail> {
        self.heading("small log through the command path");
        let (run, commands) =
            activity::mixed_activity(&self.commands, self.scale.small, self.args.writers, 11)
                .await?;
        let events = self.events().await?;
        self.report.add(Figure::plain(
            format!("mixed commands (calls, counselling, cases, referrals, rescues, support), {} writers", self.args.writers),
            format!("{commands} commands, {events} events in {:.1} s: {} commands", run.elapsed.as_secs_f64(), per_s(rate(commands, run.elapsed))),
        ));
        db::settle(&self.url).await?;
        let figures = reads::rebuild(&self.url, &self.store).await?;
        self.report.add(Figure::ratio(
            format!("projector full rebuild at {} events", figures.events),
            format!("{} events", per_s(figures.rebuild_rate)),
            format!(
                "one SELECT + deserialise: {} events",
                per_s(figures.raw_rate)
            ),
            figures.rebuild_rate / figures.raw_rate,
            Target::None,
        ));
        self.peer_replay().await?;
        db::settle(&self.url).await?;
        let (mut latencies, calls) =
            reads::statistics_latency(self.store.pool(), self.scale.samples).await?;
        let small = Latency::of(&mut latencies);
        self.report.add(Figure::plain(
            format!("statistics query (report period) at {events} events"),
            format!("{} ({calls} calls counted)", small.describe()),
        ));
        self.small_stats = Some(small);
        Ok(())
    }

    /// (P3) the same Case events into a read model: casetrail's `cases`
    /// rebuild vs the stock stack's `QueryReplay` into a `GenericQuery`.
    async fn peer_replay(&mut self) -> Result<(), Fail> {
        let (ours, our_time) = reads::rebuild_cases(&self.url, &self.store).await?;
        let peer = self.peer().await?;
        let (theirs, their_time) = peer::replay_cases(&peer).await?;
        let (our_rate, their_rate) = (rate(ours, our_time), rate(theirs, their_time));
        self.report.add(Figure::ratio(
            format!("(P3) peers: the log's {ours} Case events into a case list: casetrail's `cases` rebuild"),
            format!("{} events", per_s(our_rate)),
            format!(
                "cqrs-es QueryReplay into a postgres-es GenericQuery view, {theirs} events: {} events",
                per_s(their_rate)
            ),
            our_rate / their_rate,
            Target::None,
        ));
        Ok(())
    }

    /// Appends realistic events in batches until the log holds `size`.
    async fn grow_to(&mut self, size: u64) -> Result<(), Fail> {
        let have = self.events().await?;
        if have >= size {
            return Ok(());
        }
        let started = Instant::now();
        let added =
            casetrail_tests::synthetic::fill_batches(&self.store, size - have, 2, size).await?;
        let elapsed = started.elapsed();
        let settling = Instant::now();
        db::settle(&self.url).await?;
        println!(
            "  VACUUM (ANALYZE) after the fill: {:.1} s",
            settling.elapsed().as_secs_f64()
        );
        self.report.note(format!(
            "log grown from {have} to {} events with realistic calls and cases (report period and regional shares) \
             decided in memory and appended in batches of ~5000 events per transaction across many new streams \
             (store::EventStore::commit of a UnitOfWork: the store's append with its hash chain), 2 writers: \
             {:.1} s, {} events; not through the command path",
            have + added,
            elapsed.as_secs_f64(),
            per_s(rate(added, elapsed))
        ));
        Ok(())
    }

    async fn rebuild_figure(&mut self, label: &str) -> Result<(), Fail> {
        let f = reads::rebuild(&self.url, &self.store).await?;
        self.report.add(Figure::ratio(
            format!(
                "{label} projector full rebuild (4 projections) at {} events, {:.1} s",
                f.events,
                f.rebuild_elapsed.as_secs_f64()
            ),
            format!("{} events", per_s(f.rebuild_rate)),
            format!(
                "one SELECT + deserialise of the same {} events: {}",
                f.raw_events,
                per_s(f.raw_rate)
            ),
            f.rebuild_rate / f.raw_rate,
            Target::None,
        ));
        Ok(())
    }

    /// (4) and (5) at the large size.
    async fn large_log(&mut self) -> Result<(), Fail> {
        self.heading("(4) rebuild and reads at size; (5) memory");
        self.grow_to(self.scale.rebuild).await?;
        self.rebuild_figure("(4)").await?;
        self.grow_to(self.scale.large).await?;
        self.rebuild_figure("(4)").await?;
        // The rebuilt read models are new tables: analyse them as autovacuum would.
        db::settle(&self.url).await?;
        let events = self.events().await?;
        let (mut latencies, calls) =
            reads::statistics_latency(self.store.pool(), self.scale.samples).await?;
        let large = Latency::of(&mut latencies);
        let measured = format!("{} ({calls} calls counted)", large.describe());
        let label = format!("(4) statistics query (report period) at {events} events");
        self.report.add(match self.small_stats {
            Some(small) => Figure::ratio(
                label,
                measured,
                format!("at the small log: {}", small.describe()),
                large.p50.as_secs_f64() / small.p50.as_secs_f64().max(1e-9),
                Target::None,
            ),
            None => Figure::plain(label, measured),
        });
        self.history_case().await?;
        let server = self.start_server().await?;
        let result = self.served_at_size(&server, events).await;
        let rss = server.resident();
        server.stop().await;
        result?;
        if let Some((rss, peak)) = rss {
            let label = format!(
                "(5) server resident memory at {} events",
                self.events().await?
            );
            let measured = format!("{rss:.0} MiB (peak {peak:.0} MiB)");
            self.report.add(match self.small_rss {
                Some(small) => Figure::ratio(
                    label,
                    measured,
                    format!("after (3), small log: {small:.0} MiB"),
                    rss / small,
                    Target::None,
                ),
                None => Figure::plain(label, measured),
            });
        }
        Ok(())
    }

    /// At the large size: caseHistory, a burst of mutations, projections.
    async fn served_at_size(&mut self, server: &Server, events: u64) -> Result<(), Fail> {
        let history = self.case_history(server).await?;
        let label = format!(
            "(4) caseHistory of a {}-event case via GraphQL over HTTP, at {events} events",
            self.scale.history
        );
        self.report.add(match self.small_history {
            Some(small) => Figure::ratio(
                label,
                history.describe(),
                format!("at the small log: {}", small.describe()),
                history.p50.as_secs_f64() / small.p50.as_secs_f64().max(1e-9),
                Target::None,
            ),
            None => Figure::plain(label, history.describe()),
        });
        let duration = (self.scale.request_time / 3).max(Duration::from_secs(2));
        let label = format!(
            "GraphQL openCase over HTTP, {} connections, at {events} events",
            self.args.clients
        );
        let throughput = self.mutations(server, duration, &label).await?;
        if let Some(small) = self.small_e2e {
            self.report.note(format!(
                "HTTP openCase throughput at {events} events is {:.2} of that at the small log",
                throughput / small
            ));
        }
        let statuses = projections::status(self.store.pool()).await?;
        if statuses.iter().any(|s| s.running) {
            projections::wait_until_caught_up(self.store.pool(), Duration::from_secs(120)).await?;
            self.report
                .note("the server's projectors caught up with the log before its memory was read");
        } else {
            self.report.note(
                "the server runs no projector (Application::build does not start them yet): projections were \
                 brought to the head by the rebuild, and memory is the serving process's alone",
            );
        }
        Ok(())
    }
}
