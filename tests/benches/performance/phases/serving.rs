//! Phase (3), and the server for (4) and (5): the real server over HTTP.

use std::time::Duration;

use chrono::{Duration as Days, Utc};
use domain::values::Role;
use uuid::Uuid;

use super::{per_s, Bench};
use crate::cpu::{per_operation_us, CpuMeter};
use crate::report::{rate, Figure, Latency, Target};
use crate::server::Server;
use crate::{load, writes, wrk, Fail};

impl Bench<'_> {
    /// A case of `history` events, made once.
    pub(super) async fn history_case(&mut self) -> Result<Uuid, Fail> {
        if let Some(id) = self.history_case {
            return Ok(id);
        }
        let id = writes::long_case(&self.store, self.scale.history).await?;
        self.history_case = Some(id);
        Ok(id)
    }

    pub(super) async fn start_server(&self) -> Result<Server, Fail> {
        Server::start(&self.mode, &self.url, &self.secrets, self.args.connections).await
    }

    /// caseHistory of the long case over HTTP.
    pub(super) async fn case_history(&mut self, server: &Server) -> Result<Latency, Fail> {
        let case_id = self.history_case().await?;
        let token = load::token(&self.secrets.jwt, Role::Auditor)?;
        let (mut latencies, events, bytes) =
            load::case_history(&server.base, &token, case_id, self.scale.samples / 2).await?;
        if events as u64 != self.scale.history {
            return Err(format!(
                "caseHistory returned {events} events, not {}",
                self.scale.history
            )
            .into());
        }
        println!(
            "  caseHistory answer: {events} events, {} KiB",
            bytes / 1024
        );
        Ok(Latency::of(&mut latencies))
    }

    /// openCase mutations from wrk over 32 connections for `duration`;
    /// returns successes per second.
    pub(super) async fn mutations(
        &mut self,
        server: &Server,
        duration: Duration,
        label: &str,
    ) -> Result<f64, Fail> {
        let token = load::token(&self.secrets.jwt, Role::Counsellor)?;
        let opened_at = (Utc::now() - Days::hours(1)).to_rfc3339();
        let cpu = CpuMeter::start(self.store.pool(), server.pid()).await?;
        let load = wrk::mutations(
            &server.base,
            &token,
            wrk::Mutation::OpenCase,
            &opened_at,
            self.args.clients,
            duration,
        )
        .await?;
        let ok = load.answered.saturating_sub(load.failed);
        let mut cpu = cpu.per_operation(self.store.pool(), load.answered).await?;
        // The load generator is wrk, not this process.
        cpu.client_us = per_operation_us(load.cpu_ticks, load.answered);
        self.report.note(format!(
            "profile, {label}: CPU per mutation {}",
            cpu.describe()
        ));
        let throughput = rate(ok, load.elapsed);
        if load.failed > 0 || load.socket_errors > 0 {
            self.report.note(format!(
                "{label}: {} of {} mutations failed, {} connection errors (first failure: {})",
                load.failed,
                load.answered,
                load.socket_errors,
                load.first_error.unwrap_or_default()
            ));
        }
        if ok == 0 {
            return Err(format!("{label}: no mutation succeeded").into());
        }
        let measured = format!(
            "{} ({}), {ok} ok",
            per_s(throughput),
            load.latency.describe()
        );
        let figure = match self.command_rate {
            Some(baseline) => Figure::ratio(
                label,
                measured,
                format!("(1) openCase via CommandService: {}", per_s(baseline)),
                throughput / baseline,
                Target::None,
            ),
            None => Figure::plain(label, measured),
        };
        self.report.add(figure);
        Ok(throughput)
    }

    /// (3): GraphQL over HTTP against the real server.
    pub(super) async fn http(&mut self) -> Result<(), Fail> {
        self.heading("(3) GraphQL over HTTP");
        self.history_case().await?;
        let server = self.start_server().await?;
        let label = format!(
            "(3) GraphQL openCase over HTTP, {} connections, at {} events",
            self.args.clients,
            self.events().await?
        );
        let result = self
            .mutations(&server, self.scale.request_time, &label)
            .await;
        let history = match result {
            Ok(throughput) => {
                self.small_e2e = Some(throughput);
                self.case_history(&server).await
            }
            Err(e) => Err(e),
        };
        let rss = server.resident();
        server.stop().await;
        let history = history?;
        self.report.add(Figure::plain(
            format!(
                "(4) caseHistory of a {}-event case via GraphQL over HTTP, at {} events",
                self.scale.history,
                self.events().await?
            ),
            history.describe(),
        ));
        self.small_history = Some(history);
        if let Some((rss, peak)) = rss {
            self.report.add(Figure::plain(
                "server resident memory after (3)",
                format!("{rss:.0} MiB (peak {peak:.0} MiB)"),
            ));
            self.small_rss = Some(rss);
        }
        Ok(())
    }
}
