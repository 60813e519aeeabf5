//! The access log says exactly what was read: the personal fields a
//! response returned in clear, per person (aliases, fragments and
//! `@skip`/`@include` as executed), nothing when none was returned, and the
//! operation named from the document when the body does not name it.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

/// A case with two persons: one with a name and a phone, one with a name only.
struct World {
    case: Uuid,
    both: Uuid,
    name_only: Uuid,
}

async fn world(app: &TestApp) -> World {
    let counsellor = token(Role::Counsellor);
    let call = a_call(app, &counsellor).await;
    let (both, name_only) = (Uuid::new_v4(), Uuid::new_v4());
    // Selects no personal field, so opening the case logs nothing.
    let opened = app
        .gql(&counsellor, "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }",
            json!({"input": {"fromCallId": call, "openedAt": ago(590), "persons": [
                {"id": both, "role": "VICTIM", "gender": "FEMALE", "fullName": "Sentinel Name", "phone": "+84 900 000 001"},
                {"id": name_only, "role": "RELATIVE", "gender": "MALE", "fullName": "Other Sentinel"}]}}))
        .await;
    World {
        case: id_of(opened.data("openCase")),
        both,
        name_only,
    }
}

/// The case's reads of personal data, oldest first: (person, fields, operation).
async fn reads(app: &TestApp, case: Uuid) -> Vec<(Value, Value, String)> {
    let log = app
        .gql(
            &token(Role::Auditor),
            "query($c: UUID) { accessLog(caseId: $c) { action personId fields operation } }",
            json!({"c": case}),
        )
        .await;
    let mut entries: Vec<(Value, Value, String)> = log
        .data("accessLog")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["action"] == "READ_PERSONAL_DATA")
        .map(|e| {
            let operation = e["operation"].as_str().unwrap_or_default().to_string();
            (e["personId"].clone(), e["fields"].clone(), operation)
        })
        .collect();
    entries.reverse();
    entries
}

/// Posts a raw GraphQL body (to send or omit `operationName`).
async fn post(app: &TestApp, body: Value) -> Value {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token(Role::Supervisor))
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let body: Value = response.json().await.expect("a JSON answer");
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body
}

#[tokio::test]
async fn a_read_that_selects_no_personal_field_writes_no_entry() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let counsellor = token(Role::Counsellor);
    let status = app
        .gql(
            &counsellor,
            "query($id: UUID!) { case(id: $id) { status version persons { id role erased } } }",
            json!({"id": w.case}),
        )
        .await;
    assert_eq!(status.data("case")["status"], "OPEN");
    caught_up(&app.db.owner().await).await;
    let listed = app
        .gql(
            &counsellor,
            "{ cases(first: 5) { nodes { id persons { role } } edges { node { status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed.data("cases")["nodes"][0]["id"], json!(w.case));
    assert_eq!(reads(&app, w.case).await, vec![]);
}

#[tokio::test]
async fn a_read_of_full_names_only_logs_exactly_full_name_per_person() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let answer = app
        .gql(
            &token(Role::Counsellor),
            "query($id: UUID!) { case(id: $id) { persons { fullName } } }",
            json!({"id": w.case}),
        )
        .await;
    assert_eq!(
        answer.data("case")["persons"][0]["fullName"],
        "Sentinel Name"
    );
    let expected = vec![
        (json!(w.both), json!(["fullName"]), "anonymous/case".into()),
        (
            json!(w.name_only),
            json!(["fullName"]),
            "anonymous/case".into(),
        ),
    ];
    assert_eq!(reads(&app, w.case).await, expected);

    // Both fields: each person's entry names only what it had.
    caught_up(&app.db.owner().await).await;
    let cases = "{ cases(first: 5) { edges { node { persons { fullName phone } } } } }";
    app.gql(&token(Role::Supervisor), cases, json!({}))
        .await
        .data("cases");
    let all = reads(&app, w.case).await;
    assert_eq!(
        all[2..],
        [
            (
                json!(w.both),
                json!(["fullName", "phone"]),
                "anonymous/cases".into()
            ),
            (
                json!(w.name_only),
                json!(["fullName"]),
                "anonymous/cases".into()
            ),
        ]
    );
}

#[tokio::test]
async fn aliases_fragments_and_skip_include_log_what_was_executed() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let doc = "query($id: UUID!, $withPhone: Boolean!, $noName: Boolean!) {
        case(id: $id) { ...People }
        history: caseHistory(caseId: $id) { state { ... on Case { people: persons { number: phone @include(if: $withPhone) } } } }
      }
      fragment People on Case { people: persons { name: fullName @skip(if: $noName) number: phone @include(if: $withPhone) } }";
    let answer = app
        .gql(
            &token(Role::Supervisor),
            doc,
            json!({"id": w.case, "withPhone": false, "noName": false}),
        )
        .await;
    let people = &answer.data("case")["people"];
    assert_eq!(people[0], json!({"name": "Sentinel Name"}));
    assert!(
        !answer.body.to_string().contains("+84"),
        "no phone returned: {}",
        answer.body
    );
    assert_eq!(
        reads(&app, w.case).await,
        vec![
            (json!(w.both), json!(["fullName"]), "anonymous/case".into()),
            (
                json!(w.name_only),
                json!(["fullName"]),
                "anonymous/case".into()
            ),
        ],
        "the skipped phone is neither returned nor logged; the history selected nothing personal"
    );

    let answer = app
        .gql(
            &token(Role::Supervisor),
            doc,
            json!({"id": w.case, "withPhone": true, "noName": true}),
        )
        .await;
    assert_eq!(
        answer.data("history")["state"]["people"][0]["number"],
        "+84 900 000 001"
    );
    let mut after = reads(&app, w.case).await.split_off(2);
    // Root fields of a query run concurrently: their entries come in either order.
    after.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        after,
        [
            (json!(w.both), json!(["phone"]), "anonymous/case".into()),
            (
                json!(w.both),
                json!(["phone"]),
                "anonymous/caseHistory".into()
            ),
        ],
        "the person without a phone returned nothing in clear"
    );
}

#[tokio::test]
async fn the_operation_is_named_from_the_document_when_the_body_does_not_name_it() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let named = "query CaseScreen($id: UUID!) { case(id: $id) { persons { fullName } } }";
    post(&app, json!({"query": named, "variables": {"id": w.case}})).await;
    let two = "query First($id: UUID!) { case(id: $id) { persons { fullName } } }
               query Second($id: UUID!) { case(id: $id) { status } }";
    post(
        &app,
        json!({"query": two, "variables": {"id": w.case}, "operationName": "First"}),
    )
    .await;
    let anonymous = "query($id: UUID!) { case(id: $id) { persons { fullName } } }";
    post(
        &app,
        json!({"query": anonymous, "variables": {"id": w.case}}),
    )
    .await;
    let operations: Vec<String> = reads(&app, w.case)
        .await
        .into_iter()
        .filter(|(person, _, _)| *person == json!(w.both))
        .map(|(_, _, operation)| operation)
        .collect();
    assert_eq!(
        operations,
        ["CaseScreen/case", "First/case", "anonymous/case"]
    );
}

#[tokio::test]
async fn a_field_that_reads_erased_is_not_a_read_of_personal_data() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let erased = app
        .gql(
            &token(Role::Admin),
            "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { id erased fullName phone } }",
            json!({"input": {"caseId": w.case, "personId": w.both, "reason": "person asked"}}),
        )
        .await;
    assert_eq!(erased.data("erasePerson")["erased"], true);
    let answer = app
        .gql(
            &token(Role::Supervisor),
            "query($id: UUID!) { case(id: $id) { persons { id fullName phone } } }",
            json!({"id": w.case}),
        )
        .await;
    let persons = &answer.data("case")["persons"];
    assert_eq!(
        (
            persons[0]["fullName"].as_str(),
            persons[0]["phone"].as_str()
        ),
        (Some("[erased]"), Some("[erased]"))
    );
    assert_eq!(persons[1]["fullName"], "Other Sentinel");
    assert_eq!(
        reads(&app, w.case).await,
        vec![(
            json!(w.name_only),
            json!(["fullName"]),
            "anonymous/case".into()
        )],
        "only the person still readable is logged"
    );
    let log = app
        .gql(
            &token(Role::Auditor),
            "query($c: UUID) { accessLog(caseId: $c) { action personId } }",
            json!({"c": w.case}),
        )
        .await;
    let erasures: Vec<&Value> = log
        .data("accessLog")
        .as_array()
        .map(|a| a.iter().filter(|e| e["action"] == "ERASE_PERSON").collect())
        .unwrap_or_default();
    assert_eq!(erasures.len(), 1);
    assert_eq!(erasures[0]["personId"], json!(w.both));
}

#[tokio::test]
async fn mutations_and_list_nodes_log_exactly_what_they_return() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let counsellor = token(Role::Counsellor);
    let attach = "mutation($input: AttachPersonInput!) { attachPerson(input: $input) { status } }";
    let newcomer = Uuid::new_v4();
    let person = json!({"id": newcomer, "role": "REPORTER", "gender": "FEMALE", "fullName": "Third Sentinel", "phone": "+84 900 000 003"});
    app.gql(
        &counsellor,
        attach,
        json!({"input": {"caseId": w.case, "person": person}}),
    )
    .await
    .data("attachPerson");
    assert_eq!(reads(&app, w.case).await, vec![], "status only: no entry");

    let again = "mutation($input: AttachPersonInput!) { attachPerson(input: $input) { persons { phone } } }";
    let person = json!({"role": "RELATIVE", "gender": "MALE"});
    app.gql(
        &counsellor,
        again,
        json!({"input": {"caseId": w.case, "person": person}}),
    )
    .await
    .data("attachPerson");
    let phones = vec![
        (
            json!(w.both),
            json!(["phone"]),
            "anonymous/attachPerson".to_string(),
        ),
        (
            json!(newcomer),
            json!(["phone"]),
            "anonymous/attachPerson".to_string(),
        ),
    ];
    assert_eq!(reads(&app, w.case).await, phones);

    caught_up(&app.db.owner().await).await;
    let nodes = "query Board { cases(first: 5) { nodes { persons { fullName } } } }";
    app.gql(&counsellor, nodes, json!({})).await.data("cases");
    let names: Vec<(Value, Value, String)> = reads(&app, w.case).await.split_off(2);
    assert_eq!(
        names,
        [w.both, w.name_only, newcomer].map(|p| (
            json!(p),
            json!(["fullName"]),
            "Board/cases".to_string()
        ))
    );
}
