//! CPU accounting of one measured run: this process and the PostgreSQL
//! backends serving the bench database, from /proc (clock ticks of 10 ms,
//! so only meaningful over thousands of operations). It separates what a
//! variant costs from how busy the machine was while it ran.

use std::collections::BTreeMap;

use sqlx::PgPool;

use super::Fail;

/// Linux's USER_HZ on every mainstream architecture.
const TICKS_PER_SECOND: f64 = 100.0;
/// The wait sampler's session, which is not part of any variant.
pub const SAMPLER_APPLICATION: &str = "casetrail-bench-sampler";

/// User + system CPU ticks of a process, if it still exists.
fn ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, after_comm) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// User + system CPU ticks of this process's children that it has reaped
/// (waited for): a child's whole CPU once it has exited.
pub fn reaped_children_ticks() -> u64 {
    let read = || {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let (_, after_comm) = stat.rsplit_once(')')?;
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        let user: u64 = fields.get(13)?.parse().ok()?;
        let system: u64 = fields.get(14)?.parse().ok()?;
        Some(user + system)
    };
    read().unwrap_or(0)
}

/// Microseconds of CPU per operation, from clock ticks.
pub fn per_operation_us(ticks: u64, operations: u64) -> f64 {
    ticks as f64 / TICKS_PER_SECOND * 1e6 / operations.max(1) as f64
}

async fn backends(pool: &PgPool) -> Result<Vec<String>, Fail> {
    let pids: Vec<i32> = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
           AND application_name <> $1",
    )
    .bind(SAMPLER_APPLICATION)
    .fetch_all(pool)
    .await?;
    Ok(pids.into_iter().map(|p| p.to_string()).collect())
}

pub struct CpuMeter {
    client: u64,
    process: Option<(String, u64)>,
    server: BTreeMap<String, u64>,
}

/// CPU time per operation, in microseconds.
pub struct CpuCost {
    /// This (bench) process.
    pub client_us: f64,
    /// The server process under test, when it is a child.
    pub process_us: Option<f64>,
    /// The PostgreSQL backends of the bench database.
    pub server_us: f64,
}

impl CpuCost {
    pub fn describe(&self) -> String {
        let total = self.client_us + self.server_us + self.process_us.unwrap_or(0.0);
        match self.process_us {
            Some(p) => format!(
                "{:.0} µs load generator + {p:.0} µs casetrail server + {:.0} µs PostgreSQL = {total:.0} µs",
                self.client_us, self.server_us
            ),
            None => format!(
                "{:.0} µs bench process + {:.0} µs PostgreSQL = {total:.0} µs",
                self.client_us, self.server_us
            ),
        }
    }
}

impl CpuMeter {
    /// Starts counting this process, the PostgreSQL backends of the bench
    /// database and, if given, another process (the server under test).
    pub async fn start(pool: &PgPool, process: Option<u32>) -> Result<Self, Fail> {
        let server = backends(pool)
            .await?
            .into_iter()
            .filter_map(|pid| ticks(&pid).map(|t| (pid, t)))
            .collect();
        let process = process
            .map(|p| p.to_string())
            .and_then(|p| ticks(&p).map(|t| (p, t)));
        Ok(Self {
            client: ticks("self").unwrap_or(0),
            process,
            server,
        })
    }

    /// CPU per operation since `start`, over `operations`. Backends that
    /// appeared meanwhile count from zero.
    pub async fn per_operation(self, pool: &PgPool, operations: u64) -> Result<CpuCost, Fail> {
        let client = ticks("self").unwrap_or(0).saturating_sub(self.client);
        let server: u64 = backends(pool)
            .await?
            .iter()
            .filter_map(|pid| {
                let now = ticks(pid)?;
                Some(now.saturating_sub(self.server.get(pid).copied().unwrap_or(0)))
            })
            .sum();
        let per = |t: u64| per_operation_us(t, operations);
        let process = self
            .process
            .and_then(|(pid, before)| ticks(&pid).map(|now| per(now.saturating_sub(before))));
        Ok(CpuCost {
            client_us: per(client),
            process_us: process,
            server_us: per(server),
        })
    }
}
