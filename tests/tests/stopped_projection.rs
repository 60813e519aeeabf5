//! A projection that stops anyway (here: a read-model row planted by the
//! superuser collides with the next event) shows on `/readyz` (503, naming
//! it) and in `/metrics` (`casetrail_projection_stopped`), and both clear
//! once it moves again.

use std::time::Duration;

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::values::Role;
use serde_json::json;
use uuid::Uuid;

/// A failure guard against a hang, not a performance bound.
const GUARD: Duration = Duration::from_secs(120);

async fn readyz(app: &TestApp) -> (u16, String) {
    let response = app
        .client
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

async fn metrics(app: &TestApp) -> String {
    app.client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("text")
}

/// Polls /readyz until it answers `status`.
async fn readyz_becomes(app: &TestApp, status: u16) -> String {
    let deadline = tokio::time::Instant::now() + GUARD;
    loop {
        let (now, body) = readyz(app).await;
        if now == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz still {now} ({body}), waited for {status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_projection_fails_readiness_and_shows_in_metrics_until_it_moves_again() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let case = a_case(&app, &counsellor).await;
    caught_up(&app.db.as_app_role().await).await;
    assert_eq!(readyz(&app).await, (200, "ready".to_string()));

    // The superuser plants the row the next referral's projection will insert.
    let owner = app.db.owner().await;
    let referral = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO referrals (referral_id, case_id, agency, status, referred_at, status_at) \
         VALUES ($1, $2, 'NGO', 'SENT', now(), now())",
    )
    .bind(referral)
    .bind(case)
    .execute(&owner)
    .await
    .expect("planted");
    let sent = app
        .gql(
            &counsellor,
            &send_referral_doc(),
            json!({"input": {"id": referral, "caseId": case, "agency": "CRIMINAL_POLICE",
                             "referredAt": ago(500), "personsAtRisk": 1, "consent": {"given": true}}}),
        )
        .await;
    sent.data("sendReferral");

    let body = readyz_becomes(&app, 503).await;
    assert!(
        body.contains("projection stopped") && body.contains("referrals"),
        "{body}"
    );
    assert!(
        !body.contains("statistics"),
        "only the stopped one is named: {body}"
    );
    let text = metrics(&app).await;
    for line in [
        "casetrail_projection_stopped{projection=\"referrals\"} 1",
        "casetrail_projection_stopped{projection=\"calls\"} 0",
        "casetrail_projection_stopped{projection=\"statistics\"} 0",
    ] {
        assert!(text.contains(line), "{line} missing from /metrics:\n{text}");
    }

    // The cause removed, the projection moves again by itself and readiness returns.
    sqlx::query("DELETE FROM referrals WHERE referral_id = $1")
        .bind(referral)
        .execute(&owner)
        .await
        .expect("unplanted");
    assert_eq!(readyz_becomes(&app, 200).await, "ready");
    let text = metrics(&app).await;
    assert!(
        text.contains("casetrail_projection_stopped{projection=\"referrals\"} 0"),
        "{text}"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM referrals WHERE referral_id = $1")
        .bind(referral)
        .fetch_one(&owner)
        .await
        .expect("the projected row");
    assert_eq!(status, "SENT");
}
