//! Docs that run: every request in README.md, docs/GRAPHQL.md and the
//! auditor's walk-through of docs/AUDIT.md is executed
//! against a fresh real server and answers as documented; README's roles
//! table is the policy. The self-checks prove the checker catches each
//! defect of issue 18 (a broken snippet must fail).

use casetrail_tests::docs::roles_table::differences;
use casetrail_tests::docs::run::run_document;
use casetrail_tests::docs::{check, contains, extract, script, Example};
use domain::values::Role;
use serde_json::json;

const README: &str = include_str!("../../README.md");
const GRAPHQL_MD: &str = include_str!("../../docs/GRAPHQL.md");
const AUDIT_MD: &str = include_str!("../../docs/AUDIT.md");
const CASETRAIL: &str = env!("CARGO_BIN_EXE_casetrail");

fn assert_as_documented(name: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{name} does not run as documented:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_request_of_the_graphql_walkthrough_answers_as_documented() {
    assert_as_documented(
        "docs/GRAPHQL.md",
        &run_document(CASETRAIL, GRAPHQL_MD).await,
    );
}

#[tokio::test]
async fn the_auditors_walkthrough_runs_as_documented() {
    // Only the walk-through section: the rest of the page shows formats in
    // plain blocks, which the convention refuses.
    let start = AUDIT_MD
        .find("\n## Walk-through")
        .expect("docs/AUDIT.md has a walk-through");
    let section = &AUDIT_MD[start..];
    let end = section[1..].find("\n## ").map_or(section.len(), |i| i + 1);
    let walkthrough = &section[..end];
    let examples = extract(walkthrough).expect("the walk-through follows the convention");
    assert!(examples.iter().filter(|e| e.expect.is_some()).count() >= 4);
    assert_as_documented(
        "docs/AUDIT.md (Walk-through)",
        &run_document(CASETRAIL, walkthrough).await,
    );
}

#[tokio::test]
async fn every_request_of_the_readme_answers_as_documented() {
    assert_as_documented("README.md", &run_document(CASETRAIL, README).await);
}

#[test]
fn the_docs_run_requests_and_mark_what_they_cannot_run() {
    let walkthrough = extract(GRAPHQL_MD).expect("docs/GRAPHQL.md follows the convention");
    let checked = walkthrough.iter().filter(|e| e.expect.is_some()).count();
    assert!(checked >= 15, "only {checked} checked examples");
    let readme = extract(README).expect("README.md follows the convention");
    assert!(readme.iter().any(|e| e.expect.is_some()));
}

#[test]
fn the_readme_roles_table_is_the_policy() {
    let differences = differences(README);
    assert!(
        differences.is_empty(),
        "README's roles table departs from api/src/policy.rs:\n{}",
        differences.join("\n")
    );
}

#[test]
fn a_roles_table_that_departs_from_the_policy_is_caught() {
    // Issue 18: statistics given to neither COUNSELLOR nor SUPERVISOR.
    let stale = README.replace(
        "| read statistics: exact for COUNSELLOR, SUPERVISOR and AUDITOR; an ANALYST gets disclosure-controlled figures (cell key perturbation, no count below 5; docs/STATISTICS.md) | yes | yes |",
        "| read statistics: exact for COUNSELLOR, SUPERVISOR and AUDITOR; an ANALYST gets disclosure-controlled figures (cell key perturbation, no count below 5; docs/STATISTICS.md) | — | — |",
    );
    assert_ne!(stale, README, "the self-check edits the real table");
    let found = differences(&stale);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|d| d.contains("read statistics")));
    let dropped_row = README.replace("| read the access log | — | — | — | yes | — | — |\n", "");
    assert!(differences(&dropped_row)
        .iter()
        .any(|d| d.contains("no row for `read the access log`")));
}

#[test]
fn blocks_the_suite_cannot_classify_are_refused() {
    // Raw GraphQL that nothing runs: the first defect of issue 18.
    let raw = "# A\n```graphql\nquery { case(id: \"…c1\") { id } }\n```\n";
    assert!(extract(raw).expect_err("refused").contains("```graphql"));
    let no_reason = "```sh no-run:\ncasetrail serve\n```\n";
    assert!(extract(no_reason).is_err());
    let orphan = "```sh\ntrue\n```\nSome prose.\n```json expect\n{}\n```\n";
    assert!(extract(orphan)
        .expect_err("refused")
        .contains("must follow"));
    let typo = "## Audit (SUPERVISOR, AUDITR)\n";
    assert!(extract(typo).expect_err("refused").contains("AUDITR"));
    let indented = "1. step\n   ```sh\n   curl http://127.0.0.1:8080/graphql\n   ```\n";
    assert!(extract(indented).is_err());
    assert!(extract("~~~sh\ntrue\n~~~\n").is_err());
    let unclosed = "```sh\ntrue\n";
    assert!(extract(unclosed).is_err());
}

#[test]
fn headings_give_their_roles_to_the_blocks_below() {
    let doc =
        "## Statistics (ANALYST, AUDITOR)\n```sh\nx\n```\n## Errors (if any)\n```sh\ny\n```\n";
    let examples = extract(doc).expect("valid");
    assert_eq!(examples[0].roles, Some(vec![Role::Analyst, Role::Auditor]));
    assert_eq!(examples[1].roles, None);
}

#[test]
fn subset_matching_fails_on_drift() {
    let answer =
        json!({"data": {"case": {"status": "OPEN", "rescues": [{"id": "r"}], "version": 6}}});
    assert!(contains(&answer, &json!({"data": {"case": {"status": "OPEN"}}}), "").is_ok());
    assert!(contains(
        &answer,
        &json!({"data": {"case": {"status": "CLOSED"}}}),
        ""
    )
    .is_err());
    assert!(contains(&answer, &json!({"data": {"case": {"rescues": []}}}), "").is_err());
    assert!(contains(&answer, &json!({"data": {"case": {"outcome": null}}}), "").is_err());
}

fn example(code: &str, expect: Option<&str>, roles: Option<Vec<Role>>) -> Example {
    Example {
        line: 7,
        code: code.into(),
        expect: expect.map(Into::into),
        roles,
    }
}

/// What a run printed, for checks without a server.
fn printed(parts: &[(&str, &str)]) -> String {
    parts
        .iter()
        .map(|(m, text)| format!("\n@@casetrail-docs {m}@@\n{text}"))
        .collect()
}

#[test]
fn the_checker_names_each_way_an_example_departs() {
    let ok = json!({"data": {"x": 1}}).to_string();
    let err = r#"{"data":null,"errors":[{"message":"document contains multiple operations","extensions":{"code":"BAD_USER_INPUT"}}]}"#;
    let expects_x = example("gql", Some(r#"{"data": {"x": 1}}"#), None);
    let run = |e: &Example, text: &str| {
        check(
            std::slice::from_ref(e),
            &printed(&[
                ("begin 0", text),
                ("vars 0", ""),
                ("end 0", ""),
                ("done", ""),
            ]),
        )
    };
    assert!(run(&expects_x, &ok).is_empty());
    // An error where the docs show data (two operations, a placeholder id, a missing role...).
    assert!(run(&expects_x, err)[0].contains("answers with errors"));
    // Output nobody checks.
    assert!(run(&example("gql", None, None), &ok)[0].contains("no ```json expect"));
    // A retry shown as one answer.
    assert!(run(&expects_x, &format!("{ok}\n{ok}"))[0].contains("2 answers"));
    // A block that failed (e.g. `casetrail token` refused) never reaches its end.
    let unfinished = check(
        std::slice::from_ref(&expects_x),
        &printed(&[("begin 0", "")]),
    );
    assert!(unfinished[0].contains("did not finish"));
    // Variables are substituted from the run.
    let with_var = example("gql", Some(r#"{"data": {"x": "$CASE"}}"#), None);
    let output = printed(&[
        ("begin 0", r#"{"data": {"x": "c-1"}}"#),
        ("vars 0", "CASE=c-1\n"),
        ("end 0", ""),
        ("done", ""),
    ]);
    assert!(check(std::slice::from_ref(&with_var), &output).is_empty());
}

#[test]
fn a_heading_that_claims_the_wrong_roles_is_caught() {
    // Issue 18: `projections` under a heading that does not list ADMIN, and lists COUNSELLOR.
    let e = example(
        "gql",
        Some(r#"{"data": {}}"#),
        Some(vec![Role::Supervisor, Role::Counsellor]),
    );
    let forbidden = r#"{"data":null,"errors":[{"extensions":{"code":"FORBIDDEN"}}]}"#;
    let mut parts = vec![("begin 0", "{\"data\": {}}"), ("vars 0", ""), ("end 0", "")];
    let allowed = [Role::Supervisor, Role::Auditor, Role::Admin];
    let markers: Vec<String> = Role::ALL
        .iter()
        .map(|r| format!("role 0 {}", r.as_str()))
        .collect();
    for (role, marker) in Role::ALL.iter().zip(&markers) {
        let answer = if allowed.contains(role) {
            "{\"data\": {}}"
        } else {
            forbidden
        };
        parts.push((marker.as_str(), answer));
    }
    parts.push(("done", ""));
    let failures = check(std::slice::from_ref(&e), &printed(&parts));
    assert_eq!(failures.len(), 3, "{failures:?}");
    assert!(failures
        .iter()
        .any(|f| f.contains("lists COUNSELLOR but it is FORBIDDEN")));
    assert!(failures
        .iter()
        .any(|f| f.contains("AUDITOR is not in the heading")));
    assert!(failures
        .iter()
        .any(|f| f.contains("ADMIN is not in the heading")));
}

#[test]
fn the_script_points_the_docs_at_the_test_server_and_reruns_role_headed_blocks() {
    let e = example(
        "curl -s http://127.0.0.1:8080/graphql\n",
        Some("{\"id\": \"$CASE\"}"),
        Some(vec![Role::Auditor]),
    );
    let s = script(&[e], "http://127.0.0.1:4242");
    assert!(s.contains("curl -s http://127.0.0.1:4242/graphql"));
    assert!(!s.contains(":8080"));
    assert!(s.contains("printf '%s=%s\\n' CASE \"${CASE-}\""));
    for role in Role::ALL {
        assert!(s.contains(&format!("--role {}", role.as_str())));
    }
    assert!(s.contains("--role AGENCY --agency CRIMINAL_POLICE"));
}

/// Issue 18's defects, each as a snippet: against the real server, every one fails.
#[tokio::test]
async fn a_broken_walkthrough_fails_against_the_real_server_block_by_block() {
    let setup = GRAPHQL_MD
        .split("## Record a call")
        .next()
        .expect("the setup comes first");
    let broken = format!(
        "{setup}\n## Broken\n{}\n## Projections (SUPERVISOR, COUNSELLOR)\n\n{}",
        [
            // Two operations in one document.
            "```sh\ngql \"$COUNSELLOR\" 'query A { calls(first: 1) { totalCount } } query B { cases(first: 1) { totalCount } }'\n```\n\n```json expect\n{\"data\": {\"calls\": {\"totalCount\": 0}}}\n```\n",
            // A placeholder where a UUID belongs.
            "```sh\ngql \"$COUNSELLOR\" '{ case(id: \"…c1\") { status } }'\n```\n\n```json expect\n{\"data\": {\"case\": null}}\n```\n",
            // A date that was tomorrow when it was written.
            "```sh\ngql \"$COUNSELLOR\" 'mutation ($at: DateTime!) { receiveCall(input: {receivedAt: $at, channel: VOICE, region: UNKNOWN, callerType: ANONYMOUS, category: INFORMATION}) { version } }' at=\"$(hours_ago -24)\"\n```\n\n```json expect\n{\"data\": {\"receiveCall\": {\"version\": 1}}}\n```\n",
            // A token the walk-through never minted.
            "```sh\ngql \"$NOBODY\" '{ calls(first: 1) { totalCount } }'\n```\n\n```json expect\n{\"data\": {\"calls\": {\"totalCount\": 0}}}\n```\n",
        ]
        .join("\n"),
        // A heading that gives `projections` to COUNSELLOR and not to AUDITOR or ADMIN.
        "```sh\ngql \"$SUPERVISOR\" '{ projections { name } }'\n```\n\n```json expect\n{\"data\": {}}\n```\n",
    );
    let failures = run_document(CASETRAIL, &broken).await;
    let lines = block_lines(&broken);
    let (projections, snippets) = lines.split_last().expect("blocks");
    for line in snippets {
        assert!(
            failures
                .iter()
                .any(|f| f.starts_with(&format!("block at line {line}: answers with errors"))),
            "the broken block at line {line} was not caught: {failures:#?}"
        );
    }
    for claim in [
        "the heading lists COUNSELLOR but it is FORBIDDEN",
        "AUDITOR is not in the heading",
        "ADMIN is not in the heading",
    ] {
        let wanted = format!("block at line {projections}: {claim}");
        assert!(
            failures.iter().any(|f| f.starts_with(&wanted)),
            "not caught: {wanted}: {failures:#?}"
        );
    }
}

/// Lines of the `sh` blocks after the setup that carry an expectation.
fn block_lines(doc: &str) -> Vec<usize> {
    extract(doc)
        .expect("valid")
        .into_iter()
        .filter(|e| e.expect.is_some())
        .map(|e| e.line)
        .collect()
}

/// Issue 18: the rescue example carried no client id, and a retry recorded
/// two rescues. The same walk-through without the id fails.
#[tokio::test]
async fn the_walkthrough_without_the_rescue_id_fails() {
    let up_to_reads = GRAPHQL_MD
        .split("## Access log")
        .next()
        .expect("the walk-through reads a case before the access log");
    let without_id = up_to_reads
        .replace(
            "mutation ($id: UUID!, $case: UUID!, $referral: UUID!, $at: DateTime!) {\n    recordRescue",
            "mutation ($case: UUID!, $referral: UUID!, $at: DateTime!) {\n    recordRescue",
        )
        .replace(
            "recordRescue(input: {id: $id, caseId: $case",
            "recordRescue(input: {caseId: $case",
        );
    assert_ne!(
        without_id, up_to_reads,
        "the self-check edits the real example"
    );
    let rescue_block = extract(&without_id)
        .expect("valid")
        .into_iter()
        .find(|e| e.code.contains("recordRescue"))
        .expect("a rescue example")
        .line;
    let failures = run_document(CASETRAIL, &without_id).await;
    let wanted = format!("block at line {rescue_block}: .data.recordRescue.id is");
    assert!(
        failures.iter().any(|f| f.starts_with(&wanted)),
        "not caught: {wanted}: {failures:#?}"
    );
    // The retry recorded a second rescue: the referral now counts two persons.
    assert!(
        failures
            .iter()
            .any(|f| f.contains(".data.case.referrals[0].personsRescued is 2")),
        "the case read does not show the second rescue: {failures:#?}"
    );
}
