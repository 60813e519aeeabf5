//! The casework operations against every role, as DESIGN.md's second roles
//! table says: corrections and trafficking facts for COUNSELLOR and
//! SUPERVISOR; the referral packet for the hotline and the agency holding
//! the referral; feedback and hand-ons for that agency alone.

use casetrail_tests::fixtures::*;
use casetrail_tests::harness::{spawn_app, token};
use domain::values::Role;
use serde_json::{json, Value};
use uuid::Uuid;

struct Op {
    name: &'static str,
    doc: String,
    vars: Value,
    allowed: fn(Role) -> bool,
}

fn hotline(role: Role) -> bool {
    matches!(role, Role::Counsellor | Role::Supervisor)
}

fn hotline_or_agency(role: Role) -> bool {
    matches!(role, Role::Counsellor | Role::Supervisor | Role::Agency)
}

fn agency(role: Role) -> bool {
    role == Role::Agency
}

#[tokio::test]
async fn every_role_is_allowed_or_forbidden_each_casework_operation_as_the_design_says() {
    let app = spawn_app().await;
    let counsellor = token(Role::Counsellor);
    let call = a_call(&app, &counsellor).await;
    let person = Uuid::new_v4();
    let opened = app
        .gql(&counsellor, &open_case_doc(), json!({"input": {"fromCallId": call, "openedAt": ago(590),
            "persons": [{"id": person, "role": "VICTIM", "gender": "FEMALE", "fullName": "Sentinel"}]}}))
        .await;
    let case = id_of(opened.data("openCase"));
    // token(Role::Agency) is the criminal police's.
    let referral = a_referral(&app, &counsellor, case, "CRIMINAL_POLICE").await;
    let m = |name: &'static str, input_type: &str, selection: &str, input: Value, allowed| Op {
        name,
        doc: format!(
            "mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} }} }}"
        ),
        vars: json!({ "input": input }),
        allowed,
    };
    let ops = vec![
        m("correctCall", "CorrectCallInput", "id",
          json!({"callId": call, "channel": "ZALO", "reason": "r"}), hotline),
        m("correctPerson", "CorrectPersonInput", "id",
          json!({"caseId": case, "personId": person, "birthYear": 2000, "reason": "r"}), hotline),
        m("recordPersonDetails", "RecordPersonDetailsInput", "id",
          json!({"caseId": case, "personId": person, "nationality": "VN"}), hotline),
        m("recordDestination", "RecordDestinationInput", "id",
          json!({"caseId": case, "country": "TH"}), hotline),
        m("decideVictimStatus", "DecideVictimStatusInput", "id",
          json!({"caseId": case, "personId": person, "status": "SUSPECTED", "authority": "CRIMINAL_POLICE", "decidedAt": ago(100)}), hotline),
        Op {
            name: "referralPacket",
            doc: "query($c: UUID!, $r: UUID!) { referralPacket(caseId: $c, referralId: $r) { consentGiven } }".into(),
            vars: json!({"c": case, "r": referral}),
            allowed: hotline_or_agency,
        },
        m("addReferralFeedback", "AddReferralFeedbackInput", "id",
          json!({"caseId": case, "referralId": referral, "addedAt": ago(90), "notes": "n"}), agency),
        // Last: once handed on, the police no longer hold the referral.
        m("handOnReferral", "HandOnReferralInput", "id",
          json!({"caseId": case, "referralId": referral, "toAgency": "BORDER_GUARD", "at": ago(80)}), agency),
    ];
    let mut answered = 0;
    for role in Role::ALL.iter().copied() {
        for op in &ops {
            let answer = app.gql(&token(role), &op.doc, op.vars.clone()).await;
            answered += usize::from(answer.body.get("errors").is_none());
            if (op.allowed)(role) {
                // Allowed: answered, or refused by a rule (a second role
                // repeating a correction changes nothing), never by role.
                assert!(
                    !matches!(
                        answer.code(),
                        Some("FORBIDDEN" | "UNAUTHENTICATED" | "INTERNAL")
                    ),
                    "{role:?} {} should be allowed: {}",
                    op.name,
                    answer.body
                );
            } else {
                assert_eq!(
                    answer.code(),
                    Some("FORBIDDEN"),
                    "{role:?} {} should be forbidden: {}",
                    op.name,
                    answer.body
                );
            }
        }
    }
    // The first allowed role of each operation succeeded outright.
    assert!(
        answered >= ops.len(),
        "only {answered} answers without errors"
    );
}
