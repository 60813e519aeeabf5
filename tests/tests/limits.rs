//! No single request can hurt the others (issue 10): every scalar is
//! bounded where it is parsed, every request is priced before it runs, the
//! rate limit counts root fields, and the standard introspection query
//! works in dev.

use std::time::Duration;

use api::Application;
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{client, post_graphql, settings, spawn_app, token, TestDatabase};
use domain::values::Role;
use serde_json::json;

/// graphql-js v16 `getIntrospectionQuery()` with its default options, verbatim.
const INTROSPECTION: &str = include_str!("../fixtures/introspection.graphql");

/// A failure guard against a hang (a correctness property), not a timing.
const GUARD: Duration = Duration::from_secs(30);

#[tokio::test]
async fn the_standard_introspection_query_answers_in_dev() {
    let app = spawn_app().await;
    let answer = tokio::time::timeout(
        GUARD,
        app.gql(&token(Role::Counsellor), INTROSPECTION, json!({})),
    )
    .await
    .expect("answers");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let schema = answer.data("__schema");
    assert_eq!(schema["queryType"]["name"], "Query");
    assert!(schema["types"].as_array().is_some_and(|t| t.len() > 20));
}

#[tokio::test]
async fn thirty_aliased_case_lists_are_refused_before_execution_with_cost_and_budget() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    caught_up(&app.db.owner().await).await;
    let list = "cases(first: 100) { edges { node { id persons { fullName } } } }";
    let one = app
        .gql(&counsellor, &format!("{{ {list} }}"), json!({}))
        .await;
    assert_eq!(
        one.data("cases")["edges"][0]["node"]["id"],
        case.to_string()
    );

    let owner = app.db.owner().await;
    let reads = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM access_log")
            .fetch_one(&owner)
            .await
            .expect("count")
    };
    let before = reads().await;
    let aliases: String = (0..30).map(|i| format!("a{i}: {list} ")).collect();
    // The same through a named fragment, an inline fragment and a variable.
    let fragments = format!(
        "query Q($n: Int) {{ {} }} fragment Page on CaseConnection {{ edges {{ node {{ ... on Case {{ id persons {{ fullName }} }} }} }} }}",
        (0..30)
            .map(|i| format!("a{i}: cases(first: $n) {{ ...Page }} "))
            .collect::<String>()
    );
    for (doc, vars) in [
        (format!("{{ {aliases} }}"), json!({})),
        (fragments, json!({"n": 100})),
    ] {
        let answer = app.gql(&counsellor, &doc, vars).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
        let extensions = &answer.body["errors"][0]["extensions"];
        let (cost, budget) = (extensions["cost"].as_u64(), extensions["budget"].as_u64());
        assert_eq!(budget, Some(api::settings::DEFAULT_QUERY_COST_BUDGET));
        assert!(cost > budget, "{}", answer.body);
        assert!(answer.body["data"].is_null(), "refused before execution");
    }
    assert_eq!(reads().await, before, "no personal data was read");
}

#[tokio::test]
async fn aliased_mutations_count_one_each_against_the_rate_limit() {
    let db = TestDatabase::create().await;
    let mut limited = settings(&db.url);
    // 60 a minute: a burst of 15.
    limited.rate_limit_per_minute = 60;
    let app = Application::build(limited).await.expect("starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let counsellor = token(Role::Counsellor);
    let call = |i: usize| {
        format!(
            "c{i}: receiveCall(input: {{ receivedAt: \"{}\", channel: VOICE, region: UNKNOWN, callerType: CITIZEN, category: NON_DATA }}) {{ id }} ",
            ago(5)
        )
    };
    let mutation = |n: usize| format!("mutation {{ {} }}", (0..n).map(call).collect::<String>());
    let http = client();
    let fifty = post_graphql(&http, &address, Some(&counsellor), &mutation(50), json!({})).await;
    assert_eq!(fifty.status, 429, "{}", fifty.body);
    assert_eq!(fifty.code(), Some("RATE_LIMITED"));
    let ten = post_graphql(&http, &address, Some(&counsellor), &mutation(10), json!({})).await;
    assert_eq!(ten.status, 200, "{}", ten.body);
    assert!(ten.body.get("errors").is_none(), "{}", ten.body);
    let again = post_graphql(&http, &address, Some(&counsellor), &mutation(10), json!({})).await;
    assert_eq!(
        again.code(),
        Some("RATE_LIMITED"),
        "10 + 10 is over the burst of 15"
    );
    let calls: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&db.owner().await)
        .await
        .expect("count");
    assert_eq!(calls, 10, "only the admitted request recorded anything");
    server.abort();
}

#[tokio::test]
async fn far_edge_dates_answer_promptly_with_the_accepted_range_and_the_server_stays_up() {
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let statistics = "query($from: Date!, $to: Date!) { statistics(from: $from, to: $to) { totalCalls monthly { month } } }";
    for (from, to) in [
        ("+262142-12-01", "+262142-12-31"),
        ("262142-12-01", "262142-12-31"),
        ("9999-12-01", "9999-12-31"),
        ("-262143-01-01", "-262143-01-31"),
        ("1899-12-31", "1900-01-31"),
        ("2100-12-01", "2101-01-01"),
    ] {
        let answer = tokio::time::timeout(
            GUARD,
            app.gql(&supervisor, statistics, json!({"from": from, "to": to})),
        )
        .await
        .expect("answers: no pinned thread");
        assert_eq!(
            answer.code(),
            Some("BAD_USER_INPUT"),
            "{from}..{to}: {}",
            answer.body
        );
        let message = answer.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("1900-01-01") && message.contains("2100-12-31"),
            "{message}"
        );
        let named = ["argument \"from\"", "argument \"to\""];
        assert!(named.iter().any(|n| message.starts_with(n)), "{message}");
    }
    // The very edges are inside, and the month walk ends.
    let edges = app
        .gql(
            &supervisor,
            statistics,
            json!({"from": "2100-12-01", "to": "2100-12-31"}),
        )
        .await;
    assert_eq!(edges.data("statistics")["monthly"][0]["month"], "2100-12");
    let first = app
        .gql(
            &supervisor,
            statistics,
            json!({"from": "1900-01-01", "to": "1900-01-01"}),
        )
        .await;
    assert_eq!(first.data("statistics")["totalCalls"], 0);
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("healthz answers");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn integers_and_times_outside_their_range_name_the_argument_and_the_range() {
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let id = uuid::Uuid::nil();
    for (doc, vars, words) in [
        ("query($n: Int) { cases(first: $n) { totalCount } }", json!({"n": 101}), ["first", "100"]),
        ("query($n: Int) { calls(first: $n) { totalCount } }", json!({"n": 0}), ["first", "1"]),
        (
            "query($m: Int) { statistics(from: \"2021-01-01\", to: \"2021-12-31\", minCellSize: $m) { totalCalls } }",
            json!({"m": 2_000_000}),
            ["minCellSize", "1000000"],
        ),
        (
            "query($id: UUID!, $v: Int) { caseHistory(caseId: $id, upToVersion: $v) { caseId } }",
            json!({"id": id, "v": -1}),
            ["upToVersion", "1000000"],
        ),
        (
            "query($id: UUID!, $t: DateTime) { callHistory(callId: $id, asOf: $t) { callId } }",
            json!({"id": id, "t": "+262142-12-31T23:59:59Z"}),
            ["asOf", "2100-12-31"],
        ),
        (
            "query($id: UUID!, $t: DateTime) { caseHistory(caseId: $id, asOf: $t) { caseId } }",
            json!({"id": id, "t": "1899-12-31T23:59:59Z"}),
            ["asOf", "1900-01-01"],
        ),
        (
            "query($f: CallFilter) { calls(filter: $f) { totalCount } }",
            json!({"f": {"from": "0001-01-01"}}),
            ["argument \"filter\"", "1900-01-01"],
        ),
    ] {
        let answer = app.gql(&supervisor, doc, vars).await;
        assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{doc}: {}", answer.body);
        let message = answer.body["errors"][0]["message"].as_str().unwrap_or_default();
        for word in words {
            assert!(message.contains(word), "{doc}: {message} should name {word}");
        }
    }
}

#[tokio::test]
async fn too_deep_queries_and_multiplying_introspection_are_refused_with_their_figures() {
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let deep = (0..13).fold(String::from("id"), |inner, i| format!("f{i} {{ {inner} }}"));
    let answer = app
        .gql(&supervisor, &format!("{{ {deep} }}"), json!({}))
        .await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["maxDepth"], 12);
    let wide = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let answer = app.gql(&supervisor, wide, json!({})).await;
    assert_eq!(answer.code(), Some("BAD_USER_INPUT"), "{}", answer.body);
    assert_eq!(answer.body["errors"][0]["extensions"]["maxLists"], 3);
    assert!(answer.body["data"].is_null());
}

#[derive(clap::Parser)]
struct ExportCli {
    #[command(flatten)]
    args: api::operations::export::ExportStatisticsArgs,
}

#[tokio::test]
async fn the_statistics_export_takes_the_same_range_of_days() {
    for (from, to) in [("0001-01-01", "0001-01-31"), ("2101-01-01", "2101-01-02")] {
        let argv = ["export", "--from", from, "--to", to, "--format", "json"];
        let args = <ExportCli as clap::Parser>::try_parse_from(argv)
            .expect("the flags parse")
            .args;
        let refused = tokio::time::timeout(GUARD, api::operations::export::run(args))
            .await
            .expect("answers")
            .expect_err("refused")
            .to_string();
        assert!(
            refused.contains("1900-01-01") && refused.contains("2100-12-31"),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn production_keeps_introspection_off() {
    let db = TestDatabase::create().await;
    let mut production = settings(&db.url);
    production.environment = api::settings::Environment::Production;
    let app = Application::build(production).await.expect("starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let answer = post_graphql(
        &client(),
        &address,
        Some(&token(Role::Counsellor)),
        INTROSPECTION,
        json!({}),
    )
    .await;
    // async-graphql answers a disabled introspection with null, not the schema.
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body["data"]["__schema"].is_null(), "{}", answer.body);
    server.abort();
}
