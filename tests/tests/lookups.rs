//! Finding persons by exact phone or full name through the blind index:
//! normalised matches, the access log, erasure, the roles table, the rate
//! limit, and re-indexing under a new lookup key.

use casetrail_tests::fixtures::{a_call, ago, id_of};
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

const LOOK_UP: &str = "query($phone: String, $name: String) { \
    lookUpPersons(phone: $phone, fullName: $name) { caseId personId matchedOn } }";

/// A case with a person named and reachable by phone; returns (case, person).
async fn a_known_person(app: &TestApp, name: &str, phone: &str) -> (Uuid, Uuid) {
    let counsellor = token(Role::Counsellor);
    let call = a_call(app, &counsellor).await;
    let person = Uuid::new_v4();
    let opened = app
        .gql(&counsellor, "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }",
            json!({"input": {"fromCallId": call, "openedAt": ago(590), "persons": [
                {"id": person, "role": "VICTIM", "gender": "FEMALE", "fullName": name, "phone": phone}]}}))
        .await;
    (id_of(opened.data("openCase")), person)
}

async fn look_up(app: &TestApp, role: Role, phone: Option<&str>, name: Option<&str>) -> Value {
    let answer = app
        .gql(&token(role), LOOK_UP, json!({"phone": phone, "name": name}))
        .await;
    answer.data("lookUpPersons").clone()
}

fn matches(case: Uuid, person: Uuid, on: &str) -> Value {
    json!([{"caseId": case, "personId": person, "matchedOn": on}])
}

#[tokio::test]
async fn a_person_is_found_by_phone_or_name_however_written_and_not_after_erasure() {
    let app = spawn_app().await;
    let (case, person) = a_known_person(&app, "Nguyễn Thị Lan", "0912 345 678").await;
    let (other_case, other) = a_known_person(&app, "Trần Văn Minh", "+84 987 654 321").await;

    for phone in [
        "0912345678",
        "+84912345678",
        "+84 912.345.678",
        "0084 912 345 678",
    ] {
        assert_eq!(
            look_up(&app, Role::Counsellor, Some(phone), None).await,
            matches(case, person, "phone"),
            "{phone}"
        );
    }
    for name in ["nguyễn thị lan", "  NGUYỄN   THỊ LAN ", "Nguyễn Thị Lan"] {
        assert_eq!(
            look_up(&app, Role::Supervisor, None, Some(name)).await,
            matches(case, person, "fullName"),
            "{name}"
        );
    }
    // Exact only: another name, a name without its diacritics, another number.
    assert_eq!(
        look_up(&app, Role::Counsellor, None, Some("Nguyen Thi Lan")).await,
        json!([])
    );
    assert_eq!(
        look_up(&app, Role::Counsellor, Some("0912345679"), None).await,
        json!([])
    );
    assert_eq!(
        look_up(&app, Role::Counsellor, Some("0987654321"), None).await,
        matches(other_case, other, "phone")
    );

    // The index holds neither the clear values nor anything without the key.
    let owner = app.db.owner().await;
    let rows: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT digest FROM person_lookup")
        .fetch_all(&owner)
        .await
        .expect("index readable");
    assert_eq!(rows.len(), 4);
    for (digest,) in &rows {
        let text = String::from_utf8_lossy(digest);
        assert!(!text.contains("912") && !text.to_lowercase().contains("lan"));
    }

    let erased = app
        .gql(
            &token(Role::Admin),
            "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { id erased } }",
            json!({"input": {"caseId": case, "personId": person, "reason": "the person asked"}}),
        )
        .await;
    assert_eq!(erased.data("erasePerson")["erased"], true);
    assert_eq!(
        look_up(&app, Role::Counsellor, Some("0912345678"), None).await,
        json!([])
    );
    assert_eq!(
        look_up(&app, Role::Counsellor, None, Some("Nguyễn Thị Lan")).await,
        json!([])
    );
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM person_lookup WHERE person_id = $1")
        .bind(person)
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(left, 0, "erasure removes the person's index rows");
}

#[tokio::test]
async fn every_lookup_is_in_the_access_log_found_or_not() {
    let app = spawn_app().await;
    let (case, person) = a_known_person(&app, "Phạm Thu Hà", "0901000111").await;
    look_up(&app, Role::Counsellor, Some("0901 000 111"), None).await;
    look_up(&app, Role::Supervisor, None, Some("nobody at all")).await;
    let log = app
        .gql(
            &token(Role::Auditor),
            "{ accessLog(first: 10) { actor action caseId personId fields operation } }",
            json!({}),
        )
        .await;
    let entries: Vec<Value> = log
        .data("accessLog")
        .as_array()
        .expect("entries")
        .iter()
        .filter(|n| n["action"] == "LOOK_UP_PERSON")
        .cloned()
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    // Newest first: the lookup that found nothing, then the one that found the person.
    assert_eq!(entries[0]["caseId"], Value::Null);
    assert_eq!(entries[0]["fields"], json!(["fullName"]));
    assert_eq!(entries[0]["actor"], "test-supervisor");
    assert_eq!(entries[1]["caseId"], case.to_string().as_str());
    assert_eq!(entries[1]["personId"], person.to_string().as_str());
    assert_eq!(entries[1]["fields"], json!(["phone"]));
    assert_eq!(entries[1]["operation"], "anonymous/lookUpPersons");
    let text = log.body.to_string();
    assert!(
        !text.contains("0901") && !text.contains("nobody"),
        "the value looked for is never logged"
    );
}

#[tokio::test]
async fn only_counsellors_and_supervisors_may_look_up() {
    use api::policy::{allows, Capability};
    let app = spawn_app().await;
    for role in Role::ALL.iter().copied() {
        let answer = app
            .gql(&token(role), LOOK_UP, json!({"phone": "0912345678"}))
            .await;
        if allows(role, Capability::LookUpPersons) {
            assert_eq!(answer.data("lookUpPersons"), &json!([]), "{role:?}");
        } else {
            assert_eq!(
                answer.code(),
                Some("FORBIDDEN"),
                "{role:?}: {}",
                answer.body
            );
        }
    }
}

#[tokio::test]
async fn bad_lookups_are_the_callers_error_and_lookups_are_rate_limited() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    for variables in [
        json!({}),
        json!({"phone": "0912345678", "name": "Lan"}),
        json!({"phone": "call me maybe"}),
        json!({"name": "   "}),
        json!({"name": "x".repeat(201)}),
    ] {
        let answer = app.gql(&counsellor, LOOK_UP, variables.clone()).await;
        assert_eq!(
            answer.code(),
            Some("BAD_USER_INPUT"),
            "{variables}: {}",
            answer.body
        );
    }
    let mut limited = false;
    for _ in 0..40 {
        let answer = app
            .gql(&counsellor, LOOK_UP, json!({"phone": "0912345678"}))
            .await;
        if answer.code() == Some("RATE_LIMITED") {
            limited = true;
            break;
        }
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
    }
    assert!(limited, "lookups have a limit of their own");
}

#[tokio::test]
async fn rotating_the_lookup_key_reindexes_from_the_vault() {
    let app = spawn_app().await;
    let (case, person) = a_known_person(&app, "Lê Thị Hoa", "0933 222 111").await;
    let (erased_case, erased) = a_known_person(&app, "Đỗ Văn Nam", "0933 222 999").await;
    let admin = token(Role::Admin);
    let answer = app
        .gql(
            &admin,
            "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { id } }",
            json!({"input": {"caseId": erased_case, "personId": erased, "reason": "asked"}}),
        )
        .await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);

    let new_key = hex_key(0x5a);
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["rotate-lookup-key"])
        .env("DATABASE_URL", &app.db.url)
        .env("CASETRAIL_MASTER_KEY", hex_key(7))
        .env("CASETRAIL_LOOKUP_KEY", &new_key)
        .output()
        .await
        .expect("the command runs");
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    assert!(
        said.contains("indexed 1 persons") && said.contains("1 passed over"),
        "{said}"
    );

    // The server with the old key finds nothing any more; one with the new key does.
    assert_eq!(
        look_up(&app, Role::Counsellor, Some("0933222111"), None).await,
        json!([])
    );
    let mut settings = casetrail_tests::harness::settings(&app.db.url);
    settings.lookup_key = [0x5a; 32];
    let server = api::Application::build(settings).await.expect("starts");
    let address = format!("http://127.0.0.1:{}", server.port());
    let task = tokio::spawn(async move {
        let _ = server.run_until_stopped().await;
    });
    let found = casetrail_tests::harness::post_graphql(
        &app.client,
        &address,
        Some(&token(Role::Counsellor)),
        LOOK_UP,
        json!({"name": "lê thị hoa"}),
    )
    .await;
    assert_eq!(
        found.data("lookUpPersons"),
        &matches(case, person, "fullName")
    );
    let gone = casetrail_tests::harness::post_graphql(
        &app.client,
        &address,
        Some(&token(Role::Counsellor)),
        LOOK_UP,
        json!({"phone": "0933222999"}),
    )
    .await;
    assert_eq!(
        gone.data("lookUpPersons"),
        &json!([]),
        "an erased person is not re-indexed"
    );
    task.abort();
}

fn hex_key(byte: u8) -> String {
    format!("{byte:02x}").repeat(32)
}

/// A correction of a person's phone or name is found by lookup like the
/// values first recorded, which stay findable; a re-index keeps both.
#[tokio::test]
async fn corrected_phones_and_names_are_found_and_survive_a_reindex() {
    let app = spawn_app().await;
    let (case, person) = a_known_person(&app, "Vàng Thị Dợ", "0977 000 111").await;
    let corrected = app
        .gql(
            &token(Role::Counsellor),
            "mutation($input: CorrectPersonInput!) { correctPerson(input: $input) { version } }",
            json!({"input": {"caseId": case, "personId": person, "fullName": "Vàng Thị Dung",
                             "phone": "0977 000 222", "reason": "Misheard"}}),
        )
        .await;
    assert!(corrected.body.get("errors").is_none(), "{}", corrected.body);
    for (phone, name) in [
        ("0977000222", "vàng thị dung"),
        ("0977000111", "vàng thị dợ"),
    ] {
        assert_eq!(
            look_up(&app, Role::Counsellor, Some(phone), None).await,
            matches(case, person, "phone"),
            "{phone}"
        );
        assert_eq!(
            look_up(&app, Role::Supervisor, None, Some(name)).await,
            matches(case, person, "fullName"),
            "{name}"
        );
    }

    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["rotate-lookup-key"])
        .env("DATABASE_URL", &app.db.url)
        .env("CASETRAIL_MASTER_KEY", hex_key(7))
        .env("CASETRAIL_LOOKUP_KEY", hex_key(0x6b))
        .output()
        .await
        .expect("the command runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut settings = casetrail_tests::harness::settings(&app.db.url);
    settings.lookup_key = [0x6b; 32];
    let server = api::Application::build(settings).await.expect("starts");
    let address = format!("http://127.0.0.1:{}", server.port());
    let task = tokio::spawn(async move {
        let _ = server.run_until_stopped().await;
    });
    for phone in ["0977000222", "0977000111"] {
        let found = casetrail_tests::harness::post_graphql(
            &app.client,
            &address,
            Some(&token(Role::Counsellor)),
            LOOK_UP,
            json!({"phone": phone}),
        )
        .await;
        assert_eq!(
            found.data("lookUpPersons"),
            &matches(case, person, "phone"),
            "{phone} after the re-index"
        );
    }
    task.abort();
}
