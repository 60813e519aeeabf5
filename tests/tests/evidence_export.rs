//! `casetrail export events`: the log as CloudEvents JSON lines with the
//! chain's fields as extensions, personal data sealed, resumable with
//! `--from` in transparency-log order.

use std::collections::HashMap;

use casetrail_tests::audit::*;
use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use chrono::DateTime;
use domain::values::Role;
use serde_json::Value;
use store::hash::{chain_hash, ChainVersion, ChainedFields, GENESIS};

async fn export(app: &TestApp, from: u64) -> (Vec<Value>, String) {
    let run = run_binary(
        env!("CARGO_BIN_EXE_casetrail"),
        &[
            "export",
            "events",
            "--from",
            &from.to_string(),
            "--database-url",
            &app.db.url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    for clear in ["Nguyễn Thị Hoa", "+84 912 345 678"] {
        assert!(
            !run.stdout.contains(clear),
            "personal data in clear in the export"
        );
    }
    let lines = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    (lines, run.stderr)
}

fn text<'a>(event: &'a Value, name: &str) -> &'a str {
    event[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} missing: {event}"))
}

#[tokio::test]
async fn the_export_is_cloudevents_whose_chains_recompute_and_it_resumes_exactly() {
    let app = spawn_app().await;
    a_realistic_case(&app).await;
    let owner = app.db.owner().await;
    caught_up(&owner).await;
    let (all, stderr) = export(&app, 0).await;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(all.len() as i64, events);
    assert!(
        stderr.contains(&format!("resume with --from {events}")),
        "{stderr}"
    );

    let mut previous: HashMap<String, [u8; 32]> = HashMap::new();
    for (i, event) in all.iter().enumerate() {
        assert_eq!(text(event, "specversion"), "1.0");
        for required in ["id", "source", "type", "time", "subject"] {
            assert!(!text(event, required).is_empty(), "{required}");
        }
        assert_eq!(text(event, "casetrailleafindex"), i.to_string());
        let (kind, id) = (text(event, "casetrailstreamtype"), text(event, "subject"));
        let stream = format!("{kind}/{id}");
        let prior = previous.get(&stream).copied().unwrap_or(GENESIS);
        let metadata: Value = serde_json::from_str(text(event, "casetrailmetadata")).expect("json");
        let micros: i64 = text(event, "casetrailrecordedatus").parse().expect("µs");
        let hash = chain_hash(
            &prior,
            &ChainedFields {
                version: ChainVersion::from_number(
                    event["casetrailchainversion"]
                        .as_i64()
                        .expect("chain version"),
                )
                .expect("a known chain version"),
                aggregate_type: kind,
                aggregate_id: id,
                sequence: event["casetrailsequence"].as_i64().expect("sequence"),
                event_type: text(event, "type").trim_start_matches("org.casetrail."),
                event_version: text(event, "casetraileventversion"),
                payload: &event["data"],
                metadata: &metadata,
                recorded_at: DateTime::from_timestamp_micros(micros).expect("time"),
            },
        );
        assert_eq!(
            hex::encode(hash),
            text(event, "casetrailchainhash"),
            "line {i}"
        );
        previous.insert(stream, hash);
    }

    let (tail, _) = export(&app, 3).await;
    assert_eq!(tail, all[3..].to_vec());
    a_case(&app, &token(Role::Counsellor)).await;
    caught_up(&owner).await;
    let (new, _) = export(&app, events as u64).await;
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(
        new.len() as i64,
        after - events,
        "only what was not exported yet"
    );
    assert!(!new.is_empty());
    let refused = run_binary(
        env!("CARGO_BIN_EXE_casetrail"),
        &[
            "export",
            "events",
            "--from=-1",
            "--database-url",
            &app.db.url,
        ],
        &[],
    )
    .await;
    assert_eq!(refused.code, Some(2), "a usage error: {refused:?}");
    assert!(refused.stderr.contains("invalid value"), "{refused:?}");
}
