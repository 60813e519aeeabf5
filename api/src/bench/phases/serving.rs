//! Phase (3), and the server for (4) and (5): the real server over HTTP.

use domain::values::Role;
use uuid::Uuid;

use super::{per_s, Bench};
use crate::bench::cpu::CpuMeter;
use crate::bench::report::{rate, Figure, Latency, Target};
use crate::bench::server::Server;
use crate::bench::{load, writes, Fail};

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

    /// 32 clients of openCase mutations; returns successes per second.
    pub(super) async fn mutations(
        &mut self,
        server: &Server,
        n: u64,
        label: &str,
    ) -> Result<f64, Fail> {
        let token = load::token(&self.secrets.jwt, Role::Counsellor)?;
        let cpu = CpuMeter::start(self.store.pool(), server.pid()).await?;
        let load = load::open_cases(
            &server.base,
            &token,
            n,
            self.args.clients,
            self.scale.request_cap,
        )
        .await?;
        let ok = load.run.count.saturating_sub(load.errors);
        let cpu = cpu.per_operation(self.store.pool(), load.run.count).await?;
        self.report.note(format!(
            "profile, {label}: CPU per mutation {}",
            cpu.describe()
        ));
        let throughput = rate(ok, load.run.elapsed);
        if load.errors > 0 {
            self.report.note(format!(
                "{label}: {} of {} mutations failed (first: {})",
                load.errors,
                load.run.count,
                load.first_error.unwrap_or_default()
            ));
        }
        let measured = format!(
            "{} ({}), {ok} ok",
            per_s(throughput),
            load.run.latency().describe()
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
            "(3) GraphQL openCase over HTTP, {} clients, at {} events",
            self.args.clients,
            self.events().await?
        );
        let result = self.mutations(&server, self.scale.requests, &label).await;
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
