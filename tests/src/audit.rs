//! Helpers of the audit suites: running the `casetrail` binary, a realistic
//! log built over HTTP or a small one through the store, copies of a seeded
//! database, and the superuser's way around the append-only rules.

use chrono::{Duration, Utc};
use cqrs_es::Aggregate;
use domain::call::{Call, CallCommand, ReceiveCall, RecordCounsellingSession};
use domain::case::{Case, CaseCommand, OpenCase, ProvideSupport};
use domain::clock::Clock;
use domain::occurred::OccurredAt;
use domain::values::*;
use serde_json::json;
use sqlx::{PgPool, Postgres, Transaction};
use store::{decide, Actor, CommandContext, EventStore, UnitOfWork};
use uuid::Uuid;

use crate::fixtures::*;
use crate::harness::{jwt, server_url, token, TestApp, TestDatabase};

/// The checkpoint signing seed the suites configure (never a real key).
pub const CHECKPOINT_SEED: &str =
    "5465737420636865636b706f696e74207365656420666f72206361736574726c";

/// The public key of [`CHECKPOINT_SEED`], derived here, not read from a checkpoint.
pub fn checkpoint_public_key() -> String {
    let seed: [u8; 32] = hex::decode(CHECKPOINT_SEED)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .as_bytes(),
    )
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary (`env!("CARGO_BIN_EXE_casetrail")`, known only to the
/// suites themselves) with ARGS and only the given configuration.
pub async fn run_binary(binary: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = tokio::process::Command::new(binary);
    command.args(args);
    for inherited in [
        "DATABASE_URL",
        "CASETRAIL_ENV",
        "CASETRAIL_CHECKPOINT_KEY",
        "CASETRAIL_CHECKPOINT_PUBLIC_KEY",
    ] {
        command.env_remove(inherited);
    }
    command.env("RUST_LOG", "warn");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().await.expect("the binary runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A superuser transaction that bypasses the append-only triggers: what
/// someone with full database access can do.
pub async fn superuser_tx(owner: &PgPool) -> Transaction<'static, Postgres> {
    let mut tx = owner.begin().await.expect("tx");
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .expect("bypass triggers");
    tx
}

async fn gql_ok(
    app: &TestApp,
    token: &str,
    field: &str,
    doc: &str,
    input: serde_json::Value,
) -> serde_json::Value {
    let answer = app.gql(token, doc, json!({ "input": input })).await;
    answer.data(field).clone()
}

/// A case through most of its life, over HTTP: a call with a counselling
/// session (sealed notes), the case with named persons, a second call,
/// a referral along its state machine, a rescue, support, close and
/// reopen. One actor's subject has quotes, a backslash, a tab and
/// non-ASCII letters, so canonical JSON escaping is exercised. Returns
/// the case id.
pub async fn a_realistic_case(app: &TestApp) -> Uuid {
    let awkward = api::auth::mint(
        &jwt(),
        "cán bộ \"Hoa\" \\ ca\tđêm",
        Role::Counsellor,
        None,
        600,
    )
    .expect("token");
    let supervisor = token(Role::Supervisor);
    let call = a_call(app, &awkward).await;
    gql_ok(
        app,
        &awkward,
        "recordCounsellingSession",
        "mutation($input: RecordCounsellingSessionInput!) { recordCounsellingSession(input: $input) { id } }",
        json!({"callId": call, "startedAt": ago(598), "durationMinutes": 25, "topics": ["VICTIM_SUPPORT", "LEGAL"],
               "notes": "Chị gái bị giữ ở quán karaoke, \"không\" được về"}),
    )
    .await;
    let person = Uuid::new_v4();
    let case = id_of(
        &gql_ok(
            app,
            &awkward,
            "openCase",
            "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }",
            json!({"fromCallId": call, "openedAt": ago(590), "exploitationTypes": ["SEXUAL", "FORCED_LABOUR"],
                   "persons": [{"id": person, "role": "VICTIM", "gender": "FEMALE", "birthYear": 2004,
                                "fullName": "Nguyễn Thị Hoa", "phone": "+84 912 345 678"}]}),
        )
        .await,
    );
    let second = a_call(app, &supervisor).await;
    gql_ok(
        app,
        &supervisor,
        "attachCall",
        "mutation($input: AttachCallInput!) { attachCall(input: $input) { id } }",
        json!({"caseId": case, "callId": second}),
    )
    .await;
    let referral = a_referral(app, &awkward, case, "BORDER_GUARD").await;
    for (status, minutes) in [("ACKNOWLEDGED", 450), ("IN_PROGRESS", 400)] {
        gql_ok(
            app,
            &supervisor,
            "updateReferral",
            &update_referral_doc(),
            json!({"caseId": case, "referralId": referral, "status": status, "at": ago(minutes)}),
        )
        .await;
    }
    gql_ok(
        app,
        &supervisor,
        "recordRescue",
        "mutation($input: RecordRescueInput!) { recordRescue(input: $input) { id } }",
        json!({"caseId": case, "referralId": referral, "rescuedAt": ago(300), "personsRescued": 1,
               "region": "OVERSEAS", "country": "CN"}),
    )
    .await;
    gql_ok(app, &supervisor, "updateReferral", &update_referral_doc(),
        json!({"caseId": case, "referralId": referral, "status": "COMPLETED", "at": ago(290), "outcome": "RESCUED"})).await;
    gql_ok(app, &awkward, "provideSupport",
        "mutation($input: ProvideSupportInput!) { provideSupport(input: $input) { id } }",
        json!({"caseId": case, "personId": person, "service": "PSYCHOLOGICAL", "providedAt": ago(200)})).await;
    gql_ok(
        app,
        &supervisor,
        "closeCase",
        "mutation($input: CloseCaseInput!) { closeCase(input: $input) { id } }",
        json!({"caseId": case, "closedAt": ago(100), "reason": "về nhà an toàn"}),
    )
    .await;
    gql_ok(
        app,
        &supervisor,
        "reopenCase",
        "mutation($input: ReopenCaseInput!) { reopenCase(input: $input) { id } }",
        json!({"caseId": case, "reopenedAt": ago(50), "reason": "thông tin mới"}),
    )
    .await;
    case
}

fn ctx() -> CommandContext {
    CommandContext::new(
        Actor {
            subject: "tổng đài viên 7".into(),
            role: Role::Counsellor,
        },
        format!("corr-{}", Uuid::new_v4()),
    )
}

async fn run<A>(store: &EventStore, id: Uuid, command: A::Command)
where
    A: Aggregate<Services = Clock> + Clone + 'static,
    A::Event: OccurredAt,
{
    let mut loaded = store.load::<A>(id).await.expect("load");
    let events = decide(&mut loaded, command, &Clock::system())
        .await
        .expect("decides");
    let mut unit = UnitOfWork::new();
    unit.record(&mut loaded, &events, &ctx()).expect("record");
    store.commit(unit).await.expect("commit");
}

/// Cases of 3..6 events and calls of 2..4, through the command path (no
/// HTTP): a small log for suites that copy it many times.
pub async fn seed_through_the_store(pool: &PgPool) {
    let store = EventStore::new(pool.clone(), domain::upcasters::upcasters());
    let start = Utc::now() - Duration::days(3);
    for n in 0..4 {
        let id = Uuid::new_v4();
        let open = OpenCase {
            case_id: id,
            opened_at: start,
            from_call: None,
            region: Some(Region::ALL[n % Region::ALL.len()]),
            province: None,
            exploitation_types: vec![ExploitationType::ForcedLabour],
            persons: vec![],
        };
        run::<Case>(&store, id, CaseCommand::Open(open)).await;
        for i in 0..(2 + n) {
            let support = ProvideSupport {
                case_id: id,
                provision_id: Uuid::new_v4(),
                person_id: None,
                service: SupportService::ALL[i % SupportService::ALL.len()],
                provided_at: start + Duration::hours(i as i64 + 1),
            };
            run::<Case>(&store, id, CaseCommand::ProvideSupport(support)).await;
        }
    }
    for n in 0..3 {
        let id = Uuid::new_v4();
        let receive = ReceiveCall {
            call_id: id,
            received_at: start,
            channel: Channel::Voice,
            region: Some(Region::MekongDelta),
            province: None,
            country: None,
            caller_type: CallerType::Victim,
            category: CallCategory::Counselling,
            topics: vec![CounsellingTopic::Psychological],
            duration: None,
            category_code: None,
            topic_codes: vec![],
        };
        run::<Call>(&store, id, CallCommand::Receive(receive)).await;
        for i in 0..=n {
            let session = RecordCounsellingSession {
                call_id: id,
                session_id: Uuid::new_v4(),
                started_at: start + Duration::minutes(i as i64 + 1),
                duration: SessionMinutes::try_from(15).expect("valid"),
                topics: vec![CounsellingTopic::Legal],
                notes: None,
                topic_codes: vec![],
            };
            run::<Call>(&store, id, CallCommand::RecordCounsellingSession(session)).await;
        }
    }
}

/// A fresh database with exactly the template's content.
pub async fn copy_database(template: &TestDatabase) -> TestDatabase {
    let admin = sqlx::PgPool::connect(&format!("{}/postgres", server_url()))
        .await
        .expect("admin");
    let name = format!("ct_test_{}", Uuid::new_v4().simple());
    let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{}\"", template.name);
    // The template may be held for a moment by autovacuum: retry, bounded.
    for attempt in 1.. {
        match sqlx::query(&sql).execute(&admin).await {
            Ok(_) => break,
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempt < 20 =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            Err(e) => panic!("copy of the template: {e}"),
        }
    }
    admin.close().await;
    TestDatabase {
        url: format!("{}/{name}", server_url()),
        name,
    }
}
