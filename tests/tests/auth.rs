//! Every request needs a valid bearer token; roles are enforced.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{jwt, post_graphql, spawn_app, token};
use domain::values::Role;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;

fn doc_and_vars() -> (String, serde_json::Value) {
    (
        receive_call_doc(),
        json!({"input": {"receivedAt": ago(5), "channel": "VOICE", "region": "UNKNOWN", "callerType": "CITIZEN", "category": "NON_DATA"}}),
    )
}

#[tokio::test]
async fn a_missing_expired_garbage_or_foreign_token_is_unauthenticated_and_records_nothing() {
    let app = spawn_app().await;
    let (doc, vars) = doc_and_vars();
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64, aud: &str| json!({"sub": "x", "role": "COUNSELLOR", "iss": "casetrail", "aud": aud, "iat": now - 7200, "exp": exp});
    let sign = |c: serde_json::Value, secret: &str| {
        encode(
            &Header::default(),
            &c,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("sign")
    };
    let expired = sign(claims(now - 3600, "casetrail"), &jwt().secret);
    let foreign = sign(
        claims(now + 3600, "casetrail"),
        "another-secret-another-secret-another",
    );
    let wrong_audience = sign(claims(now + 3600, "elsewhere"), &jwt().secret);
    let unknown_role = sign(
        json!({"sub": "x", "role": "JANITOR", "iss": "casetrail", "aud": "casetrail", "iat": now, "exp": now + 60}),
        &jwt().secret,
    );
    let no_alg = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims(now + 3600, "casetrail").to_string())
    );
    for token in [
        None,
        Some("garbage"),
        Some(expired.as_str()),
        Some(foreign.as_str()),
        Some(wrong_audience.as_str()),
        Some(unknown_role.as_str()),
        Some(no_alg.as_str()),
    ] {
        let answer = post_graphql(&app.client, &app.address, token, &doc, vars.clone()).await;
        assert_eq!(answer.status, 401, "{token:?}: {}", answer.body);
        assert_eq!(answer.code(), Some("UNAUTHENTICATED"), "{token:?}");
    }
    let owner = app.db.owner().await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&owner)
        .await
        .expect("count");
    assert_eq!(n, 0);
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

#[tokio::test]
async fn roles_without_casework_rights_are_forbidden_to_record_or_read_it() {
    let app = spawn_app().await;
    let (doc, vars) = doc_and_vars();
    for role in [Role::Auditor, Role::Analyst, Role::Admin, Role::Agency] {
        let answer = app.gql(&token(role), &doc, vars.clone()).await;
        assert_eq!(
            answer.code(),
            Some("FORBIDDEN"),
            "{role:?}: {}",
            answer.body
        );
    }
    let case = a_case(&app, &token(Role::Counsellor)).await;
    for role in [Role::Auditor, Role::Analyst, Role::Admin] {
        let answer = app
            .gql(&token(role), &case_doc(), json!({"id": case}))
            .await;
        assert_eq!(answer.code(), Some("FORBIDDEN"), "{role:?}");
    }
    assert_eq!(
        app.gql(&token(Role::Supervisor), &case_doc(), json!({"id": case}))
            .await
            .data("case")["id"],
        json!(case)
    );
}

#[tokio::test]
async fn the_token_command_mints_a_token_the_server_accepts() {
    let app = spawn_app().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args([
            "token",
            "--sub",
            "lan",
            "--role",
            "COUNSELLOR",
            "--ttl-seconds",
            "60",
        ])
        .env("CASETRAIL_JWT_SECRET", &jwt().secret)
        .output()
        .expect("casetrail token runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).expect("utf-8");
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "the JWT alone on stdout");
    let (doc, vars) = doc_and_vars();
    let answer = app.gql(token, &doc, vars).await;
    assert!(answer.body.get("errors").is_none(), "{}", answer.body);

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_casetrail"))
        .args(["token", "--sub", "police", "--role", "AGENCY"])
        .output()
        .expect("casetrail token runs");
    assert!(!refused.status.success(), "an AGENCY token needs --agency");
}
