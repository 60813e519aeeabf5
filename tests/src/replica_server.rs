//! A casetrail server on a real primary + hot standby pair
//! (`crate::replication`), reading the standby (`--read-database-url`): the
//! replica suites' one way to start it, open a case and read the case list.

use api::settings::Settings;
use api::Application;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::fixtures::ago;
use crate::harness::{client, settings};
use crate::replication::{standby_has_the_log, Pair};

pub const OPEN_CASE: &str = "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }";
pub const CASES: &str = "{ cases(first: 100) { totalCount nodes { id persons { fullName } } } }";

/// A server on a fresh database of the pair's primary, reading its standby.
pub struct PairServer {
    pub address: String,
    pub server: tokio::task::JoinHandle<()>,
    pub primary_url: String,
    pub standby_url: String,
}

/// Creates and migrates a database named `<prefix>_<uuid>` on the primary,
/// waits until the standby has replayed it, stops the standby when
/// `standby_down` (a server started while its standby is down), lets
/// `configure` adjust the settings, and starts the server.
pub async fn serve_on_pair(
    pair: &Pair,
    prefix: &str,
    standby_down: bool,
    configure: impl FnOnce(&mut Settings),
) -> PairServer {
    let name = format!("{prefix}_{}", Uuid::new_v4().simple());
    let (primary_url, standby_url) = (pair.primary.url(&name), pair.standby.url(&name));
    store::db::ensure_database(&primary_url)
        .await
        .expect("database");
    store::db::migrate(&primary_url).await.expect("migrations");
    standby_has_the_log(&standby_url).await;
    if standby_down {
        pair.stop_standby();
    }
    let mut config = settings(&primary_url);
    config.read_database_url = Some(standby_url.clone());
    configure(&mut config);
    let app = Application::build(config).await.expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    PairServer {
        address,
        server,
        primary_url,
        standby_url,
    }
}

/// POSTs a GraphQL body as `token`: the HTTP status and the JSON answer.
pub async fn post_as(address: &str, token: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

/// Opens a case as `counsellor`: its id and the log position it committed.
pub async fn open_case(address: &str, counsellor: &str) -> (String, i64) {
    let (_, answer) = post_as(
        address,
        counsellor,
        json!({"query": OPEN_CASE, "variables": {"input": {
            "openedAt": ago(30), "region": "NORTHWEST", "exploitationTypes": ["FORCED_LABOUR"],
            "persons": [{"role": "VICTIM", "gender": "FEMALE", "birthYear": 2003, "fullName": "Trần Thị Mai"}]}}}),
    )
    .await;
    let id = answer["data"]["openCase"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string();
    let position = answer["extensions"]["casetrail"]["position"]
        .as_i64()
        .unwrap_or_else(|| panic!("a mutation answers the position it committed: {answer}"));
    (id, position)
}

/// The case ids of a `CASES` answer.
pub fn case_ids(answer: &Value) -> Vec<String> {
    answer["data"]["cases"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str().map(str::to_string))
        .collect()
}
