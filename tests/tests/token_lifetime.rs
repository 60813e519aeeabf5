//! Token time rules: `nbf` honoured, a maximum lifetime (`exp - iat`),
//! `iat` required and not in the future; `casetrail token` never mints what
//! the server would refuse.

use std::process::Command;

use casetrail_tests::harness::{jwt, post_graphql, spawn_app, TestApp, TEST_SECRET};
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

/// The default maximum lifetime: 24 h.
const MAX: i64 = 24 * 3600;

fn sign(claims: Value) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(jwt().secret.as_bytes()),
    )
    .expect("sign")
}

fn claims(extra: Value) -> Value {
    let mut c = json!({"sub": "lan", "role": "COUNSELLOR", "iss": "casetrail", "aud": "casetrail"});
    if let (Some(c), Some(extra)) = (c.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    c
}

async fn ask(app: &TestApp, token: &str) -> (u16, Option<String>, String) {
    let answer = post_graphql(
        &app.client,
        &app.address,
        Some(token),
        "{ __typename }",
        json!({}),
    )
    .await;
    let message = answer.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (answer.status, answer.code().map(str::to_string), message)
}

#[tokio::test]
async fn nbf_is_honoured_with_the_leeway() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let future = sign(claims(
        json!({"iat": now, "nbf": now + 30 * 24 * 3600, "exp": now + 3600}),
    ));
    let (status, code, message) = ask(&app, &future).await;
    assert_eq!((status, code.as_deref()), (401, Some("UNAUTHENTICATED")));
    assert!(message.contains("nbf"), "{message}");
    let soon = sign(claims(
        json!({"iat": now, "nbf": now + 600, "exp": now + 3600}),
    ));
    assert_eq!(
        ask(&app, &soon).await.0,
        401,
        "ten minutes ahead is beyond the leeway"
    );
    for nbf in [now - 3600, now, now + 10] {
        let token = sign(claims(json!({"iat": now, "nbf": nbf, "exp": now + 3600})));
        let (status, _, message) = ask(&app, &token).await;
        assert_eq!(status, 200, "nbf {} s from now: {message}", nbf - now);
    }
}

#[tokio::test]
async fn a_token_living_longer_than_the_maximum_is_refused() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    for (lifetime, accepted) in [
        (MAX - 1, true),
        (MAX, true),
        (MAX + 1, false),
        (10 * 365 * 24 * 3600, false),
    ] {
        let token = sign(claims(json!({"iat": now - 60, "exp": now - 60 + lifetime})));
        let (status, code, message) = ask(&app, &token).await;
        if accepted {
            assert_eq!(status, 200, "lifetime {lifetime}: {message}");
        } else {
            assert_eq!(
                (status, code.as_deref()),
                (401, Some("UNAUTHENTICATED")),
                "lifetime {lifetime}"
            );
            assert!(message.contains("86400"), "{message}");
        }
    }
}

#[tokio::test]
async fn iat_missing_or_in_the_future_is_refused() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    let missing = sign(claims(json!({"exp": now + 600})));
    let (status, code, message) = ask(&app, &missing).await;
    assert_eq!((status, code.as_deref()), (401, Some("UNAUTHENTICATED")));
    assert!(message.contains("iat"), "{message}");
    // A future iat would stretch the lifetime past the maximum.
    let ahead = sign(claims(
        json!({"iat": now + 10 * MAX, "exp": now + 11 * MAX}),
    ));
    let (status, _, message) = ask(&app, &ahead).await;
    assert_eq!(status, 401);
    assert!(message.contains("iat"), "{message}");
}

#[test]
fn casetrail_token_refuses_a_ttl_beyond_the_maximum() {
    let mint = |ttl: &str, max: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_casetrail"));
        command
            .args([
                "token",
                "--sub",
                "lan",
                "--role",
                "COUNSELLOR",
                "--ttl-seconds",
                ttl,
            ])
            .env("CASETRAIL_JWT_SECRET", TEST_SECRET)
            .env_remove("CASETRAIL_JWT_MAX_LIFETIME_SECONDS");
        if let Some(max) = max {
            command.env("CASETRAIL_JWT_MAX_LIFETIME_SECONDS", max);
        }
        command.output().expect("casetrail runs")
    };
    let refused = mint("86401", None);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--ttl-seconds") && stderr.contains("86400"),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty(), "no token printed");
    assert!(mint("86400", None).status.success());
    assert!(
        mint("172800", Some("172800")).status.success(),
        "the maximum is configurable"
    );
}
