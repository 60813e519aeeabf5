//! A small HTTP load generator (reqwest, loopback only): GraphQL mutations
//! from concurrent clients, and caseHistory reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use domain::values::{Agency, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use super::writes::{concurrently, Run};
use super::Fail;
use crate::settings::JwtSettings;

const OPEN_CASE: &str = "mutation BenchOpenCase($input: OpenCaseInput!) { \
    openCase(input: $input) { id status region version } }";

const CASE_HISTORY: &str = "query BenchCaseHistory($caseId: UUID!) { \
    caseHistory(caseId: $caseId) { caseId \
      events { sequence position eventType eventVersion occurredAt recordedAt actor actorRole payload hash } \
      state { id status version supportProvided { id service providedAt } } } }";

/// A bearer token of this run's secret.
pub fn token(jwt: &JwtSettings, role: Role) -> Result<String, Fail> {
    Ok(crate::auth::mint(jwt, "bench", role, None::<Agency>, 3600)?)
}

fn client() -> Result<reqwest::Client, Fail> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .build()?)
}

/// Posts one GraphQL request; the `data` on success, else the error code.
async fn post(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
) -> Result<Result<Value, String>, Fail> {
    let response = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let status = response.status();
    let answer: Value = response.json().await?;
    if let Some(error) = answer.get("errors").and_then(|e| e.get(0)) {
        let code = error
            .pointer("/extensions/code")
            .and_then(Value::as_str)
            .unwrap_or("no code");
        return Ok(Err(format!("HTTP {status}, {code}")));
    }
    if !status.is_success() {
        return Ok(Err(format!("HTTP {status}")));
    }
    Ok(answer
        .get("data")
        .cloned()
        .ok_or("no data")
        .map_err(String::from))
}

/// What the mutation load did.
pub struct Load {
    pub run: Run,
    pub errors: u64,
    pub first_error: Option<String>,
}

/// `n` openCase mutations from `clients` concurrent HTTP clients, stopping
/// early at `cap`. Keep-alive connections, one per client.
pub async fn open_cases(
    base: &str,
    token: &str,
    n: u64,
    clients: usize,
    cap: Duration,
) -> Result<Load, Fail> {
    let http = client()?;
    let errors = Arc::new(AtomicU64::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let deadline = Instant::now() + cap;
    let (base, token) = (Arc::<str>::from(base), Arc::<str>::from(token));
    let (errs, first) = (errors.clone(), first_error.clone());
    let run = concurrently(n, clients, move |i| {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        let (errors, first_error) = (errs.clone(), first.clone());
        async move {
            if Instant::now() >= deadline {
                return Ok(false);
            }
            let region = ["RED_RIVER_DELTA", "NORTHEAST", "NORTHWEST", "SOUTHEAST"]
                .get((i % 4) as usize)
                .copied()
                .unwrap_or("UNKNOWN");
            let body = json!({
                "query": OPEN_CASE,
                "operationName": "BenchOpenCase",
                "variables": { "input": {
                    "openedAt": (Utc::now() - Days::hours(1)).to_rfc3339(),
                    "region": region,
                    "exploitationTypes": ["FORCED_LABOUR"],
                } }
            });
            if let Err(e) = post(&http, &base, &token, &body).await? {
                errors.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = first_error.lock() {
                    first.get_or_insert(e);
                }
            }
            Ok(true)
        }
    })
    .await?;
    let first_error = first_error.lock().ok().and_then(|f| f.clone());
    Ok(Load {
        run,
        errors: errors.load(Ordering::Relaxed),
        first_error,
    })
}

/// `samples` sequential caseHistory reads of one case (after 3 unmeasured
/// warm-ups); the latencies, the number of events returned and the size of
/// one answer in bytes.
pub async fn case_history(
    base: &str,
    token: &str,
    case_id: Uuid,
    samples: usize,
) -> Result<(Vec<Duration>, usize, usize), Fail> {
    let http = client()?;
    let body = json!({
        "query": CASE_HISTORY,
        "operationName": "BenchCaseHistory",
        "variables": { "caseId": case_id },
    });
    let mut latencies = Vec::with_capacity(samples);
    let mut events = 0;
    let mut bytes = 0;
    for i in 0..samples + 3 {
        let t = Instant::now();
        let response = http
            .post(format!("{base}/graphql"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?;
        let text = response.bytes().await?;
        let elapsed = t.elapsed();
        if i == 0 {
            let answer: Value = serde_json::from_slice(&text)?;
            if let Some(error) = answer.get("errors") {
                return Err(format!(
                    "caseHistory failed: {}",
                    error.to_string().chars().take(200).collect::<String>()
                )
                .into());
            }
            events = answer
                .pointer("/data/caseHistory/events")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            bytes = text.len();
        }
        if i >= 3 {
            latencies.push(elapsed);
        }
    }
    Ok((latencies, events, bytes))
}
