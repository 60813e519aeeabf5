//! Sequential caseHistory reads over HTTP (reqwest, loopback only) and the
//! bench's tokens. The mutation load is wrk's (wrk.rs).

use std::time::{Duration, Instant};

use domain::values::{Agency, Role};
use serde_json::{json, Value};
use uuid::Uuid;

use super::Fail;
use api::settings::JwtSettings;

const CASE_HISTORY: &str = "query BenchCaseHistory($caseId: UUID!) { \
    caseHistory(caseId: $caseId) { caseId \
      events { sequence position eventType eventVersion occurredAt recordedAt actor actorRole payload hash } \
      state { id status version supportProvided { id service providedAt } } } }";

/// A bearer token of this run's secret.
pub fn token(jwt: &JwtSettings, role: Role) -> Result<String, Fail> {
    Ok(api::auth::mint(jwt, "bench", role, None::<Agency>, 3600)?)
}

fn client() -> Result<reqwest::Client, Fail> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .build()?)
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
