//! A counsellor's shift end to end over HTTP, as docs/GRAPHQL.md walks it:
//! receive a call and counsel, open a case, take it, hand it over and get it
//! assigned back, write and read notes (and counselling notes), create and
//! complete follow-ups, and the supervisor's view of overdue referrals; that
//! no note text reaches the log or a read model, and that a rebuild agrees.

use casetrail_tests::casework::{call_and_case, gql, ids, staff};
use casetrail_tests::fixtures::{ago, caught_up, id_of, read_model_digest};
use casetrail_tests::harness::{jwt, spawn_app, token};
use domain::values::Role;
use serde_json::json;
use uuid::Uuid;

const NOTE: &str = "Mother says the broker phoned from Lào Cai; she is scared to call the police.";

#[tokio::test]
async fn a_counsellors_shift() {
    let app = spawn_app().await;
    let pool = app.db.as_app_role().await;
    let lan = staff("lan", Role::Counsellor);
    let hoa = staff("hoa", Role::Counsellor);
    let minh = staff("minh", Role::Supervisor);
    let auditor = token(Role::Auditor);
    let (call, case) = call_and_case(&app, &lan, 40).await;
    let taken_by = gql(
        &app,
        &hoa,
        "query($c: UUID!) { call(id: $c) { takenBy } }",
        json!({"c": call}),
    )
    .await;
    assert_eq!(
        taken_by.data("call")["takenBy"],
        "lan",
        "the call records who took it"
    );

    // The new case waits in the unassigned queue; lan takes it.
    caught_up(&pool).await;
    let queue = gql(
        &app,
        &lan,
        "{ unassignedCases { totalCount edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(ids(queue.data("unassignedCases")), vec![case.to_string()]);
    let take = "mutation($c: UUID!) { takeCase(input: {caseId: $c, idempotencyKey: \"take-1\"}) { owner version } }";
    let taken = gql(&app, &lan, take, json!({"c": case})).await;
    assert_eq!(taken.data("takeCase")["owner"], "lan");
    let again = gql(&app, &lan, take, json!({"c": case})).await;
    assert_eq!(
        again.data("takeCase"),
        taken.data("takeCase"),
        "a retry gets the first result"
    );
    caught_up(&pool).await;
    let mine = gql(
        &app,
        &lan,
        "{ myCases { totalCount edges { node { id owner } } } }",
        json!({}),
    )
    .await;
    assert_eq!(ids(mine.data("myCases")), vec![case.to_string()]);
    let queue = gql(&app, &lan, "{ unassignedCases { totalCount } }", json!({})).await;
    assert_eq!(queue.data("unassignedCases")["totalCount"], 0);

    // lan hands it to hoa; the supervisor sees hoa's queue and assigns it back.
    let transfer =
        "mutation($c: UUID!, $to: String!) { transferCase(input: {caseId: $c, owner: $to, \
                    reason: \"Lan is on leave tomorrow\"}) { owner } }";
    let moved = gql(&app, &lan, transfer, json!({"c": case, "to": "hoa"})).await;
    assert_eq!(moved.data("transferCase")["owner"], "hoa");
    let not_lans = gql(&app, &lan, transfer, json!({"c": case, "to": "lan"})).await;
    assert_eq!(not_lans.code(), Some("FORBIDDEN"), "{}", not_lans.body);
    caught_up(&pool).await;
    let hoas = gql(
        &app,
        &minh,
        "{ casesByOwner(owner: \"hoa\") { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(ids(hoas.data("casesByOwner")), vec![case.to_string()]);
    let assign = "mutation($c: UUID!) { assignCase(input: {caseId: $c, owner: \"lan\", reason: \"Back from leave\"}) { owner } }";
    let back = gql(&app, &minh, assign, json!({"c": case})).await;
    assert_eq!(back.data("assignCase")["owner"], "lan");

    // Notes: written sealed, read back in clear with an access-log entry,
    // redacted for the auditor, and nowhere in the log or a read model.
    let note_id = Uuid::now_v7();
    let write = "mutation($id: UUID!, $c: UUID!, $text: String!) { writeCaseNote(input: {id: $id, caseId: $c, text: $text}) \
                 { id author text redacted } }";
    let written = gql(
        &app,
        &lan,
        write,
        json!({"id": note_id, "c": case, "text": NOTE}),
    )
    .await;
    assert_eq!(written.data("writeCaseNote")["text"], NOTE);
    assert_eq!(written.data("writeCaseNote")["author"], "lan");
    let retried = gql(
        &app,
        &lan,
        write,
        json!({"id": note_id, "c": case, "text": NOTE}),
    )
    .await;
    assert_eq!(retried.data("writeCaseNote"), written.data("writeCaseNote"));
    let notes_doc = "query($c: UUID!) { caseNotes(caseId: $c) { id author text redacted } }";
    let notes = gql(&app, &hoa, notes_doc, json!({"c": case})).await;
    assert_eq!(
        notes.data("caseNotes"),
        &json!([{"id": note_id, "author": "lan", "text": NOTE, "redacted": false}])
    );
    let redacted = gql(&app, &auditor, notes_doc, json!({"c": case})).await;
    assert_eq!(
        redacted.data("caseNotes"),
        &json!([{"id": note_id, "author": "lan", "text": null, "redacted": true}])
    );
    let sessions = gql(
        &app,
        &hoa,
        "query($c: UUID!) { counsellingNotes(callId: $c) { callId text redacted } }",
        json!({"c": call}),
    )
    .await;
    assert_eq!(
        sessions.data("counsellingNotes"),
        &json!([{"callId": call, "text": "Daughter, 17, taken across the border in May.", "redacted": false}])
    );
    let log = gql(
        &app,
        &auditor,
        "query($c: UUID!) { accessLog(caseId: $c) { actor itemId fields operation } }",
        json!({"c": case}),
    )
    .await;
    let entries = log
        .data("accessLog")
        .as_array()
        .cloned()
        .unwrap_or_default();
    let note_reads: Vec<_> = entries
        .iter()
        .filter(|e| e["itemId"] == json!(note_id))
        .map(|e| (e["actor"].clone(), e["fields"].clone()))
        .collect();
    assert_eq!(
        note_reads,
        vec![
            (json!("hoa"), json!(["text"])),
            (json!("lan"), json!(["text"])),
            (json!("lan"), json!(["text"]))
        ],
        "one entry per read in clear, newest first; none for the auditor's redacted read"
    );
    let owner = app.db.owner().await;
    for table in ["events", "cases", "follow_ups", "command_receipts"] {
        let leaked: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} t WHERE t::text LIKE '%broker phoned%' OR t::text LIKE '%on leave%'"
        ))
        .fetch_one(&owner)
        .await
        .expect("readable");
        assert_eq!(leaked, 0, "plaintext in {table}");
    }

    // Follow-ups: one already overdue, one due tomorrow; completing clears it.
    let create = "mutation($c: UUID!, $created: DateTime, $due: DateTime!, $what: String!) { createFollowUp(input: \
                  {caseId: $c, createdAt: $created, dueAt: $due, description: $what}) { id assignee overdue description } }";
    let overdue = gql(
        &app,
        &lan,
        create,
        json!({"c": case, "created": ago(120), "due": ago(60), "what": "Call the mother back"}),
    )
    .await;
    let overdue_node = overdue.data("createFollowUp");
    assert_eq!(
        (
            overdue_node["assignee"].clone(),
            overdue_node["overdue"].clone()
        ),
        (json!("lan"), json!(true))
    );
    let overdue_id = id_of(overdue_node);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let later = gql(
        &app,
        &lan,
        create,
        json!({"c": case, "due": tomorrow, "what": "Visit with the women's union"}),
    )
    .await;
    let later_id = id_of(later.data("createFollowUp"));
    caught_up(&pool).await;
    let my = gql(
        &app,
        &lan,
        "{ myFollowUps { totalCount edges { node { id description } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        ids(my.data("myFollowUps")),
        vec![overdue_id.to_string(), later_id.to_string()]
    );
    let lans_overdue = gql(
        &app,
        &lan,
        "{ overdueFollowUps { edges { node { id } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        ids(lans_overdue.data("overdueFollowUps")),
        vec![overdue_id.to_string()]
    );
    let hoas_overdue = gql(&app, &hoa, "{ overdueFollowUps { totalCount } }", json!({})).await;
    assert_eq!(hoas_overdue.data("overdueFollowUps")["totalCount"], 0);
    let all_overdue = gql(
        &app,
        &minh,
        "{ overdueFollowUps { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(all_overdue.data("overdueFollowUps")["totalCount"], 1);
    let complete =
        "mutation($c: UUID!, $f: UUID!) { completeFollowUp(input: {caseId: $c, followUpId: $f, \
                    idempotencyKey: \"done-1\"}) { completedBy overdue } }";
    let done = gql(&app, &lan, complete, json!({"c": case, "f": overdue_id})).await;
    assert_eq!(
        done.data("completeFollowUp"),
        &json!({"completedBy": "lan", "overdue": false})
    );
    caught_up(&pool).await;
    let cleared = gql(
        &app,
        &minh,
        "{ overdueFollowUps { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(cleared.data("overdueFollowUps")["totalCount"], 0);

    // A referral the agency has not acknowledged for 30 hours is overdue.
    let send = gql(
        &app,
        &lan,
        "mutation($c: UUID!, $at: DateTime!) { sendReferral(input: {caseId: $c, agency: CRIMINAL_POLICE, \
         referredAt: $at, personsAtRisk: 1, consent: {given: true}}) { id } }",
        json!({"c": case, "at": ago(30 * 60)}),
    )
    .await;
    let referral = id_of(send.data("sendReferral"));
    caught_up(&pool).await;
    let late = gql(
        &app,
        &minh,
        "{ overdueReferrals { edges { node { id status agency } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        ids(late.data("overdueReferrals")),
        vec![referral.to_string()]
    );
    let police = api::auth::mint(
        &jwt(),
        "officer-hung",
        Role::Agency,
        Some(domain::values::Agency::CriminalPolice),
        600,
    )
    .expect("token");
    gql(
        &app,
        &police,
        "mutation($c: UUID!, $r: UUID!, $at: DateTime!) { updateReferral(input: {caseId: $c, referralId: $r, \
         status: ACKNOWLEDGED, at: $at}) { status } }",
        json!({"c": case, "r": referral, "at": ago(1)}),
    )
    .await
    .data("updateReferral");
    caught_up(&pool).await;
    let acknowledged = gql(
        &app,
        &minh,
        "{ overdueReferrals { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(acknowledged.data("overdueReferrals")["totalCount"], 0);

    // Owners and follow-ups are read models: a rebuild from zero gives the same rows.
    let before = read_model_digest(&owner).await;
    let store = store::EventStore::new(pool.clone(), domain::upcasters::upcasters());
    let settings = projections::ProjectionSettings::default();
    projections::rebuild(&app.db.url, &store, &settings, Some("cases"))
        .await
        .expect("rebuild");
    assert_eq!(read_model_digest(&owner).await, before);
}
