//! Security and privacy: the role matrix, personal data sealed everywhere
//! (the sentinel test), erasure, the access log, strict tokens and limits.

use std::process::Command;

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{
    agency_token, post_graphql, spawn_app, token, TestApp, TestDatabase,
};
use casetrail_tests::process::ServerProcess;
use domain::values::{Agency, Role};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};
use uuid::Uuid;

/// One operation of the matrix: a document and its variables.
struct Op {
    name: &'static str,
    doc: String,
    vars: Value,
}

struct World {
    case: Uuid,
    call: Uuid,
    police_referral: Uuid,
    border_referral: Uuid,
    person: Uuid,
}

async fn world(app: &TestApp) -> World {
    let counsellor = token(Role::Counsellor);
    let call = a_call(app, &counsellor).await;
    let person = Uuid::new_v4();
    let opened = app
        .gql(&counsellor, &open_case_doc(), json!({"input": {"fromCallId": call, "openedAt": ago(590),
            "persons": [{"id": person, "role": "VICTIM", "gender": "FEMALE", "fullName": "Sentinel Name", "phone": "+84 900 000 001"}]}}))
        .await;
    let case = id_of(opened.data("openCase"));
    let police_referral = a_referral(app, &counsellor, case, "CRIMINAL_POLICE").await;
    let border_referral = a_referral(app, &counsellor, case, "BORDER_GUARD").await;
    World {
        case,
        call,
        police_referral,
        border_referral,
        person,
    }
}

fn operations(w: &World) -> Vec<Op> {
    let m = |name: &'static str, input_type: &str, selection: &str, input: Value| Op {
        name,
        doc: format!(
            "mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} }} }}"
        ),
        vars: json!({ "input": input }),
    };
    let q = |name: &'static str, doc: &str, vars: Value| Op {
        name,
        doc: doc.to_string(),
        vars,
    };
    vec![
        m(
            "receiveCall",
            "ReceiveCallInput",
            "id",
            json!({"receivedAt": ago(5), "channel": "VOICE", "region": "UNKNOWN", "callerType": "CITIZEN", "category": "INFORMATION"}),
        ),
        m(
            "recordCounsellingSession",
            "RecordCounsellingSessionInput",
            "id",
            json!({"callId": w.call, "startedAt": ago(500), "durationMinutes": 5, "topics": ["POLICY"]}),
        ),
        m(
            "openCase",
            "OpenCaseInput",
            "id",
            json!({"openedAt": ago(5), "region": "UNKNOWN"}),
        ),
        m(
            "attachCall",
            "AttachCallInput",
            "id",
            json!({"caseId": w.case, "callId": w.call}),
        ),
        m(
            "attachPerson",
            "AttachPersonInput",
            "id",
            json!({"caseId": w.case, "person": {"role": "RELATIVE", "gender": "UNKNOWN"}}),
        ),
        m(
            "sendReferral",
            "SendReferralInput",
            "id",
            json!({"caseId": w.case, "agency": "NGO", "referredAt": ago(400), "personsAtRisk": 1, "consent": {"given": true}}),
        ),
        m(
            "updateReferral",
            "UpdateReferralInput",
            "id",
            json!({"caseId": w.case, "referralId": w.police_referral, "status": "ACKNOWLEDGED", "at": ago(300), "idempotencyKey": "matrix-ack"}),
        ),
        m(
            "recordRescue",
            "RecordRescueInput",
            "id",
            json!({"id": Uuid::new_v4(), "caseId": w.case, "referralId": w.police_referral, "rescuedAt": ago(200), "personsRescued": 1}),
        ),
        m(
            "provideSupport",
            "ProvideSupportInput",
            "id",
            json!({"caseId": w.case, "service": "MEDICAL", "providedAt": ago(100)}),
        ),
        m(
            "closeCase",
            "CloseCaseInput",
            "id",
            json!({"caseId": Uuid::new_v4(), "closedAt": ago(1), "reason": "x"}),
        ),
        m(
            "reopenCase",
            "ReopenCaseInput",
            "id",
            json!({"caseId": Uuid::new_v4(), "reopenedAt": ago(1), "reason": "x"}),
        ),
        m(
            "erasePerson",
            "ErasePersonInput",
            "id",
            json!({"caseId": w.case, "personId": Uuid::new_v4(), "reason": "request"}),
        ),
        q(
            "call",
            "query($id: UUID!) { call(id: $id) { id } }",
            json!({"id": w.call}),
        ),
        q(
            "case",
            "query($id: UUID!) { case(id: $id) { id } }",
            json!({"id": w.case}),
        ),
        q(
            "caseHistory",
            "query($id: UUID!) { caseHistory(caseId: $id) { caseId } }",
            json!({"id": w.case}),
        ),
        q(
            "callHistory",
            "query($id: UUID!) { callHistory(callId: $id) { callId } }",
            json!({"id": w.call}),
        ),
        q("verifyIntegrity", "{ verifyIntegrity { ok } }", json!({})),
        q("accessLog", "{ accessLog { id } }", json!({})),
        q("calls", "{ calls(first: 5) { totalCount } }", json!({})),
        q("cases", "{ cases(first: 5) { totalCount } }", json!({})),
        q(
            "referrals",
            "{ referrals(first: 5) { totalCount } }",
            json!({}),
        ),
        q(
            "statistics",
            "{ statistics(from: \"2020-01-01\", to: \"2030-01-01\") { totalCalls } }",
            json!({}),
        ),
        q("projections", "{ projections { name } }", json!({})),
        q(
            "changeReferenceData",
            "mutation($i: ChangeReferenceDataInput!) { changeReferenceData(input: $i) { version } }",
            json!({"i": {"kind": "AGENCY", "code": "NGO", "validFrom": "2030-01-01",
                          "name": "Tổ chức phi chính phủ", "ministry": "NON_GOVERNMENTAL",
                          "source": "security test"}}),
        ),
        q("transparencyLog", "{ transparencyLog { size } }", json!({})),
        q(
            "inclusionProof",
            "query($id: UUID!) { inclusionProof(caseId: $id, sequence: 1, treeSize: 0) { leafIndex } }",
            json!({"id": w.case}),
        ),
        q(
            "consistencyProof",
            "{ consistencyProof(oldSize: 0, newSize: 0) { path } }",
            json!({}),
        ),
    ]
}

/// Which roles may run each operation (DESIGN.md's table).
fn allowed(op: &str, role: Role) -> bool {
    use Role::*;
    match op {
        "receiveCall"
        | "recordCounsellingSession"
        | "openCase"
        | "attachCall"
        | "attachPerson"
        | "sendReferral"
        | "provideSupport"
        | "call"
        | "case" => matches!(role, Counsellor | Supervisor),
        "updateReferral" | "recordRescue" => matches!(role, Supervisor | Agency),
        "closeCase" | "reopenCase" => role == Supervisor,
        "erasePerson" => role == Admin,
        "caseHistory" | "callHistory" => matches!(role, Supervisor | Auditor),
        "verifyIntegrity" => matches!(role, Supervisor | Auditor | Admin),
        "accessLog" => role == Auditor,
        "calls" | "cases" => matches!(role, Counsellor | Supervisor),
        "referrals" => matches!(role, Counsellor | Supervisor | Agency),
        "statistics" => matches!(role, Counsellor | Supervisor | Auditor | Analyst),
        "projections" => matches!(role, Supervisor | Auditor | Admin),
        "changeReferenceData" => role == Admin,
        "transparencyLog" | "inclusionProof" | "consistencyProof" => role == Auditor,
        other => panic!("no expectation for {other}"),
    }
}

#[tokio::test]
async fn every_role_is_allowed_or_forbidden_each_operation_as_the_design_says() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for role in Role::ALL.iter().copied() {
        for op in operations(&w) {
            let answer = app.gql(&token(role), &op.doc, op.vars.clone()).await;
            let code = answer.code();
            if allowed(op.name, role) {
                assert!(
                    !matches!(code, Some("FORBIDDEN" | "UNAUTHENTICATED")),
                    "{role:?} {} should be allowed: {}",
                    op.name,
                    answer.body
                );
            } else {
                assert_eq!(
                    code,
                    Some("FORBIDDEN"),
                    "{role:?} {} should be forbidden: {}",
                    op.name,
                    answer.body
                );
            }
        }
    }
    // An agency acts only on referrals sent to it.
    let other = agency_token(Agency::CriminalPolice);
    let doc = update_referral_doc();
    let theirs = json!({"input": {"caseId": w.case, "referralId": w.border_referral, "status": "ACKNOWLEDGED", "at": ago(300)}});
    assert_eq!(
        app.gql(&other, &doc, theirs.clone()).await.code(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        app.gql(&agency_token(Agency::BorderGuard), &doc, theirs)
            .await
            .data("updateReferral")["status"],
        "ACKNOWLEDGED"
    );
}

#[tokio::test]
async fn personal_data_is_open_only_to_counsellors_and_supervisors_and_each_read_is_in_the_access_log(
) {
    let app = spawn_app().await;
    let w = world(&app).await;
    let persons = "query($id: UUID!) { case(id: $id) { persons { fullName phone erased } } }";
    for role in [Role::Counsellor, Role::Supervisor] {
        let answer = app.gql(&token(role), persons, json!({"id": w.case})).await;
        assert_eq!(
            answer.data("case")["persons"][0]["fullName"],
            "Sentinel Name",
            "{role:?}"
        );
        assert_eq!(
            answer.data("case")["persons"][0]["phone"],
            "+84 900 000 001"
        );
    }
    // Auditors read histories with personal data redacted.
    let history = "query($id: UUID!) { caseHistory(caseId: $id) { state { persons { fullName phone } } events { payload } } }";
    let audited = app
        .gql(&token(Role::Auditor), history, json!({"id": w.case}))
        .await;
    let state = &audited.data("caseHistory")["state"]["persons"][0];
    assert_eq!(
        (state["fullName"].clone(), state["phone"].clone()),
        (Value::Null, Value::Null)
    );
    assert!(
        !audited.body.to_string().contains("Sentinel"),
        "plaintext in an auditor's history"
    );

    let log = app.gql(&token(Role::Auditor), "query($c: UUID) { accessLog(caseId: $c) { actorRole action personId fields operation } }", json!({"c": w.case})).await;
    let entries = log
        .data("accessLog")
        .as_array()
        .cloned()
        .unwrap_or_default();
    let reads: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "READ_PERSONAL_DATA" && e["operation"] == "anonymous/case")
        .collect();
    assert_eq!(reads.len(), 2, "one entry per clear read: {entries:?}");
    assert!(reads
        .iter()
        .all(|e| e["personId"] == json!(w.person) && e["fields"] == json!(["fullName", "phone"])));
}

#[tokio::test]
async fn erasure_makes_the_person_read_as_erased_everywhere_and_the_chains_still_verify() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let erase =
        "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { id erased fullName } }";
    let erased = app
        .gql(
            &token(Role::Admin),
            erase,
            json!({"input": {"caseId": w.case, "personId": w.person, "reason": "person asked"}}),
        )
        .await;
    assert_eq!(erased.data("erasePerson")["erased"], true);
    assert_eq!(
        erased.data("erasePerson")["fullName"],
        Value::Null,
        "an admin never sees personal data"
    );

    let case = app
        .gql(&token(Role::Supervisor), &case_doc(), json!({"id": w.case}))
        .await;
    let person = &case.data("case")["persons"][0];
    assert_eq!(
        (
            person["fullName"].as_str(),
            person["phone"].as_str(),
            person["erased"].as_bool()
        ),
        (Some("[erased]"), Some("[erased]"), Some(true))
    );
    // The rest of the case is unchanged.
    assert_eq!(
        case.data("case")["referrals"].as_array().map(Vec::len),
        Some(2)
    );
    let history = app
        .gql(&token(Role::Supervisor), "query($id: UUID!) { caseHistory(caseId: $id, upToVersion: 2) { state { persons { fullName } } } }", json!({"id": w.case}))
        .await;
    assert_eq!(
        history.data("caseHistory")["state"]["persons"][0]["fullName"],
        "[erased]",
        "a replay of the past shows it erased too"
    );
    let verify = app
        .gql(
            &token(Role::Auditor),
            "{ verifyIntegrity { ok eventsChecked } }",
            json!({}),
        )
        .await;
    assert_eq!(verify.data("verifyIntegrity")["ok"], true);
    // Erasing again changes nothing; an erased person's data cannot be re-sealed.
    let again = app
        .gql(
            &token(Role::Admin),
            erase,
            json!({"input": {"caseId": w.case, "personId": w.person, "reason": "person asked"}}),
        )
        .await;
    assert_eq!(again.data("erasePerson")["erased"], true);
    let owner = app.db.owner().await;
    let erasures: i64 =
        sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PersonErased'")
            .fetch_one(&owner)
            .await
            .expect("count");
    assert_eq!(erasures, 1);
}

#[tokio::test]
async fn a_sentinel_name_and_phone_appear_nowhere_in_a_database_dump_or_the_server_log() {
    let db = TestDatabase::create().await;
    let mut server = ServerProcess::start(env!("CARGO_BIN_EXE_casetrail"), &db.url, &[]);
    let client = reqwest::Client::new();
    let counsellor = token(Role::Counsellor);
    let (name, phone, note) = (
        "Zyxwv Sentinelname",
        "+84 987 654 321",
        "sentinel-note-qwerty",
    );
    let call = post_graphql(&client, &server.address, Some(&counsellor), &receive_call_doc(),
        json!({"input": {"receivedAt": ago(60), "channel": "VOICE", "region": "NORTHWEST", "callerType": "VICTIM", "category": "COUNSELLING"}})).await;
    let call_id = id_of(call.data("receiveCall"));
    post_graphql(&client, &server.address, Some(&counsellor),
        "mutation($input: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $input) { id } }",
        json!({"input": {"callId": call_id, "startedAt": ago(59), "durationMinutes": 10, "topics": ["LEGAL"], "notes": note}})).await.data("recordCounsellingSession");
    let opened = post_graphql(&client, &server.address, Some(&counsellor), &open_case_doc(),
        json!({"input": {"fromCallId": call_id, "openedAt": ago(50), "persons": [{"role": "VICTIM", "gender": "FEMALE", "fullName": name, "phone": phone}]}})).await;
    let case = opened.data("openCase");
    assert_eq!(
        case["persons"][0]["fullName"], name,
        "the counsellor reads it back"
    );
    // Case notes and follow-ups are sealed like counselling notes.
    let case_note = "sentinel-casenote-zxcv";
    post_graphql(&client, &server.address, Some(&counsellor),
        "mutation($c: UUID!, $t: String!) { writeCaseNote(input: {caseId: $c, text: $t}) { text } }",
        json!({"c": id_of(case), "t": case_note})).await.data("writeCaseNote");
    // A failing request that carries the sentinel must not echo it either.
    let bad = post_graphql(&client, &server.address, Some(&counsellor), &open_case_doc(),
        json!({"input": {"openedAt": ago(50), "province": "NOWHERE", "persons": [{"role": "VICTIM", "gender": "FEMALE", "fullName": name, "phone": phone}]}})).await;
    assert!(bad.code().is_some());
    assert!(!bad.body.to_string().contains("Sentinelname"));
    server.kill();

    let dump = Command::new("pg_dump")
        .args(["--data-only", "--no-owner", &db.url])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains("CallReceived"), "the dump holds the log");
    let log = server.log();
    assert!(log.contains("casetrail is serving"), "the log was captured");
    for secret in [
        "Sentinelname",
        "987 654 321",
        "987654321",
        note,
        "sentinel-casenote-zxcv",
    ] {
        assert!(!dump.contains(secret), "{secret} in the database dump");
        assert!(!log.contains(secret), "{secret} in the server log");
    }
}

#[tokio::test]
async fn rs256_configuration_refuses_hs256_tokens_signed_with_the_public_key() {
    let db = TestDatabase::create().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let public = format!("{fixtures}/test-jwt-rsa.pub.pem");
    let private = format!("{fixtures}/test-jwt-rsa.pem");
    let server = ServerProcess::start(
        env!("CARGO_BIN_EXE_casetrail"),
        &db.url,
        &[
            ("CASETRAIL_JWT_SECRET", ""),
            ("CASETRAIL_JWT_PUBLIC_KEY_FILE", &public),
        ],
    );
    let minted = Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["token", "--sub", "lan", "--role", "COUNSELLOR"])
        .env("CASETRAIL_JWT_PUBLIC_KEY_FILE", &public)
        .env("CASETRAIL_JWT_PRIVATE_KEY_FILE", &private)
        .env_remove("CASETRAIL_JWT_SECRET")
        .output()
        .expect("token");
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let rs_token = String::from_utf8_lossy(&minted.stdout).trim().to_string();
    let client = reqwest::Client::new();
    let doc = "{ verifyIntegrity { ok } }";
    let ok = post_graphql(&client, &server.address, Some(&rs_token), doc, json!({})).await;
    assert_eq!(
        ok.code(),
        Some("FORBIDDEN"),
        "authenticated (a counsellor may not verify): {} {}",
        ok.body,
        server
            .log()
            .lines()
            .filter(|l| l.contains("refused"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": "mallory", "role": "SUPERVISOR", "iss": "casetrail", "aud": "casetrail", "iat": now, "exp": now + 600});
    let public_pem = std::fs::read(&public).expect("public key");
    let confused = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(&public_pem),
    )
    .expect("sign");
    let refused = post_graphql(&client, &server.address, Some(&confused), doc, json!({})).await;
    assert_eq!(
        (refused.status, refused.code()),
        (401, Some("UNAUTHENTICATED"))
    );
}

#[tokio::test]
async fn production_mode_refuses_to_start_with_development_secrets() {
    let output = Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("CASETRAIL_ENV", "production")
        .env_remove("CASETRAIL_JWT_SECRET")
        .env_remove("CASETRAIL_MASTER_KEY")
        .output()
        .expect("casetrail runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("CASETRAIL_JWT_SECRET is required in production"));
    let output = Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("CASETRAIL_ENV", "production")
        .env("CASETRAIL_JWT_SECRET", api::settings::DEV_JWT_SECRET)
        .output()
        .expect("casetrail runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("public development secret"));
}

#[tokio::test]
async fn over_deep_alias_amplified_and_batched_requests_are_refused_before_execution() {
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let mut nested = String::from("__typename");
    for _ in 0..20 {
        nested = format!("__schema {{ types {{ fields {{ type {{ {nested} }} }} }} }}");
    }
    let too_deep = app
        .gql(&supervisor, &format!("{{ {nested} }}"), json!({}))
        .await;
    assert_eq!(too_deep.code(), Some("BAD_USER_INPUT"), "{}", too_deep.body);
    assert!(too_deep.body["data"].is_null());

    let aliases: String = (0..2_000)
        .map(|i| format!("a{i}: case(id: \"{}\") {{ id }} ", Uuid::nil()))
        .collect();
    let amplified = app
        .gql(&supervisor, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(
        amplified.code(),
        Some("BAD_USER_INPUT"),
        "{}",
        amplified.body
    );
    assert!(
        amplified.body["data"].is_null(),
        "refused before any resolver ran"
    );

    let batch = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&supervisor)
        .json(&json!([{"query": "{ __typename }"}, {"query": "{ __typename }"}]))
        .send()
        .await
        .expect("answer");
    assert_eq!(batch.status(), 400, "batched requests are not accepted");

    let ten_mb = "a".repeat(10 * 1024 * 1024);
    let big = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&supervisor)
        .header("content-type", "application/json")
        .body(ten_mb)
        .send()
        .await
        .expect("answer");
    assert_eq!(big.status(), 413);
}

#[tokio::test]
async fn a_subject_over_its_rate_limit_gets_429_rate_limited_and_others_do_not() {
    let db = TestDatabase::create().await;
    let server = ServerProcess::start(
        env!("CARGO_BIN_EXE_casetrail"),
        &db.url,
        &[("CASETRAIL_RATE_LIMIT_PER_MINUTE", "40")],
    );
    let client = reqwest::Client::new();
    let noisy = token(Role::Auditor);
    let mut limited = None;
    for i in 0..40 {
        let answer = post_graphql(
            &client,
            &server.address,
            Some(&noisy),
            "{ verifyIntegrity { ok } }",
            json!({}),
        )
        .await;
        if answer.status == 429 {
            limited = Some((i, answer));
            break;
        }
    }
    let (i, answer) = limited.expect("the limit was reached");
    assert!(i >= 10, "the burst allows at least 10 requests");
    assert_eq!(answer.code(), Some("RATE_LIMITED"));
    let other = post_graphql(
        &client,
        &server.address,
        Some(&token(Role::Supervisor)),
        "{ verifyIntegrity { ok } }",
        json!({}),
    )
    .await;
    assert_eq!(other.status, 200);
}
