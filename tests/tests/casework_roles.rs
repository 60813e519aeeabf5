//! Every casework mutation and query, tried with a token of every role: the
//! roles the policy (and README's roles table) allow get an answer without
//! errors, every other role FORBIDDEN. A COUNSELLOR acts on a case they own
//! and a follow-up assigned to them, as the table's "own cases" says.

use casetrail_tests::fixtures::{a_case, ago, caught_up};
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

use Role::*;

/// The subject of `token(Role::Counsellor)`.
const COUNSELLOR_SUB: &str = "test-counsellor";

struct Setup {
    /// A case owned by the test counsellor, with a follow-up assigned to them.
    owned: Uuid,
    follow_up: Uuid,
    /// An open case nobody owns.
    unassigned: Uuid,
    call: Uuid,
}

async fn setup(app: &TestApp) -> Setup {
    let counsellor = token(Counsellor);
    let supervisor = token(Supervisor);
    let owned = a_case(app, &counsellor).await;
    let unassigned = a_case(app, &counsellor).await;
    let taken = app
        .gql(
            &counsellor,
            "mutation($c: UUID!) { takeCase(input: {caseId: $c}) { owner } }",
            json!({"c": owned}),
        )
        .await;
    assert_eq!(taken.data("takeCase")["owner"], COUNSELLOR_SUB);
    let follow_up = Uuid::now_v7();
    let created = app
        .gql(
            &supervisor,
            "mutation($id: UUID!, $c: UUID!, $due: DateTime!) { createFollowUp(input: {id: $id, caseId: $c, \
             assignee: \"test-counsellor\", dueAt: $due, description: \"call the mother back\"}) { id } }",
            json!({"id": follow_up, "c": owned, "due": (chrono::Utc::now() + chrono::Duration::hours(5)).to_rfc3339()}),
        )
        .await;
    created.data("createFollowUp");
    let case = app
        .gql(
            &counsellor,
            "query($c: UUID!) { case(id: $c) { callIds } }",
            json!({"c": owned}),
        )
        .await;
    let call = case.data("case")["callIds"][0]
        .as_str()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("the case lists its call");
    Setup {
        owned,
        follow_up,
        unassigned,
        call,
    }
}

/// (name, allowed roles, document, variables) for one fresh setup, in an
/// order where each allowed call leaves the next one allowed (the transfer,
/// which takes the case from its owner, comes after the owner's other work).
fn operations(s: &Setup) -> Vec<(&'static str, Vec<Role>, &'static str, Value)> {
    vec![
        (
            "takeCase",
            vec![Counsellor],
            "mutation($c: UUID!) { takeCase(input: {caseId: $c}) { id owner } }",
            json!({"c": s.unassigned}),
        ),
        (
            "assignCase",
            vec![Supervisor],
            "mutation($c: UUID!) { assignCase(input: {caseId: $c, owner: \"test-counsellor\", reason: \"caseload\"}) { owner } }",
            json!({"c": s.owned}),
        ),
        (
            "writeCaseNote",
            vec![Counsellor, Supervisor],
            "mutation($c: UUID!) { writeCaseNote(input: {caseId: $c, text: \"mother called back\"}) { id } }",
            json!({"c": s.owned}),
        ),
        (
            "createFollowUp",
            vec![Counsellor, Supervisor],
            "mutation($c: UUID!, $due: DateTime!) { createFollowUp(input: {caseId: $c, dueAt: $due, description: \"visit\"}) { id } }",
            json!({"c": s.owned, "due": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339()}),
        ),
        (
            "completeFollowUp",
            vec![Counsellor, Supervisor],
            "mutation($c: UUID!, $f: UUID!) { completeFollowUp(input: {caseId: $c, followUpId: $f}) { completedAt } }",
            json!({"c": s.owned, "f": s.follow_up}),
        ),
        (
            "transferCase",
            vec![Counsellor, Supervisor],
            "mutation($c: UUID!) { transferCase(input: {caseId: $c, owner: \"hoa\", reason: \"going on leave\"}) { owner } }",
            json!({"c": s.owned}),
        ),
        (
            "myCases",
            vec![Counsellor, Supervisor],
            "{ myCases { totalCount } }",
            json!({}),
        ),
        (
            "unassignedCases",
            vec![Counsellor, Supervisor],
            "{ unassignedCases { totalCount } }",
            json!({}),
        ),
        (
            "casesByOwner",
            vec![Counsellor, Supervisor],
            "{ casesByOwner(owner: \"test-counsellor\") { totalCount } }",
            json!({}),
        ),
        (
            "caseNotes",
            vec![Counsellor, Supervisor, Auditor],
            "query($c: UUID!) { caseNotes(caseId: $c) { id text redacted } }",
            json!({"c": s.owned}),
        ),
        (
            "counsellingNotes",
            vec![Counsellor, Supervisor, Auditor],
            "query($c: UUID!) { counsellingNotes(callId: $c) { sessionId text } }",
            json!({"c": s.call}),
        ),
        (
            "followUps",
            vec![Counsellor, Supervisor],
            "query($c: UUID!) { followUps(caseId: $c) { id description } }",
            json!({"c": s.owned}),
        ),
        (
            "myFollowUps",
            vec![Counsellor, Supervisor],
            "{ myFollowUps { totalCount edges { node { id description } } } }",
            json!({}),
        ),
        (
            "overdueFollowUps",
            vec![Counsellor, Supervisor],
            "{ overdueFollowUps { totalCount } }",
            json!({}),
        ),
        (
            "overdueReferrals",
            vec![Supervisor],
            "{ overdueReferrals { totalCount edges { node { id status } } } }",
            json!({}),
        ),
    ]
}

#[tokio::test]
async fn every_casework_operation_answers_exactly_the_roles_the_policy_allows() {
    let app = spawn_app().await;
    for role in Role::ALL {
        // A fresh case per role: a successful transfer or completion changes it.
        let s = setup(&app).await;
        caught_up(&app.db.as_app_role().await).await;
        for (name, allowed, doc, variables) in operations(&s) {
            let answer = app.gql(&token(*role), doc, variables).await;
            if allowed.contains(role) {
                assert!(
                    answer.body.get("errors").is_none(),
                    "{name} as {}: {}",
                    role.as_str(),
                    answer.body
                );
            } else {
                assert_eq!(
                    answer.code(),
                    Some("FORBIDDEN"),
                    "{name} as {}: {}",
                    role.as_str(),
                    answer.body
                );
            }
        }
    }
}

#[tokio::test]
async fn a_counsellor_acts_only_on_their_own_case_and_reads_only_their_own_queue() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let other = api::auth::mint(
        &casetrail_tests::harness::jwt(),
        "hoa",
        Counsellor,
        None,
        600,
    )
    .expect("token");
    let refused = [
        (
            "mutation($c: UUID!) { transferCase(input: {caseId: $c, owner: \"hoa\", reason: \"mine now\"}) { owner } }",
            json!({"c": s.owned}),
        ),
        (
            "mutation($c: UUID!, $due: DateTime!) { createFollowUp(input: {caseId: $c, dueAt: $due, description: \"x\"}) { id } }",
            json!({"c": s.owned, "due": ago(-60)}),
        ),
        (
            "mutation($c: UUID!, $f: UUID!) { completeFollowUp(input: {caseId: $c, followUpId: $f}) { id } }",
            json!({"c": s.owned, "f": s.follow_up}),
        ),
        ("{ casesByOwner(owner: \"test-counsellor\") { totalCount } }", json!({})),
    ];
    for (doc, variables) in refused {
        let answer = app.gql(&other, doc, variables).await;
        assert_eq!(answer.code(), Some("FORBIDDEN"), "{doc}: {}", answer.body);
    }
    // Taking a case someone owns is not a question of role but of the case's state.
    let taken = app
        .gql(
            &other,
            "mutation($c: UUID!) { takeCase(input: {caseId: $c}) { owner } }",
            json!({"c": s.owned}),
        )
        .await;
    assert_eq!(taken.code(), Some("INVALID_STATE"), "{}", taken.body);
}
