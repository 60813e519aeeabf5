//! Data keys are the server's, typed by subject kind: a client-chosen person
//! id equal to a case's id is another key. Migration 0006 files keys made
//! before it under the kinds they actually sealed, and keeps a key that two
//! kinds shared erasable as one; it scopes old receipts by their actor and
//! wipes their fingerprints (which covered personal data).

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{server_url, spawn_app, spawn_on, token, TestApp, TestDatabase};
use chrono::{Duration, Utc};
use domain::case::{Case, CaseCommand, CloseCase, NewPerson, OpenCase};
use domain::clock::Clock;
use domain::sealed::Sealed;
use domain::values::{Gender, PersonRole, Role};
use serde_json::json;
use store::vault::{Binding, Vault};
use store::{decide, Actor, CommandContext, EventStore, UnitOfWork};
use uuid::Uuid;

const ERASE: &str =
    "mutation($input: ErasePersonInput!) { erasePerson(input: $input) { id erased fullName } }";
const CLOSE: &str = "mutation($input: CloseCaseInput!) { closeCase(input: $input) { status } }";

async fn key_rows(app: &TestApp, id: Uuid) -> Vec<(String, bool, bool)> {
    let owner = app.db.owner().await;
    sqlx::query_as(
        "SELECT subject_kind, wrapped_key IS NULL, shared_legacy FROM data_keys \
         WHERE subject_id = $1 ORDER BY subject_kind",
    )
    .bind(id)
    .fetch_all(&owner)
    .await
    .expect("data keys")
}

#[tokio::test]
async fn a_person_id_equal_to_a_case_id_gets_its_own_key_and_erasing_it_leaves_the_case_alone() {
    let app = spawn_app().await;
    let (counsellor, supervisor) = (token(Role::Counsellor), token(Role::Supervisor));
    let case_a = a_case(&app, &counsellor).await;
    app.gql(&supervisor, &send_referral_doc(), json!({"input": {"caseId": case_a, "agency": "NGO",
            "referredAt": ago(300), "personsAtRisk": 1, "consent": {"given": true}, "reason": "case A's own reason"}}))
        .await
        .data("sendReferral");
    // Another case names a person with case A's id.
    let case_b = app.gql(&counsellor, &open_case_doc(), json!({"input": {"openedAt": ago(200), "region": "NORTHEAST",
            "persons": [{"id": case_a, "role": "VICTIM", "gender": "FEMALE", "fullName": "Same Id Person"}]}}))
        .await;
    let case_b = id_of(case_b.data("openCase"));
    assert_eq!(
        key_rows(&app, case_a).await,
        [
            ("case".into(), false, false),
            ("person".into(), false, false)
        ]
    );

    let erased = app
        .gql(
            &token(Role::Admin),
            ERASE,
            json!({"input": {"caseId": case_b, "personId": case_a, "reason": "asked"}}),
        )
        .await;
    assert_eq!(erased.data("erasePerson")["erased"], true);
    assert_eq!(
        key_rows(&app, case_a).await,
        [
            ("case".into(), false, false),
            ("person".into(), true, false)
        ]
    );
    // Case A's key is intact: its reasons still seal (before, this answered INTERNAL).
    let closed = app
        .gql(
            &supervisor,
            CLOSE,
            json!({"input": {"caseId": case_a, "closedAt": ago(1), "reason": "resolved"}}),
        )
        .await;
    assert_eq!(closed.data("closeCase")["status"], "CLOSED");
}

/// The pre-0006 wrapping: AES-256-GCM under the master key, bound to the subject id alone.
fn legacy_wrap(master: &[u8; 32], subject: Uuid, key: &[u8; 32]) -> Vec<u8> {
    let nonce = [3u8; 12];
    let sealed = Aes256Gcm::new(master.into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: key,
                aad: subject.as_bytes(),
            },
        )
        .expect("wraps");
    [nonce.as_slice(), &sealed].concat()
}

fn seal(key: &[u8; 32], binding: &Binding, text: &str, key_id: Uuid) -> Sealed {
    let nonce = [5u8; 12];
    let ciphertext = Aes256Gcm::new(key.into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: text.as_bytes(),
                aad: binding.as_bytes(),
            },
        )
        .expect("seals");
    Sealed {
        key_id,
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    }
}

async fn record(store: &EventStore, id: Uuid, command: CaseCommand) {
    let ctx = CommandContext::new(
        Actor {
            subject: "legacy".into(),
            role: Role::Supervisor,
        },
        "c".into(),
    );
    let mut case = store.load::<Case>(id).await.expect("load");
    let events = decide(&mut case, command, &Clock::system())
        .await
        .expect("decides");
    let mut unit = UnitOfWork::new();
    unit.record(&mut case, &events, &ctx).expect("record");
    store.commit(unit).await.expect("commit");
}

fn person(id: Uuid, full_name: Sealed) -> NewPerson {
    NewPerson {
        person_id: id,
        role: PersonRole::Victim,
        gender: Gender::Female,
        birth_year: None,
        full_name: Some(full_name),
        phone: None,
    }
}

/// A database as it stood before 0006 (keys by bare id, no key ids): case C
/// with persons P and Q, where Q's id is case D's id and D's closing reason
/// was sealed under that same key. 0006 files P under person, D under both
/// person and case (shared); servers read them; erasing Q destroys both;
/// the rotation moves the rest to the current key format.
#[tokio::test]
async fn migration_0006_types_existing_keys_and_a_key_two_kinds_shared_is_erased_as_one() {
    let name = format!("ct_test_{}", Uuid::new_v4().simple());
    let db = TestDatabase {
        url: format!("{}/{name}", server_url()),
        name,
    };
    store::db::ensure_database(&db.url).await.expect("database");
    let before_0006 = std::env::temp_dir().join(format!("ct-migrations-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&before_0006).expect("dir");
    let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    for file in std::fs::read_dir(&all).expect("migrations") {
        let path = file.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        // And 0025: today's store, used below on the old schema, reads and
        // writes each event's chain version.
        if name.as_str() < "0006" || name.starts_with("0025") {
            std::fs::copy(&path, before_0006.join(&name)).expect("copy");
        }
    }
    let owner = db.owner().await;
    sqlx::migrate::Migrator::new(before_0006.as_path())
        .await
        .expect("migrator")
        .run(&owner)
        .await
        .expect("up to 0005");
    let _ = std::fs::remove_dir_all(&before_0006);

    let master = [7u8; 32]; // the test server's master key
    let (c, d, p) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (key_p, key_d) = ([11u8; 32], [12u8; 32]);
    let store = EventStore::new(owner.clone(), vec![]);
    let at = |m| Utc::now() - Duration::minutes(m);
    let name_aad = Binding::person_full_name(c);
    record(
        &store,
        d,
        CaseCommand::Open(OpenCase {
            case_id: d,
            opened_at: at(50),
            from_call: None,
            region: Some(domain::values::Region::Northeast),
            province: None,
            exploitation_types: vec![],
            persons: vec![],
        }),
    )
    .await;
    let reason = seal(&key_d, &Binding::case_closed_reason(d), "D closed", d);
    record(
        &store,
        d,
        CaseCommand::Close(CloseCase {
            case_id: d,
            closed_at: at(40),
            reason,
        }),
    )
    .await;
    record(
        &store,
        c,
        CaseCommand::Open(OpenCase {
            case_id: c,
            opened_at: at(30),
            from_call: None,
            region: Some(domain::values::Region::Northeast),
            province: None,
            exploitation_types: vec![],
            persons: vec![
                person(p, seal(&key_p, &name_aad, "Legacy P", p)),
                person(d, seal(&key_d, &name_aad, "Legacy Q", d)),
            ],
        }),
    )
    .await;
    for (subject, key) in [(p, key_p), (d, key_d)] {
        sqlx::query("INSERT INTO data_keys (subject_id, wrapped_key) VALUES ($1, $2)")
            .bind(subject)
            .bind(legacy_wrap(&master, subject, &key))
            .execute(&owner)
            .await
            .expect("legacy key");
    }

    // A receipt of those days: global key, an HMAC of the whole input (names included).
    sqlx::query(
        "INSERT INTO command_receipts (idempotency_key, request_hash, stream_type, stream_id, last_sequence) \
         VALUES ('closeCase:k1', '\\x0102', 'Case', $1, 2)",
    )
    .bind(d.to_string())
    .execute(&owner)
    .await
    .expect("legacy receipt");

    let app = spawn_on(db).await; // migrates 0006
    let receipt: (String, String, Vec<u8>) =
        sqlx::query_as("SELECT caller_subject, caller_agency, request_hash FROM command_receipts")
            .fetch_one(&app.db.owner().await)
            .await
            .expect("receipt");
    assert_eq!(
        receipt,
        ("legacy".into(), String::new(), vec![]),
        "scoped to its actor, hash wiped"
    );
    assert_eq!(key_rows(&app, p).await, [("person".into(), false, false)]);
    assert_eq!(
        key_rows(&app, d).await,
        [("case".into(), false, true), ("person".into(), false, true)]
    );
    let read = app
        .gql(&token(Role::Counsellor), &case_doc(), json!({"id": c}))
        .await;
    let names: Vec<_> = read.data("case")["persons"]
        .as_array()
        .expect("persons")
        .iter()
        .map(|p| p["fullName"].clone())
        .collect();
    assert_eq!(names, [json!("Legacy P"), json!("Legacy Q")]);

    app.gql(
        &token(Role::Admin),
        ERASE,
        json!({"input": {"caseId": c, "personId": d, "reason": "asked"}}),
    )
    .await
    .data("erasePerson");
    // One key: erased under both kinds.
    assert_eq!(
        key_rows(&app, d).await,
        [("case".into(), true, true), ("person".into(), true, true)]
    );

    let pool = app.db.as_app_role().await;
    let rotation = Vault::new(master)
        .rewrap_to_current(&pool)
        .await
        .expect("rotation");
    assert_eq!((rotation.rewrapped, rotation.remaining), (1, 0));
    let read = app
        .gql(&token(Role::Counsellor), &case_doc(), json!({"id": c}))
        .await;
    let persons = read.data("case")["persons"].clone();
    assert_eq!(persons[0]["fullName"], "Legacy P");
    assert_eq!(persons[1]["fullName"], "[erased]");
}

#[tokio::test]
async fn erased_persons_names_each_erased_person_once_however_often_asked() {
    let db = TestDatabase::create().await;
    let pool = db.as_app_role().await;
    let vault = Vault::new([9; 32]);
    let (erased, kept) = (Uuid::new_v4(), Uuid::new_v4());
    assert!(vault.erase(&pool, erased).await.expect("erase"));
    let found = vault
        .erased_persons(&pool, &[erased, kept, erased, erased])
        .await
        .expect("erased persons");
    assert_eq!(found, [erased]);
    assert!(vault
        .erased_persons(&pool, &[kept])
        .await
        .expect("erased persons")
        .is_empty());
}
