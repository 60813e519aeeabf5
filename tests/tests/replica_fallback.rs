//! A dead or lagging standby never fails or stalls reads (issue 17): on a
//! real primary + hot standby, with the standby stopped, lists (with or
//! without `minPosition`) answer from the primary and
//! `casetrail_standby_fallbacks_total{reason="down"}` counts them; with its
//! replay paused past the lag bound, lists read the primary and show new
//! writes, and after replay resumes they read the standby again; a server
//! started while its standby is down starts, and reads the primary.

use std::time::Duration;

use casetrail_tests::harness::{client, token};
use casetrail_tests::replica_server::{case_ids, open_case, post_as, serve_on_pair, CASES};
use casetrail_tests::replication::Pair;
use casetrail_tests::waiting::until;
use domain::values::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
const PATIENCE: Duration = Duration::from_secs(30);
const EVERY: Duration = Duration::from_millis(50);

/// A server on the pair's primary reading its standby, and a superuser pool on the standby.
struct Served {
    address: String,
    server: tokio::task::JoinHandle<()>,
    /// A superuser pool on the standby (`None` when it was down at start).
    standby: Option<PgPool>,
    counsellor: String,
    supervisor: String,
}

async fn serve(pair: &Pair, max_replica_lag: Duration, standby_down: bool) -> Served {
    let served = serve_on_pair(pair, "ct_replica_fallback", standby_down, |config| {
        config.max_replica_lag = max_replica_lag;
    })
    .await;
    let (address, server, standby_url) = (served.address, served.server, served.standby_url);
    Served {
        address,
        server,
        standby: match standby_down {
            true => None,
            false => Some(PgPool::connect(&standby_url).await.expect("standby")),
        },
        counsellor: token(Role::Counsellor),
        supervisor: token(Role::Supervisor),
    }
}

impl Served {
    /// POSTs a GraphQL body; the status must be 200.
    async fn post(&self, token: &str, body: Value) -> Value {
        let (status, answer) = post_as(&self.address, token, body).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    async fn open_case(&self) -> (String, i64) {
        open_case(&self.address, &self.counsellor).await
    }

    async fn cases(&self, min_position: Option<i64>) -> Value {
        let body = match min_position {
            Some(p) => json!({"query": CASES, "extensions": {"casetrail": {"minPosition": p}}}),
            None => json!({"query": CASES}),
        };
        self.post(&self.supervisor, body).await
    }

    /// The counter `name` at /metrics (0 when absent).
    async fn metric(&self, name: &str) -> u64 {
        let text = client()
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map_or(0, |v| v as u64)
    }
}

fn read_from(answer: &Value) -> &str {
    answer["extensions"]["casetrail"]["readFrom"]
        .as_str()
        .unwrap_or("")
}

const DOWN: &str = "casetrail_standby_fallbacks_total{reason=\"down\"} ";
const LAGGING: &str = "casetrail_standby_fallbacks_total{reason=\"lagging\"} ";

#[tokio::test]
async fn with_the_standby_stopped_lists_answer_from_the_primary() {
    let pair = Pair::start(false);
    let served = serve(&pair, Duration::from_secs(5), false).await;
    let (first, position) = served.open_case().await;
    let on_standby = served.cases(Some(position)).await;
    assert_eq!(read_from(&on_standby), "replica", "{on_standby}");
    assert!(case_ids(&on_standby).contains(&first), "{on_standby}");

    pair.stop_standby();
    // The first list finds the standby down and is answered from the primary.
    let answer = served.cases(None).await;
    assert!(answer["errors"].is_null(), "{answer}");
    assert_eq!(read_from(&answer), "primary", "{answer}");
    assert!(case_ids(&answer).contains(&first), "{answer}");
    assert_eq!(
        answer["data"]["cases"]["nodes"][0]["persons"][0]["fullName"],
        "Trần Thị Mai"
    );
    // The standby now rests: lists, and a list reading its own write, go
    // to the primary without touching it, and are counted.
    let down_before = served.metric(DOWN).await;
    let (second, position) = served.open_case().await;
    let answer = served.cases(Some(position)).await;
    assert!(answer["errors"].is_null(), "{answer}");
    assert_eq!(read_from(&answer), "primary", "{answer}");
    assert!(case_ids(&answer).contains(&second), "{answer}");
    let plain = served.cases(None).await;
    assert_eq!(read_from(&plain), "primary", "{plain}");
    assert_eq!(case_ids(&plain).len(), 2, "{plain}");
    assert!(served.metric(DOWN).await >= down_before + 2);
    assert!(
        served
            .metric("casetrail_reads_total{source=\"primary\"} ")
            .await
            >= 3
    );
    served.server.abort();
}

#[tokio::test]
async fn a_standby_behind_the_lag_bound_is_passed_over_until_it_catches_up() {
    let pair = Pair::start(false);
    let served = serve(&pair, Duration::from_millis(100), false).await;
    let (first, position) = served.open_case().await;
    let answer = served.cases(Some(position)).await;
    assert_eq!(read_from(&answer), "replica", "{answer}");
    assert!(case_ids(&answer).contains(&first), "{answer}");

    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(served.standby.as_ref().expect("standby"))
        .await
        .expect("pause replay");
    let (second, _) = served.open_case().await;
    // Soon the standby is known to be behind: plain lists read the primary
    // and show the write the standby has not replayed.
    let (s, written) = (&served, &second);
    let passed_over = until(PATIENCE, EVERY, || async move {
        let answer = s.cases(None).await;
        read_from(&answer) == "primary" && case_ids(&answer).contains(written)
    })
    .await;
    assert!(passed_over, "lists never left the paused standby");
    assert!(served.metric(LAGGING).await >= 1);

    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(served.standby.as_ref().expect("standby"))
        .await
        .expect("resume replay");
    let back = until(PATIENCE, EVERY, || async move {
        let answer = s.cases(None).await;
        read_from(&answer) == "replica" && case_ids(&answer).contains(written)
    })
    .await;
    assert!(back, "lists never returned to the standby");
    served.server.abort();
    served.standby.as_ref().expect("standby").close().await;
}

#[tokio::test]
async fn a_server_started_while_its_standby_is_down_serves_reads_from_the_primary() {
    let pair = Pair::start(false);
    let served = serve(&pair, Duration::from_secs(5), true).await;
    let (id, position) = served.open_case().await;
    for min_position in [None, Some(position)] {
        let answer = served.cases(min_position).await;
        assert!(answer["errors"].is_null(), "{answer}");
        assert_eq!(read_from(&answer), "primary", "{answer}");
        assert_eq!(case_ids(&answer), vec![id.clone()], "{answer}");
    }
    assert!(served.metric(DOWN).await >= 1);
    served.server.abort();
}
