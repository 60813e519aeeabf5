//! Phase (E), issue 11's figures: receiveCall over HTTP beside pgbench's
//! one-row INSERT in the same run, the server's CPU per request, and the
//! statements PostgreSQL runs per event and per command (counted from its
//! log, `statements.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use domain::clock::Clock;
use domain::values::{CallCategory, CallerType, Channel, Region, Role, SupportService};
use store::vault::Vault;
use store::EventStore;

use super::{per_s, Bench};
use crate::cpu::CpuMeter;
use crate::report::{load_average, millis, rate, Figure, Target};
use crate::statements::{self, StatementLog};
use crate::wrk::{self, Mutation};
use crate::{db, load, pgbench, writes, Fail};
use api::commands::CommandService;
use api::graphql::inputs::{ProvideSupportInput, ReceiveCallInput};
use casetrail_tests::synthetic::bench_context;
use slices::{Sliced, E1_SLICES};

mod slices;

/// Sequential commands whose statements are counted per command.
const COUNTED_COMMANDS: u64 = 100;

fn receive_call_input() -> ReceiveCallInput {
    ReceiveCallInput {
        id: None,
        received_at: Utc::now() - Days::minutes(30),
        channel: Channel::Voice.into(),
        region: Some(Region::Southeast.into()),
        province: None,
        country: None,
        caller_type: CallerType::Victim.into(),
        category: CallCategory::Information.into(),
        topics: None,
        duration_seconds: None,
        category_code: None,
        topic_codes: None,
    }
}

fn support_input(case_id: uuid::Uuid) -> ProvideSupportInput {
    ProvideSupportInput {
        id: None,
        case_id,
        person_id: None,
        service: SupportService::Medical.into(),
        provided_at: Utc::now() - Days::minutes(30),
    }
}

impl Bench<'_> {
    fn receive_load(&self) -> Result<(String, String), Fail> {
        let token = load::token(&self.secrets.jwt, Role::Counsellor)?;
        Ok((token, (Utc::now() - Days::hours(1)).to_rfc3339()))
    }

    /// (E): everything issue 11 measures.
    pub(super) async fn end_to_end(&mut self) -> Result<(), Fail> {
        self.heading("(E) receiveCall over HTTP vs pgbench's one-row INSERT");
        let (token, at) = self.receive_load()?;
        let clients = self.args.clients;
        let server = self.start_server().await?;
        // Warm: connections, the server's caches, PostgreSQL's buffers.
        wrk::mutations(
            &server.base,
            &token,
            Mutation::ReceiveCall,
            &at,
            clients,
            Duration::from_secs(3),
        )
        .await?;
        let slice =
            Duration::from_secs(self.scale.request_time.as_secs().div_ceil(E1_SLICES).max(2));
        let before = self.events().await?;
        let mut sum = Sliced::default();
        for _ in 0..E1_SLICES {
            let cpu = CpuMeter::start(self.store.pool(), server.pid()).await?;
            let load = wrk::mutations(
                &server.base,
                &token,
                Mutation::ReceiveCall,
                &at,
                clients,
                slice,
            )
            .await?;
            let mut cost = cpu.per_operation(self.store.pool(), load.answered).await?;
            // The load generator is wrk (a child this process reaped), beside
            // this process's own share (it only waits for wrk).
            cost.client_us += crate::cpu::per_operation_us(load.cpu_ticks, load.answered);
            // pgbench runs beside an idle server: the projectors first finish
            // the events of the slice (how long that takes is noted).
            let waited = Instant::now();
            if !statements::projections_caught_up(&self.url, Duration::from_secs(60)).await? {
                return Err("the projections did not catch up within 60 s of an (E1) slice".into());
            }
            let catch_up = waited.elapsed();
            let tps = pgbench::one_row_inserts(&self.url, self.args.writers, slice).await?;
            sum.add(&load, &cost, tps, catch_up);
        }
        let appended = self.events().await?.saturating_sub(before);
        server.stop().await;
        let throughput = rate(sum.ok, sum.elapsed);
        let tps = sum.tps.iter().sum::<f64>() / sum.tps.len().max(1) as f64;
        let (low, high) = sum.ratio_range();
        self.report.add(Figure::ratio(
            format!("(E1) GraphQL receiveCall over HTTP, wrk {clients} connections, projectors live (target >= 1.0, floor 0.5)"),
            format!(
                "{} ({E1_SLICES} slices of {} s, each followed by pgbench's; slices' ratios {low:.2}-{high:.2}; slices' p50 {}, highest p99 {}), {} ok, {} failed, {} connection errors, {appended} events appended; load average {}",
                per_s(throughput),
                slice.as_secs(),
                sum.p50_range(),
                millis(sum.p99),
                sum.ok,
                sum.failed,
                sum.socket_errors,
                load_average()
            ),
            format!(
                "pgbench one-row INSERT per transaction, {} clients, same PostgreSQL, in the slices between: {tps:.0} tps (mean of {})",
                self.args.writers,
                sum.tps.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", ")
            ),
            throughput / tps,
            Target::AtLeast(1.0),
        ));
        self.report.note(format!(
            "(E1) the projectors caught up within {} of each slice's end (before its pgbench slice; not counted in the rate)",
            millis(sum.catch_up)
        ));
        let cost = sum.cost();
        let p99 = sum.p99.as_secs_f64() * 1e3;
        self.report.add(Figure::ratio(
            "(E2) p99 of (E1), ms (its highest slice's)",
            millis(sum.p99),
            "",
            p99,
            Target::AtMost(25.0),
        ));
        let server_us = cost.process_us.unwrap_or(f64::NAN);
        self.report.add(Figure::ratio(
            "(E3) casetrail server CPU per receiveCall in (E1), µs",
            cost.describe(),
            "",
            server_us,
            Target::AtMost(250.0),
        ));
        match StatementLog::find(&self.url)? {
            Some(log) => {
                log.enable().await?;
                let counted = self.count_statements(&log).await;
                log.disable().await?;
                counted?;
            }
            None => self.report.note(
                "(E4)-(E6) not measured: PostgreSQL's log is not readable here (CASETRAIL_BENCH_PG_LOG)",
            ),
        }
        Ok(())
    }

    /// (E4)-(E6), with every statement of new sessions logged.
    async fn count_statements(&mut self, log: &StatementLog) -> Result<(), Fail> {
        let (token, at) = self.receive_load()?;
        let server = self.start_server().await?;
        wrk::mutations(
            &server.base,
            &token,
            Mutation::ReceiveCall,
            &at,
            self.args.clients,
            Duration::from_secs(1),
        )
        .await?;
        statements::projections_caught_up(&self.url, Duration::from_secs(30)).await?;
        let before = statements::event_count(&self.url).await?;
        let marker = log.marker()?;
        wrk::mutations(
            &server.base,
            &token,
            Mutation::ReceiveCall,
            &at,
            self.args.clients,
            Duration::from_secs(5),
        )
        .await?;
        let caught_up =
            statements::projections_caught_up(&self.url, Duration::from_secs(60)).await?;
        let events = statements::event_count(&self.url)
            .await?
            .saturating_sub(before);
        let counted = log.count_since(marker)?;
        server.stop().await;
        let per_event = counted.statements as f64 / events.max(1) as f64;
        self.report.add(Figure::ratio(
            format!("(E4) SQL statements per receiveCall, all sessions (commands, {} projectors, listener), 5 s at {} connections", projections::PROJECTIONS.len(), self.args.clients),
            format!("{} statements for {events} events{}", counted.statements, if caught_up { "" } else { " (projections had not caught up)" }),
            "",
            per_event,
            Target::AtMost(3.0),
        ));
        self.report.note(format!(
            "(E4) most frequent statements: {}",
            counted.top_described()
        ));
        self.round_trips(log).await
    }

    /// (E5), (E6): statements per command on its own path, one command at
    /// a time, through `CommandService` on a pool whose one session logs.
    async fn round_trips(&mut self, log: &StatementLog) -> Result<(), Fail> {
        let pool = db::app_pool(&self.url, 1).await?;
        // The session exists (and its SET ROLE ran) before anything is counted.
        sqlx::query(&format!("{} SELECT 1", statements::UNCOUNTED))
            .execute(&pool)
            .await?;
        let service = |pool: &sqlx::PgPool| {
            Arc::new(CommandService::new(
                EventStore::new(pool.clone(), domain::upcasters::upcasters()),
                Vault::new(self.secrets.master_key),
                Clock::system(),
            ))
        };
        let commands = service(&pool);
        let ctx = bench_context();
        // One command first: the notifier's session (it takes the pool's
        // connection for its own) and the pool's new connection, with its
        // SET ROLE, are set up once per process, not per command.
        commands
            .receive_call(&ctx, receive_call_input())
            .await
            .map_err(|e| format!("receiveCall failed: {e}"))?;
        tokio::time::sleep(Duration::from_millis(50)).await;
        sqlx::query(&format!("{} SELECT 1", statements::UNCOUNTED))
            .execute(&pool)
            .await?;
        let marker = log.marker()?;
        for _ in 0..COUNTED_COMMANDS {
            commands
                .receive_call(&ctx, receive_call_input())
                .await
                .map_err(|e| format!("receiveCall failed: {e}"))?;
        }
        let counted = log.count_since(marker)?;
        self.report
            .note(format!("(E5) statements: {}", counted.top_described()));
        let per_command = |n: u64| n as f64 / COUNTED_COMMANDS as f64;
        let minted = per_command(counted.statements - counted.notifies);
        self.report.add(Figure::ratio(
            "(E5) round trips per receiveCall with a server-generated id, sequential: statements the command waits for",
            format!(
                "{COUNTED_COMMANDS} commands: {} statements, of which {} the notifier's NOTIFY after the answer ({:.2} per command)",
                counted.statements,
                counted.notifies,
                per_command(counted.notifies)
            ),
            "",
            minted,
            Target::AtMost(1.0),
        ));
        let case = commands
            .open_case(&ctx, writes::open_case_input(false, 0))
            .await
            .map_err(|e| format!("openCase failed: {e}"))?
            .loaded
            .id;
        let marker = log.marker()?;
        for _ in 0..COUNTED_COMMANDS {
            commands
                .provide_support(&ctx, support_input(case))
                .await
                .map_err(|e| format!("provideSupport failed: {e}"))?;
        }
        let counted = log.count_since(marker)?;
        let warm = per_command(counted.statements - counted.notifies);
        // A process that has not seen the case (a restart, another server).
        let fresh = service(&pool);
        let marker = log.marker()?;
        fresh
            .provide_support(&ctx, support_input(case))
            .await
            .map_err(|e| format!("provideSupport failed: {e}"))?;
        let first = log.count_since(marker)?;
        let cold = (first.statements - first.notifies) as f64;
        self.report.add(Figure::ratio(
            "(E6) round trips per provideSupport on an existing case, sequential: statements the command waits for (the first after a restart in the baseline column)",
            format!(
                "{COUNTED_COMMANDS} commands, this process ran the earlier ones: {} statements, of which {} the notifier's NOTIFY ({:.2} per command)",
                counted.statements,
                counted.notifies,
                per_command(counted.notifies)
            ),
            format!("first command in a fresh process: {cold:.0} (and {} NOTIFY)", first.notifies),
            warm.max(cold),
            Target::AtMost(2.0),
        ));
        pool.close().await;
        Ok(())
    }
}
