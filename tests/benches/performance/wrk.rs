//! The HTTP figures' load: openCase or receiveCall mutations over HTTP from
//! an external load generator, wrk (`apt-get install -y wrk`; scripts/bench-http.sh installs
//! it when missing), so that the client's CPU is not the bench process's
//! and the figure is comparable with any other HTTP server's.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use crate::cpu;
use crate::report::Latency;
use crate::Fail;

/// The wrk script (Lua): request bodies, error counting, the summary line.
const SCRIPT: &str = include_str!("mutations.lua");
/// wrk's threads: one per CPU of the machine the figures were taken on.
const THREADS: usize = 2;

/// What the mutation load did.
pub struct WrkLoad {
    /// Answers received (successful or not).
    pub answered: u64,
    /// Answers that were not HTTP 200 without GraphQL errors.
    pub failed: u64,
    /// Connection errors and timeouts (wrk's own count).
    pub socket_errors: u64,
    pub elapsed: Duration,
    pub latency: Latency,
    /// Status and error code of the first failed answer.
    pub first_error: Option<String>,
    /// CPU time wrk used, in clock ticks (as reaped by this process).
    pub cpu_ticks: u64,
}

/// Which mutation wrk sends; each request starts a new stream.
#[derive(Clone, Copy, Debug)]
pub enum Mutation {
    OpenCase,
    ReceiveCall,
}

impl Mutation {
    fn name(self) -> &'static str {
        match self {
            Mutation::OpenCase => "openCase",
            Mutation::ReceiveCall => "receiveCall",
        }
    }
}

/// `mutation`s over `connections` keep-alive connections to `base`/graphql
/// for `duration` (whole seconds, at least one); `at` is the business time
/// they carry (openedAt or receivedAt).
pub async fn mutations(
    base: &str,
    token: &str,
    mutation: Mutation,
    at: &str,
    connections: usize,
    duration: Duration,
) -> Result<WrkLoad, Fail> {
    let script = std::env::temp_dir().join(format!("casetrail-bench-{}.lua", std::process::id()));
    std::fs::write(&script, SCRIPT)?;
    let threads = THREADS.min(connections.max(1));
    let args: Vec<String> = vec![
        format!("--threads={threads}"),
        format!("--connections={}", connections.max(1)),
        format!("--duration={}s", duration.as_secs().max(1)),
        "--timeout=60s".into(),
        format!("--script={}", script.display()),
        format!("{base}/graphql"),
        "--".into(),
        token.into(),
        at.into(),
        mutation.name().into(),
    ];
    let outcome = tokio::task::spawn_blocking(move || run(&args)).await;
    let _ = std::fs::remove_file(&script);
    outcome.map_err(|e| format!("the wrk task failed: {e}"))?
}

/// Runs wrk to its end; its CPU is what this process's reaped children
/// gained meanwhile (the server child is reaped only when it stops).
fn run(args: &[String]) -> Result<WrkLoad, Fail> {
    let before = cpu::reaped_children_ticks();
    let output = Command::new("wrk").args(args).output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Fail::from(
                "wrk not found: run scripts/bench-http.sh (installs it), \
                 or apt-get install -y wrk",
            )
        } else {
            Fail::from(format!("wrk did not start: {e}"))
        }
    })?;
    let cpu_ticks = cpu::reaped_children_ticks().saturating_sub(before);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let mut load = parse(&stdout)?;
    load.cpu_ticks = cpu_ticks;
    Ok(load)
}

/// Reads the script's `casetrail-wrk key=value ...` line.
fn parse(stdout: &str) -> Result<WrkLoad, Fail> {
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("casetrail-wrk "))
        .ok_or_else(|| format!("no summary from wrk in: {}", stdout.trim()))?;
    let (numbers, first) = line.split_once(" first=").unwrap_or((line, ""));
    let fields: BTreeMap<&str, u64> = numbers
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
        .collect();
    let field = |key: &str| {
        fields
            .get(key)
            .copied()
            .ok_or_else(|| Fail::from(format!("wrk summary lacks {key}: {line}")))
    };
    Ok(WrkLoad {
        answered: field("answered")?,
        failed: field("failed")?,
        socket_errors: field("socket_errors")?,
        elapsed: Duration::from_micros(field("duration_us")?),
        latency: Latency {
            p50: Duration::from_micros(field("p50_us")?),
            p99: Duration::from_micros(field("p99_us")?),
        },
        first_error: Some(first.trim().to_string()).filter(|f| !f.is_empty()),
        cpu_ticks: 0,
    })
}
